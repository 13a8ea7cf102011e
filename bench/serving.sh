#!/usr/bin/env bash
# Serving benchmark: `optml serve` under wrk on 127.0.0.1, and in the same run
# the peer stack (nginx + gunicorn/gevent + Flask, ../shared/peers/05-serving.sh),
# with optml/peer ratios.  Writes bench/results/serving.txt (and the raw wrk
# and peer output next to it, serving.raw.log).  See bench/README.md.
#
# Env (all optional):
#   OPTML_BUILD=build          build directory holding bin/optml and the modules
#   OPTML_BENCH_MODULE=echo    module served; bench/modules/<name>.sh prepares its tree
#   DURATION=10s               wrk time per point (the peer gets the same)
#   CONNS="16 64"  ROWS="1 100"  THREADS=2 (wrk threads)  STARTS=5 (start-up samples)
#   PEER=1                     0: skip the peer stack
#   PEERS_DIR=<repo>/../shared/peers   PEER_STACKS="nginx-gunicorn gunicorn"
#   BENCH_BUDGET=360           seconds the whole run should take; the peer gets what is left
#   PEER_TIMEOUT=<s>           bound on the peer script (default: the budget left, at least
#                              what its points need)
#   QUIET_MAX=30               at most this many seconds waiting for an idle machine
#   RETRY_OTHER=0.25           an optml point during which other work used more cores
#                              than this is run once more (the cleaner one is kept)
#   OUT=bench/results/serving.txt (serving-<module>.txt for another module)
#   ATTACKS=1                  0: skip the "under attack" section (bench/attacks.sh, echo module only)
# Traffic goes to 127.0.0.1 only; only processes this script starts are
# stopped, by PID.
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
OPTML=$BUILD/bin/optml
MODULE=${OPTML_BENCH_MODULE:-echo}
DUR=${DURATION:-10s}; DUR=${DUR%s}
CONNS=${CONNS:-16 64}; ROWS=${ROWS:-1 100}; THREADS=${THREADS:-2}; STARTS=${STARTS:-5}
PEER=${PEER:-1}
PEERS_DIR=${PEERS_DIR:-$REPO/../shared/peers}
PEER_STACKS=${PEER_STACKS:-nginx-gunicorn gunicorn}
QUIET_MAX=${QUIET_MAX:-30}
BENCH_BUDGET=${BENCH_BUDGET:-360}
RETRY_OTHER=${RETRY_OTHER:-0.25}
if [ "$MODULE" = echo ]; then OUT=${OUT:-$BENCH_DIR/results/serving.txt}; else OUT=${OUT:-$BENCH_DIR/results/serving-$MODULE.txt}; fi
RAW=${OUT%.txt}.raw.log
HZ=$(getconf CLK_TCK)
PY=${PY:-/usr/bin/python3}

die() { echo "bench: $*" >&2; exit 1; }
case $DUR in ''|*[!0-9]*) die "DURATION must be whole seconds, like 10s (got '${DURATION:-}')" ;; esac
for t in wrk curl cc awk; do command -v "$t" >/dev/null || die "$t not found: run 'bash bench/deps.sh' as root"; done
[ -x "$OPTML" ] || die "$OPTML not built: run 'make bench' (or make)"
HOOK=$BENCH_DIR/modules/$MODULE.sh
[ -f "$HOOK" ] || die "no hook $HOOK for OPTML_BENCH_MODULE=$MODULE"

