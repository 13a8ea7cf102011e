#!/usr/bin/env bash
# Serving under attack: `optml serve` (echo module) against a slowloris and
# an endless chunked upload, on loopback (attacker 127.0.0.1, honest client
# 127.0.0.2, bench/tools/slowloris.c).  Writes the "under attack" section of
# bench/results/serving.txt: alone (`bash bench/attacks.sh`, after `make`) it
# replaces that section in the existing file and leaves the rest as it was;
# bench/serving.sh runs it at its end (ATTACKS=0 there skips it).
#
# Env (all optional):
#   OPTML_BUILD=build   CONNS_SLOW=1030 (slow connections)   INTERVAL=5 (s between header lines)
#   HOLD=30 (s the attack lasts)   PINGS=50   CHUNKED_CAP_MB=1024
#   SECTION_ONLY=FILE   write the section to FILE, touch nothing else (serving.sh uses it)
#   OUT=bench/results/serving.txt
# Only processes this script starts are stopped, by PID.
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
OPTML=$BUILD/bin/optml
CONNS_SLOW=${CONNS_SLOW:-1030}; INTERVAL=${INTERVAL:-5}; HOLD=${HOLD:-30}; PINGS=${PINGS:-50}
CHUNKED_CAP_MB=${CHUNKED_CAP_MB:-1024}
OUT=${OUT:-$BENCH_DIR/results/serving.txt}
SECTION_ONLY=${SECTION_ONLY:-}
MARK="under attack (bench/attacks.sh)"

die() { echo "attacks: $*" >&2; exit 1; }
[ -x "$OPTML" ] || die "$OPTML not built: run make"
W=$(mktemp -d /tmp/optml-attacks.XXXXXX)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
# shellcheck source=bench/modules/echo.sh
. "$BENCH_DIR/modules/echo.sh"

cc -std=gnu11 -O2 -pthread -o "$W/slowloris" "$BENCH_DIR/tools/slowloris.c" || die "cannot build bench/tools/slowloris.c"
cc -std=gnu11 -O2 -o "$W/startprobe" "$BENCH_DIR/tools/startprobe.c" || die "cannot build bench/tools/startprobe.c"
# 1,030 connections on each side, and the server's own: raise the soft limit.
[ "$(ulimit -n)" -ge $((CONNS_SLOW + 256)) ] || ulimit -n $((CONNS_SLOW + 256)) 2>/dev/null \
  || die "ulimit -n $(ulimit -n) is below $((CONNS_SLOW + 256)) and cannot be raised"
bench_prepare_tree "$W/tree" >> "$W/raw.log" 2>&1 || die "training the echo model failed (see $W/raw.log)"
export SAGEMAKER_BASE_DIR=$W/tree OPTML_MODULE_PATH=$BENCH_MODULE_PATH OPTML_ALGORITHM=$BENCH_ALGORITHM
T_START=$SECONDS

start_server() {  # start_server LOG [NAME=value...]: sets SPID, PORT
  local logf=$1; shift
  PORT=$("$W/startprobe" port)
  env OPTML_ACCESS_LOG=0 SAGEMAKER_BIND_TO_PORT="$PORT" "$@" "$OPTML" serve >> "$logf" 2>&1 &
  SPID=$!; PIDS+=("$SPID")
  for _ in $(seq 200); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/ping" && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.05
  done
  die "optml serve did not answer 200 on port $PORT (log: $logf)"
}
stop_server() {
  kill -TERM "$SPID" 2>/dev/null
  for _ in $(seq 300); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SPID" 2>/dev/null
  wait "$SPID" 2>/dev/null
}

ROWS_OUT=()
slowloris_point() {  # slowloris_point LABEL [NAME=value...]
  local label=$1; shift
  start_server "$W/serve-$label.log" "$@"
  local line; line=$("$W/slowloris" attack "$PORT" "$CONNS_SLOW" "$INTERVAL" "$HOLD" "$PINGS")
  stop_server
  log "POINT $label $* :: $line"
  grep -h 'Connections:\|Closed [0-9]* connection' "$W/serve-$label.log" >> "$W/raw.log"
  ROWS_OUT+=("$label|$line")
}
slowloris_point defaults
slowloris_point no-per-client-cap OPTML_HTTP_MAX_CONNECTIONS_PER_CLIENT=0

