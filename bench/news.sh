#!/usr/bin/env bash
# News-classifier benchmark (issue #6): the news-classifier module against the
# short-text peers of ../shared/peers/01-text.sh (fastText CLI, scikit-learn
# TF-IDF + LogisticRegression / LinearSVC, the Keras workshop network in
# PyTorch) on two corpora in the newsCorpora.csv layout, first 80 % of rows
# training, last 20 % validation:
#   debian-descriptions  the shipped corpus (local_test/news-classifier/test_dir,
#                        training/ + validation/ = 5,560 rows, 4 sections)
#   debian-apt           built here from `apt-cache dumpavail` by
#                        bench/tools/debian_corpus.py (every section with at
#                        least 200 packages, shuffled with seed 0; ~60,000 rows)
# For each: held-out accuracy, training wall time and peak RSS (/usr/bin/time
# -v) of `optml train` (default hyperparameters, and architecture=workshop)
# and of every peer, with ratios against fastText's defaults and the best
# peer.  Then serving: bench/serving.sh with OPTML_BENCH_MODULE=news-classifier
# (single-headline JSON requests) against the classic Flask stack
# (../shared/peers/05-serving.sh) in the same run.
# Writes bench/results/news-classifier.txt (raw logs: news-classifier.raw.log,
# and serving-news-classifier.txt / .raw.log from bench/serving.sh).
#
# Env (all optional):
#   OPTML_BUILD=build   PEERS_DIR=<repo>/../shared/peers   PY=/usr/bin/python3
#   PEER=1              0: optml alone
#   PEER_TIMEOUT=2400   bound on the text peers, in seconds
#   SERVING=1           0: skip the serving part
#   DURATION=10s CONNS="16 64"   the serving points (bench/serving.sh)
#   MIN_PER_SECTION=200 CORPUS_SEED=0   the larger corpus
#   OUT=bench/results/news-classifier.txt
# Only processes this script starts are stopped, by PID; traffic 127.0.0.1 only.
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
OPTML=$BUILD/bin/optml
PEERS_DIR=${PEERS_DIR:-$REPO/../shared/peers}
PY=${PY:-/usr/bin/python3}
PEER=${PEER:-1}
PEER_TIMEOUT=${PEER_TIMEOUT:-2400}
SERVING=${SERVING:-1}
OUT=${OUT:-$BENCH_DIR/results/news-classifier.txt}
RAW=${OUT%.txt}.raw.log
SHIPPED=$REPO/local_test/news-classifier/test_dir/input/data
HZ=$(getconf CLK_TCK)

die() { echo "bench/news: $*" >&2; exit 1; }
[ -x "$OPTML" ] || die "$OPTML not built: run make"
[ -f "$BUILD/lib/optml/news-classifier.so" ] || die "$BUILD/lib/optml/news-classifier.so not built: run make"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: run 'bash bench/deps.sh' as root"
command -v apt-cache >/dev/null || die "apt-cache not found (the larger corpus comes from apt-cache dumpavail)"

W=$(mktemp -d /tmp/optml-bench-news.XXXXXX)
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkdir -p "$(dirname "$OUT")"
: > "$W/raw.log"
T_START=$SECONDS; DATE_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)

wait_quiet() {  # at most $1 s for the last 3 s to average < 0.15 busy cores
  local start=$SECONDS a b busy
  while :; do
    a=$(busy_jiffies); sleep 3; b=$(busy_jiffies)
    busy=$(awk -v a="$a" -v b="$b" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz / 3}')
    if awk -v x="$busy" 'BEGIN {exit !(x < 0.15)}'; then log "QUIET busy_cores=$busy waited_s=$((SECONDS - start))"; return; fi
    if [ $((SECONDS - start)) -ge "$1" ]; then log "QUIET-TIMEOUT busy_cores=$busy waited_s=$((SECONDS - start)) (figures may be contended)"; return; fi
  done
}