W=$(mktemp -d /tmp/optml-bench.XXXXXX)
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$(dirname "$OUT")"
: > "$W/raw.log"
T_START=$SECONDS; DATE_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# ---------------------------------------------------------------- helpers
cc -std=gnu11 -O2 -o "$W/startprobe" "$BENCH_DIR/tools/startprobe.c" || die "cannot build bench/tools/startprobe.c"
free_port() { "$W/startprobe" port; }
kv() {  # kv KEY LINE: the value of KEY=value in LINE
  awk -v k="$1" '{for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) {print substr($i, length(k) + 2); exit}}' <<< "$2"
}
proc_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }  # utime+stime
proc_status() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }       # kB
thread_ticks() { local f; for f in /proc/"$1"/task/*/stat; do sed 's/.*) //' "$f" 2>/dev/null | awk -v f="$f" '{split(f, a, "/"); print a[5], $12 + $13}'; done; }
# children_cpu VAR: VAR = CPU seconds of this shell's reaped children (wrk, the peer
# script and everything under it).  Not in $(...): `times` must run in this shell.
children_cpu() { times > "$W/times"; printf -v "$1" '%s' "$(awk 'NR == 2 {split($1, a, /[ms]/); split($2, b, /[ms]/);
                 printf "%.3f", a[1] * 60 + a[2] + b[1] * 60 + b[2]}' "$W/times")"; }
now() { echo "${EPOCHREALTIME/./}"; }  # microseconds
median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2];
                            else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
kib_mib() { awk -v k="${1:-0}" 'BEGIN {printf "%.1f", k / 1024}'; }

wait_quiet() {  # wait until the last 3 s averaged < 0.15 busy cores, at most QUIET_MAX s
  local start=$SECONDS a b busy
  while :; do
    a=$(busy_jiffies); sleep 3; b=$(busy_jiffies)
    busy=$(awk -v a="$a" -v b="$b" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz / 3}')
    if awk -v x="$busy" 'BEGIN {exit !(x < 0.15)}'; then QUIET="quiet (busy $busy cores, waited $((SECONDS - start)) s)"; break; fi
    if [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then QUIET="NOT quiet (busy $busy cores after $((SECONDS - start)) s: figures contended)"; break; fi
  done
  log "QUIET $QUIET"
}

# Bodies: 1 and 100 rows of 25 standard-normal floats, "%.6f", like the peer's.
gen_body() {
  awk -v n="$1" 'BEGIN { srand(0); for (i = 0; i < n; i++) { s = "";
      for (j = 0; j < 25; j++) { u = rand(); if (u < 1e-12) u = 1e-12;
        z = sqrt(-2 * log(u)) * cos(6.283185307179586 * rand()); s = s (j ? "," : "") sprintf("%.6f", z) }
      print s } }'
}

# Results table rows: "stack rows conns rps p50 p99 errors cpu_ms busy other"
TABLE=(); THREADS_NOTE=""; RETRIED=0
add_row() { TABLE+=("$*"); }

# run_point STACK ROWS CONNS: wrk against the server $SPID at $BASE.
run_point() {
  local stack=$1 rows=$2 conns=$3 url body="" t0 t1 j0 j1 u0 u1 out sum
  if [ "$rows" = ping ]; then url=$BASE/ping; else url=$BASE/invocations; body=$W/body$rows.csv; fi
  thread_ticks "$SPID" > "$W/threads0"
  local c0 c1; children_cpu c0
  t0=$(proc_ticks "$SPID"); j0=$(busy_jiffies); u0=$(now)
  out=$(BODY_FILE=$body timeout $((DUR + 30)) wrk -t"$THREADS" -c"$conns" -d"${DUR}s" --latency \
        -s "$BENCH_DIR/tools/wrk.lua" "$url" 2>&1)
  t1=$(proc_ticks "$SPID"); j1=$(busy_jiffies); u1=$(now)
  children_cpu c1
  thread_ticks "$SPID" > "$W/threads1"
  { echo "== $stack rows=$rows conns=$conns"; echo "$out"; } >> "$W/raw.log"
  sum=$(grep '^WRKSUM' <<< "$out")
  if [ -z "$sum" ]; then log "POINT $stack rows=$rows conns=$conns: wrk gave no summary"; LAST_ROW="$stack $rows $conns - - - fail - - -"; LAST_OTHER=0; return; fi
  local req rps p50 p99 non2xx errs cpu busy other
  req=$(kv requests "$sum"); rps=$(kv rps "$sum"); p50=$(kv p50_ms "$sum"); p99=$(kv p99_ms "$sum")
  non2xx=$(awk '/Non-2xx/ {n = $NF} END {print n + 0}' <<< "$out")
  errs=$(awk -v c="$(kv err_connect "$sum")" -v r="$(kv err_read "$sum")" -v w="$(kv err_write "$sum")" \
             -v t="$(kv err_timeout "$sum")" -v s="$(kv err_status "$sum")" -v n="$non2xx" \
             'BEGIN {print c + r + w + t + (s > n ? s : n)}')
  cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v n="$req" 'BEGIN {printf "%.4f", n ? (b - a) * 1000 / hz / n : 0}')
  busy=$(awk -v a="$j0" -v b="$j1" -v hz="$HZ" -v us=$((u1 - u0)) 'BEGIN {printf "%.2f", (b - a) / hz / (us / 1e6)}')
  # other = machine busy - server - wrk: work that is not ours (ticks: +-0.02 cores)
  other=$(awk -v a="$j0" -v b="$j1" -v s0="$t0" -v s1="$t1" -v c0="$c0" -v c1="$c1" -v hz="$HZ" -v us=$((u1 - u0)) \
          'BEGIN {o = ((b - a - (s1 - s0)) / hz - (c1 - c0)) / (us / 1e6); if (o < 0) o = 0; printf "%.2f", o}')
  # the busiest server thread over the point, in cores (libmicrohttpd's I/O thread or a worker)
  local top; top=$(awk -v hz="$HZ" -v us=$((u1 - u0)) 'NR == FNR {a[$1] = $2; next}
      {d = $2 - (($1 in a) ? a[$1] : 0); if (d > m) m = d} END {printf "%.2f", m / hz / (us / 1e6)}' "$W/threads0" "$W/threads1")
  LAST_ROW="$stack $rows $conns $rps $p50 $p99 $errs $cpu $busy $other"; LAST_OTHER=$other
  log "POINT $stack rows=$rows conns=$conns requests=$req rps=$rps p50_ms=$p50 p99_ms=$p99 errors=$errs cpu_ms_per_req=$cpu busy_cores=$busy other_cores=$other server_cores=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v us=$((u1 - u0)) 'BEGIN {printf "%.2f", (b - a) / hz / (us / 1e6)}') busiest_thread_cores=$top"
  LAST_TOP=$top
}

# point STACK ROWS CONNS: run_point, and once more when other work took over
# RETRY_OTHER cores of the machine during it; the cleaner of the two is kept.
point() {
  run_point "$@"
  local row=$LAST_ROW other=$LAST_OTHER top=$LAST_TOP
  if awk -v o="$other" -v m="$RETRY_OTHER" 'BEGIN {exit !(o > m)}'; then
    log "RETRY $1 rows=$2 conns=$3: other work used $other cores"
    RETRIED=$((RETRIED + 1))
    run_point "$@"
    if awk -v o="$LAST_OTHER" -v p="$other" 'BEGIN {exit !(o < p)}'; then row=$LAST_ROW; top=$LAST_TOP; fi
  fi
  add_row "$row"
  THREADS_NOTE="$THREADS_NOTE $2/$3:$top"
}

# ---------------------------------------------------------------- optml
# shellcheck source=modules/echo.sh
. "$HOOK"
# A hook may bring its own request bodies: BENCH_CONTENT_TYPE, bench_body ROWS
# (the body of a ROWS-record request on stdout) and BENCH_BODY_DESC (what they
# are, for the results header).  Default: the CSV bodies above, as the peer's.
export CONTENT_TYPE=${BENCH_CONTENT_TYPE:-text/csv}
for r in $ROWS; do
  if declare -F bench_body >/dev/null; then bench_body "$r" > "$W/body$r.csv"; else gen_body "$r" > "$W/body$r.csv"; fi
done
BODY_DESC=${BENCH_BODY_DESC:-25 floats per row}
export SAGEMAKER_BASE_DIR=$W/tree OPTML_MODULE_PATH=$BENCH_MODULE_PATH OPTML_ALGORITHM=$BENCH_ALGORITHM
log "== optml: module $MODULE ($BENCH_MODULE_PATH), tree $W/tree"
bench_prepare_tree "$W/tree" >> "$W/raw.log" 2>&1 || die "training the $MODULE model failed (see $W/raw.log)"
[ -n "$(ls -A "$W/tree/model" 2>/dev/null)" ] || die "training wrote no model"

start_server() {  # start_server ACCESS_LOG(0|1) LOGFILE: sets SPID and BASE
  local port; port=$(free_port)
  OPTML_ACCESS_LOG=$1 SAGEMAKER_BIND_TO_PORT=$port "$OPTML" serve >> "$2" 2>&1 &
  SPID=$!; PIDS+=("$SPID"); BASE=http://127.0.0.1:$port
  for _ in $(seq 200); do
    curl -fs -o /dev/null "$BASE/ping" && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.05
  done
  die "optml serve did not answer 200 on $BASE/ping (log: $2)"
}
stop_server() {  # SIGTERM, then wait up to 30 s
  kill -TERM "$SPID" 2>/dev/null
  for _ in $(seq 300); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SPID" 2>/dev/null
  wait "$SPID" 2>/dev/null
}

# Start-up: process spawn to first 200 /ping, STARTS times.
: > "$W/startup.txt"
for i in $(seq "$STARTS"); do
  port=$(free_port)
  s=$(OPTML_ACCESS_LOG=0 SAGEMAKER_BIND_TO_PORT=$port "$W/startprobe" time "$port" "$W/startup.log" -- "$OPTML" serve) \
    || die "start-up probe failed (see the server log: $(tail -n 3 "$W/startup.log"))"
  log "STARTUP optml $i $s"
  echo "$s" >> "$W/startup.txt"
done
START_MS=$(sed 's/.*ping200_ms=//' "$W/startup.txt" | median)
OPEN_MS=$(sed 's/.*open_ms=\([^ ]*\).*/\1/' "$W/startup.txt" | median)
START_ALL=$(sed 's/.*ping200_ms=//' "$W/startup.txt" | tr '\n' ' ')

# Throughput, access log off.
start_server 0 "$W/serve.log"
WORKERS=$(grep -o '[0-9]* workers' "$W/serve.log" | head -n 1)
sleep 1
IDLE_RSS=$(proc_status "$SPID" VmRSS); IDLE_HWM=$(proc_status "$SPID" VmHWM)
CHECKS=""
for r in $ROWS; do
  code=$(curl -s -o "$W/answer$r" -w '%{http_code}' -H "Content-Type: $CONTENT_TYPE" --data-binary "@$W/body$r.csv" "$BASE/invocations")
  c=$(bench_check_answer "$W/answer$r" "$r"); ok=$?
  log "$c http=$code"
  CHECKS="$CHECKS rows=$r:http$code:$([ $ok -eq 0 ] && echo ok || echo WRONG)"
  [ "$code" = 200 ] && [ $ok -eq 0 ] || die "optml answered $code / a wrong answer for $r rows: $(head -c 300 "$W/answer$r")"
done
wait_quiet; QUIET_OPTML=$QUIET
point optml ping 16
for r in $ROWS; do for c in $CONNS; do point optml "$r" "$c"; done; done
LOAD_RSS=$(proc_status "$SPID" VmRSS); LOAD_HWM=$(proc_status "$SPID" VmHWM)
stop_server

# One point with the access log on (the peer's nginx logs every request too).
start_server 1 "$W/serve-log.log"
first_row=${ROWS%% *}; first_conn=${CONNS%% *}
point optml+log "$first_row" "$first_conn"
stop_server
ACCESS_LINES=$(grep -c 'access: ' "$W/serve-log.log")
log "ACCESS optml+log wrote $ACCESS_LINES access lines ($(stat -c %s "$W/serve-log.log") bytes)"

# ---------------------------------------------------------------- peer
PEER_NOTE=""; PEER_OTHER=""; PEER_VERSIONS=""; PEER_RSS=(); PEER_START_MS=""; PEER_CHECK=""
PEER_SCRIPT=$PEERS_DIR/05-serving.sh
if [ "$PEER" = 0 ]; then
  PEER_NOTE="peer: skipped (PEER=0): optml alone"
elif [ ! -f "$PEER_SCRIPT" ]; then
  PEER_NOTE="peer: $PEER_SCRIPT absent: optml alone"
else
  missing=""
  for t in nginx gunicorn; do command -v "$t" >/dev/null || missing="$missing $t"; done
  "$PY" -c 'import flask, numpy' 2>/dev/null || missing="$missing python3-flask/python3-numpy"
  if [ -n "$missing" ]; then
    PEER_NOTE="peer: not run, missing:$missing (bash bench/deps.sh): optml alone"
  else
    nstacks=$(wc -w <<< "$PEER_STACKS")
    # the peer's own wait for an idle machine may take up to 300 s a stack:
    # give it what is left of BENCH_BUDGET, but never less than its points need
    need=$((nstacks * (5 * DUR + 15) + 15)); left=$((BENCH_BUDGET - (SECONDS - T_START)))
    PEER_TIMEOUT=${PEER_TIMEOUT:-$((left > need ? left : need))}
    log "== peer: $PEER_SCRIPT STACKS='$PEER_STACKS' DURATION=${DUR}s (bounded to ${PEER_TIMEOUT} s)"
    PEERS_ABS=$(cd "$PEERS_DIR" && pwd)
    DURATION=${DUR}s STACKS=$PEER_STACKS CONNS=$CONNS ROWS=$ROWS PY=$PY \
      PORT_NGINX=$(free_port) PORT_GUNI=$(free_port) \
      timeout "$PEER_TIMEOUT" bash "$PEER_SCRIPT" > "$W/peer.out" 2>&1 &
    TPID=$!; PIDS+=("$TPID")   # TERM to timeout reaches the peer script, whose trap stops its servers
    children_cpu pc0; pj0=$(busy_jiffies); pu0=$(now)
    wait "$TPID"; prc=$?
    children_cpu pc1; pj1=$(busy_jiffies); pu1=$(now)
    PEER_OTHER=$(awk -v a="$pj0" -v b="$pj1" -v c0="$pc0" -v c1="$pc1" -v hz="$HZ" -v us=$((pu1 - pu0)) \
                 'BEGIN {o = ((b - a) / hz - (c1 - c0)) / (us / 1e6); if (o < 0) o = 0; printf "%.2f", o}')
    log "PEER other_cores=$PEER_OTHER over $(( (pu1 - pu0) / 1000000 )) s"
    { echo "== peer output (rc=$prc)"; cat "$W/peer.out"; } >> "$W/raw.log"
    [ $prc -eq 124 ] && PEER_NOTE="peer: script stopped after ${PEER_TIMEOUT} s (PEER_TIMEOUT): points missing below"
    [ $prc -ne 0 ] && [ $prc -ne 124 ] && PEER_NOTE="peer: script exited $prc (see $(basename "$RAW"))"
    PEER_VERSIONS=$(grep -m1 '^nginx:' "$W/peer.out")
    PEER_CHECK=$(grep '^CHECK' "$W/peer.out" | sort -u | tr '\n' ' ')
    while read -r line; do
      label=$(awk '{print $3}' <<< "$line"); stack=${label%%-gevent*}; stack=${stack%%-sync*}
      case $line in
        *server_peak_rss_mib_sum=*) PEER_RSS+=("$stack $(kv server_peak_rss_mib_sum "$line")"); continue ;;
        *" GET/ping "*) rows=ping ;;
        *" POST/invocations "*) rows=$(kv rows "$line") ;;
        *) continue ;;
      esac
      req=$(kv requests "$line")
      [ -n "$req" ] || { add_row "$stack $rows $(kv conns "$line") - - - fail - - -"; continue; }
      errs=$(awk -v c="$(kv err_connect "$line")" -v r="$(kv err_read "$line")" -v w="$(kv err_write "$line")" \
                 -v t="$(kv err_timeout "$line")" -v s="$(kv err_status "$line")" -v n="$(kv non2xx "$line")" \
                 'BEGIN {print c + r + w + t + (s > n ? s : n)}')
      cpu=$(awk -v c="$(kv server_cpu_cores "$line")" -v d="$DUR" -v n="$req" 'BEGIN {printf "%.4f", n ? c * d * 1000 / n : 0}')
      add_row "$stack $rows $(kv conns "$line") $(kv rps "$line") $(kv p50_ms "$line") $(kv p99_ms "$line") $errs $cpu $(kv machine_busy_cores "$line") -"
    done < <(grep '^RESULT serving' "$W/peer.out")

    # The peer app's start-up under gunicorn alone, measured like optml's.
    if "$PY" -c 'import gevent' 2>/dev/null; then GW=gevent; else GW=sync; fi
    : > "$W/peer-startup.txt"
    for i in $(seq "$STARTS"); do
      port=$(free_port)
      s=$(PARSER=loadtxt "$W/startprobe" time "$port" "$W/peer-startup.log" -- \
          gunicorn --timeout 60 -k "$GW" -w 2 -b "127.0.0.1:$port" --chdir "$PEERS_ABS" serving_app:app) || break
      log "STARTUP gunicorn $i $s"
      echo "$s" >> "$W/peer-startup.txt"
    done
    [ -s "$W/peer-startup.txt" ] && PEER_START_MS=$(sed 's/.*ping200_ms=//' "$W/peer-startup.txt" | median)
  fi