start_server "$W/serve-chunked.log"
CHUNKED=$("$W/slowloris" chunked "$PORT" "$CHUNKED_CAP_MB")
stop_server
log "$CHUNKED"
grep -h 'HTTP 413' "$W/serve-chunked.log" >> "$W/raw.log"
LIMIT=$(grep -o '[0-9]*-byte bodies' "$W/serve-chunked.log" | head -n 1)

kv() { awk -v k="$1" '{for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) {print substr($i, length(k) + 2); exit}}' <<< "$2"; }
{
  echo "---- $MARK"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ); command: bash bench/attacks.sh (CONNS_SLOW=$CONNS_SLOW INTERVAL=$INTERVAL HOLD=$HOLD PINGS=$PINGS)"
  bench_provenance
  echo "slowloris: $CONNS_SLOW connections from 127.0.0.1, each a request line then a header line every $INTERVAL s, never"
  echo "ending its headers, for $HOLD s; meanwhile $PINGS GET /ping from 127.0.0.2 (fresh connection each, 100 ms apart,"
  echo "from the 1st second).  Server: echo module, default settings unless the row says otherwise."
  printf '%-18s %9s %9s %6s %9s %9s %7s %6s %9s %9s %9s\n' setting connected "at once" cut "cut p50 s" "cut max s" "open@end" "ping ok" "p50 ms" "p99 ms" "max ms"
  for r in "${ROWS_OUT[@]}"; do
    l=${r#*|}
    printf '%-18s %9s %9s %6s %9s %9s %7s %6s %9s %9s %9s\n' "${r%%|*}" "$(kv connected "$l")" "$(kv closed_at_once "$l")" \
      "$(kv cut "$l")" "$(kv cut_p50_s "$l")" "$(kv cut_max_s "$l")" "$(kv open_at_end "$l")" "$(kv ok "$l")/$(kv pings "$l")" \
      "$(kv p50_ms "$l")" "$(kv p99_ms "$l")" "$(kv max_ms "$l")"
  done
  echo "(defaults: OPTML_HTTP_MAX_CONNECTIONS=1024, OPTML_HTTP_MAX_CONNECTIONS_PER_CLIENT=512, OPTML_HTTP_HEADER_TIMEOUT=20;"
  echo " at once = closed by the server within 1 s of connecting (over the per-client cap); cut = closed later, at the"
  echo " header deadline, seconds from connect; open@end = still open when the attack stopped)"
  echo "chunked upload over the limit ($LIMIT): the client got $(kv sent_bytes "$CHUNKED") bytes into its socket (64 KiB send"
  echo " buffer) before the server answered $(kv status "$CHUNKED") after $(kv ms "$CHUNKED") ms; that bounds what the server read"
  echo " (before this change it read a chunked body to its end, however long, then answered)"
  echo "attack section time $((SECONDS - T_START)) s"
} > "$W/section.txt"

if [ -n "$SECTION_ONLY" ]; then
  cp "$W/section.txt" "$SECTION_ONLY"
  cat "$W/section.txt"
  exit 0
fi
# Alone: keep the rest of the results file, replace (or add) this section.
if [ -f "$OUT" ]; then
  awk -v m="---- $MARK" 'index($0, m) == 1 {exit} {print}' "$OUT" > "$W/results.txt"
  [ ! -s "$W/results.txt" ] || [ -z "$(tail -n 1 "$W/results.txt")" ] || echo >> "$W/results.txt"
fi
cat "$W/section.txt" >> "$W/results.txt"
RAW=${OUT%.txt}.attacks.raw.log
bench_publish "$OUT" "$RAW" "raw attack output"