# ---------------------------------------------------------------- corpora
# Named <name>.newsCorpora.csv: the peers call a corpus by that prefix.
mkdir -p "$W/data"
cat "$SHIPPED"/training/* "$SHIPPED"/validation/* > "$W/data/debian-descriptions.newsCorpora.csv"
"$PY" "$BENCH_DIR/tools/debian_corpus.py" "$W/data/debian-apt.newsCorpora.csv" \
  "${MIN_PER_SECTION:-200}" "${CORPUS_SEED:-0}" 2> "$W/corpus.log" || die "debian_corpus.py failed: $(cat "$W/corpus.log")"
CORPUS_NOTE=$(cat "$W/corpus.log"); log "$CORPUS_NOTE"
CORPORA=(debian-descriptions debian-apt)
declare -A NROWS NTRAIN NCLASS
for c in "${CORPORA[@]}"; do
  csv=$W/data/$c.newsCorpora.csv
  n=$(wc -l < "$csv"); ntr=$(awk -v n="$n" 'BEGIN {print int(n * 0.8)}')   # as the peers: int(0.8 n)
  NROWS[$c]=$n; NTRAIN[$c]=$ntr; NCLASS[$c]=$(cut -f5 "$csv" | sort -u | wc -l)
  mkdir -p "$W/$c/input/config" "$W/$c/input/data/training" "$W/$c/input/data/validation"
  head -n "$ntr" "$csv" > "$W/$c/input/data/training/newsCorpora.csv"
  tail -n +"$((ntr + 1))" "$csv" > "$W/$c/input/data/validation/newsCorpora.csv"
  log "CORPUS $c rows=$n training=$ntr validation=$((n - ntr)) classes=${NCLASS[$c]}"
done
cmp -s <(cat "$SHIPPED"/training/*) "$W/debian-descriptions/input/data/training/newsCorpora.csv" \
  || die "the shipped training/ is not the first 80 % of the shipped corpus"

# ---------------------------------------------------------------- optml
# Rows of the results: "corpus system acc wall_s rss_mib other_cores".
ROWS_T=()
# run_optml CORPUS SYSTEM HYPERPARAMETERS_JSON
run_optml() {
  local c=$1 sys=$2 hp=$3 tree=$W/$1 tf=$W/time.txt j0 j1 rc wall rss user sy acc other
  rm -rf "$tree/model" "$tree/output"
  echo "$hp" > "$tree/input/config/hyperparameters.json"
  j0=$(busy_jiffies)
  SAGEMAKER_BASE_DIR=$tree OPTML_MODULE_PATH=$BUILD/lib/optml OPTML_ALGORITHM=news-classifier \
    /usr/bin/time -v -o "$tf" "$OPTML" train > "$W/train-$c-$sys.log" 2>&1
  rc=$?
  j1=$(busy_jiffies)
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "%.2f", s}' "$tf")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$tf")
  user=$(awk -F': ' '/User time/ {print $2}' "$tf"); sy=$(awk -F': ' '/System time/ {print $2}' "$tf")
  other=$(awk -v a="$j0" -v b="$j1" -v hz="$HZ" -v u="$user" -v s="$sy" -v w="$wall" \
          'BEGIN {o = ((b - a) / hz - u - s) / (w > 0 ? w : 1); if (o < 0) o = 0; printf "%.2f", o}')
  acc=$("$PY" -c 'import json, sys; print("%.4f" % json.load(open(sys.argv[1]))["validation_accuracy"])' \
        "$tree/model/model.json" 2>/dev/null || echo fail)
  { echo "== optml $c $sys hyperparameters $hp (rc=$rc)"; grep -E 'rows|Training complete|val_acc|dropped' "$W/train-$c-$sys.log" | tail -n 8; } >> "$W/raw.log"
  [ "$rc" -eq 0 ] || { log "optml $c $sys exited $rc: $(cat "$tree/output/failure" 2>/dev/null)"; acc=fail; }
  log "OPTML $c $sys val_acc=$acc wall_s=$wall maxrss_mib=$rss user_s=$user sys_s=$sy other_cores=$other"
  ROWS_T+=("$c optml-$sys $acc $wall $rss $other")
}
wait_quiet 30
OPTML_VERSION=$("$OPTML" version 2>&1 | grep -m1 news-classifier | tr -s ' ')
for c in "${CORPORA[@]}"; do
  run_optml "$c" default '{}'
  run_optml "$c" workshop '{"architecture": "workshop"}'
done

# ---------------------------------------------------------------- peers
PEER_NOTE=""; PEER_MACHINE=""
if [ "$PEER" = 0 ]; then
  PEER_NOTE="peers: skipped (PEER=0)"
elif [ ! -f "$PEERS_DIR/01-text.sh" ]; then
  PEER_NOTE="peers: $PEERS_DIR/01-text.sh absent: optml alone"
elif ! command -v fasttext >/dev/null || ! "$PY" -c 'import sklearn, torch' 2>/dev/null; then
  PEER_NOTE="peers: not run, fasttext / python3-sklearn / python3-torch missing (bash bench/deps.sh)"
else
  log "== peers: $PEERS_DIR/01-text.sh on both corpora (bounded to $PEER_TIMEOUT s)"
  wait_quiet 30
  PY=$PY timeout "$PEER_TIMEOUT" bash "$PEERS_DIR/01-text.sh" \
    "$W/data/debian-descriptions.newsCorpora.csv" "$W/data/debian-apt.newsCorpora.csv" > "$W/peer.out" 2>&1 &
  TPID=$!; PIDS+=("$TPID")
  wait "$TPID"; prc=$?
  { echo "== peer output (rc=$prc)"; cat "$W/peer.out"; } >> "$W/raw.log"
  [ $prc -eq 0 ] || PEER_NOTE="peers: 01-text.sh exited $prc$([ $prc -eq 124 ] && echo " (stopped after PEER_TIMEOUT=$PEER_TIMEOUT s)"): rows missing below"
  PEER_MACHINE=$(grep -E '^(fasttext|modules):' "$W/peer.out" | tr '\n' ' ')
  # One row per peer system and corpus: accuracy from its RESULT line(s),
  # wall time and peak RSS from its TIMEV line (the whole process, as for
  # optml; fastText: the `fasttext supervised` process, the corpus already
  # in its own format).
  while read -r row; do ROWS_T+=("$row"); done < <(awk '
    function kv(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
    /^== dataset / { ds = $3 }
    /^RESULT / && $2 ~ /\/fasttext-/ { split($2, a, "/"); acc[ds " " a[2]] = kv("val_acc") }
    /^RESULT system=sklearn/ { m = kv("model"); sub(/^tfidf12\+/, "", m); sk[ds " sklearn-" m] = kv("val_acc") }
    /^RESULT model=keraslike/ { kacc[ds " keraslike-dense" kv("dense") "-10ep"] = kv("val_acc") }
    /^TIMEV / {
      split($2, a, "/"); sys = a[2]
      if (sys ~ /:test$/) next
      sub(/:train$/, "", sys); key = ds " " sys
      keys[++nk] = key; rc[key] = kv("rc"); tv[key] = kv("wall_s") " " kv("maxrss_mib") " " kv("other_cores")
    }
    END {  # fastText prints its accuracy after its TIMEV lines: match them at the end
      for (i = 1; i <= nk; i++) {
        key = keys[i]; split(key, a, " ")
        v = (key in acc) ? acc[key] : (key in sk) ? sk[key] : (key in kacc) ? kacc[key] : "fail"
        if (rc[key] != "0" || v == "") v = "fail"
        printf "%s peer-%s %s %s\n", a[1], a[2], v, tv[key]
      }
    }' "$W/peer.out")
fi
[ -n "$PEER_NOTE" ] && log "$PEER_NOTE"

# ---------------------------------------------------------------- serving
SERVE_OUT=$BENCH_DIR/results/serving-news-classifier.txt
SERVE_NOTE=""
if [ "$SERVING" = 1 ]; then
  log "== serving: bench/serving.sh OPTML_BENCH_MODULE=news-classifier ROWS=1"
  OPTML_BUILD=$BUILD OPTML_BENCH_MODULE=news-classifier ROWS=1 PEER="$PEER" PEERS_DIR="$PEERS_DIR" \
    OUT=$SERVE_OUT bash "$BENCH_DIR/serving.sh" > "$W/serving.out" 2>&1 &
  SPID=$!; PIDS+=("$SPID")
  wait "$SPID" || SERVE_NOTE="serving: bench/serving.sh exited $? (see $W/serving.out in the raw log)"
  { echo "== serving output"; cat "$W/serving.out"; } >> "$W/raw.log"
else
  SERVE_NOTE="serving: skipped (SERVING=0)"
fi

# ---------------------------------------------------------------- results
{
  echo "optml news-classifier benchmark (bench/news.sh; bench/README.md explains each figure)"
  echo "date:    $DATE_START (start of the run)"
  bench_provenance "; shared with other work"
  echo "optml:   $OPTML_VERSION; 2 training threads (auto = the CPUs); default = empty hyperparameters.json (architecture ngram),"
  echo "         workshop = {\"architecture\": \"workshop\"} (the Keras workshop network and its settings: 2 epochs, dense 2, RMSprop)"
  [ -n "$PEER_MACHINE" ] && echo "peers:   ../shared/peers/01-text.sh; $PEER_MACHINE"
  [ -n "$PEER_NOTE" ] && echo "$PEER_NOTE"
  echo "commands:"
  echo "  sudo bash bench/deps.sh && make && bash bench/news.sh      (also part of make bench)"
  echo "  corpus:  /usr/bin/python3 bench/tools/debian_corpus.py debian-apt.newsCorpora.csv ${MIN_PER_SECTION:-200} ${CORPUS_SEED:-0}"
  echo "  optml:   SAGEMAKER_BASE_DIR=<tree> OPTML_ALGORITHM=news-classifier /usr/bin/time -v build/bin/optml train"
  echo "           (<tree>/input/data/training = first 80 % of rows, validation = last 20 %)"
  echo "  peers:   bash ../shared/peers/01-text.sh debian-descriptions.newsCorpora.csv debian-apt.newsCorpora.csv"
  echo "  serving: OPTML_BENCH_MODULE=news-classifier ROWS=1 bash bench/serving.sh   (peer: ../shared/peers/05-serving.sh)"
  echo
  echo "corpora (newsCorpora.csv layout, TITLE = one-line package description, CATEGORY = archive section):"
  for c in "${CORPORA[@]}"; do
    printf '  %-20s %6d rows, %2d classes, training %6d (first 80 %%), validation %6d\n' "$c" "${NROWS[$c]}" "${NCLASS[$c]}" "${NTRAIN[$c]}" "$((NROWS[$c] - NTRAIN[$c]))"
  done
  echo "  ($CORPUS_NOTE)"
  for c in "${CORPORA[@]}"; do
    echo
    echo "== $c: held-out accuracy, training wall time and peak RSS (/usr/bin/time -v, whole process)"
    printf '%-34s %8s %9s %9s %6s\n' system accuracy "wall s" "RSS MiB" other
    for r in "${ROWS_T[@]}"; do
      # shellcheck disable=SC2086  # a row is space-separated fields
      set -- $r; [ "$1" = "$c" ] || continue
      printf '%-34s %8s %9s %9s %6s\n' "$2" "$3" "$4" "$5" "$6"
    done
    # ratios: optml rows against fastText defaults (2 threads, like optml) and
    # the most accurate peer
    printf '%s\n' "${ROWS_T[@]}" | awk -v c="$c" '
      $1 != c || $3 == "fail" { next }
      $2 ~ /^optml-/ { o[$2] = $0; on[++no] = $2; next }
      { if ($2 == "peer-fasttext-default-thread2") ft = $0; if (best == "" || $3 + 0 > bacc) { best = $0; bacc = $3 + 0 } }
      END {
        if (best == "") { print "(no peer rows: no ratios)"; exit }
        print "ratios (accuracy: optml - peer in points; wall and RSS: optml / peer, below 1 = optml faster / smaller):"
        for (i = 1; i <= no; i++) {
          split(o[on[i]], a, " ")
          n = split(ft "|" best, refs, "|")
          for (j = 1; j <= n; j++) {
            if (refs[j] == "") continue
            split(refs[j], p, " ")
            printf "  %-16s vs %-30s accuracy %+6.2f pts   wall %6.3fx   RSS %6.3fx\n", a[2], p[2] (j == 2 ? " (best)" : ""),
              (a[3] - p[3]) * 100, (p[4] > 0 ? a[4] / p[4] : 0), (p[5] > 0 ? a[5] / p[5] : 0)
          }
        }
      }'
  done
  echo "(other = cores used by other work on the machine during that run, ~0 for a clean figure; fastText's wall"
  echo " time is its training process alone, after 01-text.sh wrote its own input format; the keraslike rows are"
  echo " 10 epochs, accuracy after the 10th; sklearn rows include loading the CSV in Python)"
  echo
  echo "== serving: single-headline requests (bench/serving.sh, full table in $(basename "$SERVE_OUT"))"
  [ -n "$SERVE_NOTE" ] && echo "$SERVE_NOTE"
  if [ "$SERVING" = 1 ] && [ -f "$SERVE_OUT" ]; then
    grep -E '^(load|optml|peer|before|stack|nginx-gunicorn +1|gunicorn +1|rss|startup|ratio vs .* rows=1 )' "$SERVE_OUT" \
      | grep -v '^optml +ping\|^optml threads\|^optml access\|^optml serving benchmark'
  fi
  echo
  echo "total bench time $((SECONDS - T_START)) s"
} > "$W/results.txt"
bench_publish "$OUT" "$RAW" "raw output"