fi
[ -n "$PEER_NOTE" ] && log "$PEER_NOTE"

# ---------------------------------------------------------------- under attack
ATTACKS=${ATTACKS:-1}
: > "$W/attacks.txt"
if [ "$ATTACKS" != 0 ] && [ "$MODULE" = echo ]; then
  log "== under attack: bench/attacks.sh"
  OPTML_BUILD=$BUILD SECTION_ONLY=$W/attacks.txt bash "$BENCH_DIR/attacks.sh" >> "$W/raw.log" 2>&1 \
    || log "bench/attacks.sh failed (see $(basename "$RAW"))"
fi

# ---------------------------------------------------------------- results
row_of() {  # row_of STACK ROWS CONNS -> the table row
  local r; for r in "${TABLE[@]}"; do set -- $r; [ "$1 $2 $3" = "$STACK_Q" ] && { echo "$r"; return; }; done
}
get() { STACK_Q="$1 $2 $3" row_of; }
{
  echo "optml serving benchmark (bench/serving.sh; bench/README.md explains each figure)"
  echo "date:    $DATE_START (start of the run)"
  bench_provenance
  echo "         the $(nproc) cores are shared by the server and the load generator (wrk -t$THREADS); nothing is pinned"
  echo "load:    wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}'), -t$THREADS, ${DUR} s per point, keep-alive, 127.0.0.1;" \
       "POST $CONTENT_TYPE, $BODY_DESC:$(for r in $ROWS; do printf ' %s record(s) = %s B;' "$r" "$(stat -c %s "$W/body$r.csv" 2>/dev/null || echo ?)"; done)"
  echo "optml:   module $MODULE, ${WORKERS:-? workers}, access log off except the optml+log row; answers checked:$CHECKS"
  [ -n "$PEER_VERSIONS" ] && echo "peer:    $PEER_VERSIONS; nginx logs every request; $PEER_CHECK"
  [ -n "$PEER_VERSIONS" ] && [ "$CONTENT_TYPE" != text/csv ] && echo "         the peer's requests are its own: text/csv rows of 25 floats, one dot product per row"
  [ -n "$PEER_NOTE" ] && echo "$PEER_NOTE"
  echo "before optml: machine $QUIET_OPTML"
  echo
  printf '%-16s %5s %5s %9s %8s %8s %7s %11s %6s %6s\n' stack rows conns rps "p50 ms" "p99 ms" errors "cpu ms/req" busy other
  for r in "${TABLE[@]}"; do
    set -- $r
    printf '%-16s %5s %5s %9s %8s %8s %7s %11s %6s %6s\n' "$@"
  done
  echo "(rows: ping = GET /ping, else POST /invocations with that many rows (records); errors = wrk connect/read/write/timeout"
  echo " errors + non-2xx answers; cpu ms/req = server utime+stime over the point / requests, summed over the server's"
  echo " processes for the peer (gunicorn master+workers, + nginx); busy = cores busy on the whole machine, wrk included;"
  echo " other = cores used by anything but the server and wrk: work that is not ours, ~0 for a clean figure;"
  echo " $RETRIED optml point(s) were run twice because other > $RETRY_OTHER, the cleaner run kept)"
  [ -n "$PEER_OTHER" ] && echo "other work during the whole peer run: $PEER_OTHER cores on average (the peer's points have no per-point figure)"
  echo
  echo "startup optml:   median ${START_MS} ms spawn -> first 200 /ping over $STARTS starts (port open at ${OPEN_MS} ms); all: ${START_ALL% }"
  [ -n "$PEER_START_MS" ] && echo "startup gunicorn: median ${PEER_START_MS} ms spawn -> first 200 /ping (peer app, gunicorn -k $GW -w 2, no nginx)"
  echo "rss optml:       idle VmRSS $(kib_mib "$IDLE_RSS") MiB (VmHWM $(kib_mib "$IDLE_HWM") MiB); after load VmRSS $(kib_mib "$LOAD_RSS") MiB (VmHWM $(kib_mib "$LOAD_HWM") MiB)"
  for p in "${PEER_RSS[@]}"; do set -- $p; echo "rss $1: VmHWM $2 MiB summed over its processes after load"; done
  echo "optml threads:   busiest server thread in cores, per rows/conns point:$THREADS_NOTE"
  echo "optml access log: the optml+log row wrote $ACCESS_LINES access lines to a file"
  for r in "${TABLE[@]}"; do set -- $r; case $1 in optml*) [ "$7" = 0 ] || echo "WARNING: $1 rows=$2 conns=$3 had $7 errors (see $(basename "$RAW"))";; esac; done
  if [ ${#PEER_RSS[@]} -gt 0 ] || [ -n "$PEER_VERSIONS" ]; then
    echo
    echo "ratios optml/peer (rps: above 1 = optml serves more; p99: below 1 = optml answers faster)"
    for ps in $PEER_STACKS; do
      for pt in "ping 16" $(for r in $ROWS; do for c in $CONNS; do echo "$r:$c"; done; done); do
        pt=${pt/:/ }; set -- $pt
        o=$(get optml "$1" "$2"); p=$(get "$ps" "$1" "$2")
        [ -n "$o" ] && [ -n "$p" ] || continue
        set -- $o; orps=$4; op99=$6; set -- $p; prps=$4; pp99=$6
        awk -v s="$ps" -v r="$2" -v c="$3" -v a="$orps" -v b="$prps" -v x="$op99" -v y="$pp99" 'BEGIN {
          if (a + 0 == 0 || b + 0 == 0 || y + 0 == 0) { printf "ratio vs %-15s rows=%-4s conns=%-3s n/a\n", s, r, c; exit }
          printf "ratio vs %-15s rows=%-4s conns=%-3s rps %6.2fx   p99 %6.3fx\n", s, r, c, a / b, x / y }'
      done
    done
  fi
  echo
  echo "total bench time $((SECONDS - T_START)) s"
  if [ -s "$W/attacks.txt" ]; then echo; cat "$W/attacks.txt"; fi
} > "$W/results.txt"
bench_publish "$OUT" "$RAW" "raw wrk and peer output"
