#!/usr/bin/env bash
# Training-report cost (issue #14: "writing it costs under 1 % of the
# training time"): for jobs from the smallest shipped sample to the
# benchmark's larger data sets, the time `optml train` spends building and
# writing output/data/report.html (its own "Training report: ... written in
# X ms" line) against the job's time ("Training complete in S s", the whole
# of `optml train` after start-up) and against the process wall time.
# Median of RUNS runs per job; the ratio is computed per run, then the median
# taken.  Jobs:
#   ll-breast-cancer  local_test/linear-learner/test_dir as shipped (455 rows)
#   ll-synth-200k     200,000 x 25 synthetic regression (awk, seed fixed), 3 epochs
#   ll-fmnist-10k     10,000 Fashion-MNIST rows, 784 features, 10 classes, 3 epochs
#                     (needs dataset-fashion-mnist and /usr/bin/python3 with numpy;
#                     skipped when absent)
#   nc-news-sample    local_test/news-classifier/test_dir as shipped (5,560 rows)
# Writes bench/results/report.txt (raw log: report.raw.log).
# Env: OPTML_BUILD=build RUNS=7 OUT=bench/results/report.txt
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
OPTML=$BUILD/bin/optml
RUNS=${RUNS:-7}
OUT=${OUT:-$REPO/bench/results/report.txt}
RAW=${OUT%.txt}.raw.log
W=$(mktemp -d /tmp/optml-bench-report.XXXXXX)
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"
die() { echo "bench/report.sh: $*" >&2; exit 1; }
[ -x "$OPTML" ] || die "$OPTML missing: run make first"

# job NAME ALGORITHM TREE: RUNS trainings of a copy of TREE; one result line.
job() {
  local name=$1 alg=$2 tree=$3 i start end
  local -a train=() report=() wall=() share=() pshare=()
  for i in $(seq "$RUNS"); do
    rm -rf "$W/run" && cp -r "$tree" "$W/run" && rm -rf "$W/run/model" "$W/run/output"
    start=$(date +%s%N)
    SAGEMAKER_BASE_DIR=$W/run OPTML_ALGORITHM=$alg OPTML_MODULE_PATH=$BUILD/lib/optml \
      "$OPTML" train > "$W/log" 2>&1 || { cat "$W/log" >> "$W/raw.log"; die "$name: training failed"; }
    end=$(date +%s%N)
    grep -E "Training complete|Training report" "$W/log" >> "$W/raw.log"
    local t r
    t=$(sed -n 's/.*Training complete in \([0-9.]*\) s.*/\1/p' "$W/log")
    r=$(sed -n 's/.*Training report: .*written in \([0-9.]*\) ms.*/\1/p' "$W/log")
    [ -n "$t" ] && [ -n "$r" ] || die "$name: no timing lines in the log"
    train+=("$t") report+=("$r") wall+=("$(( (end - start) / 1000 ))")
    share+=("$(awk -v r="$r" -v t="$t" 'BEGIN {printf "%.3f", 100 * r / 1000 / t}')")
    pshare+=("$(awk -v r="$r" -v w="${wall[-1]}" 'BEGIN {printf "%.3f", 100 * r * 1000 / w}')")
  done
  local bytes
  bytes=$(stat -c %s "$W/run/output/data/report.html")
  printf '%-18s %9s %9s %10s %9s %8s %10s\n' "$name" "$(median "${train[@]}")" "$(median "${wall[@]}")" \
    "$(median "${report[@]}")" "$bytes" "$(median "${share[@]}")" "$(median "${pshare[@]}")" | tee -a "$W/results.txt"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# 200,000 x 25 regression: y = w.x + noise, fixed seed (awk's srand).
awk 'BEGIN {srand(7); for (j = 1; j <= 25; j++) w[j] = rand() * 2 - 1;
  for (i = 0; i < 200000; i++) { y = 0; line = "";
    for (j = 1; j <= 25; j++) { x = rand() * 2 - 1; y += w[j] * x; line = line "," sprintf("%.5f", x) }
    printf "%.5f%s\n", y + (rand() - 0.5) * 0.2, line } }' > "$W/synth.csv"
mk_tree() { # DIR HYPERPARAMETERS CSV: a File-mode tree with one train channel
  mkdir -p "$1/input/config" "$1/input/data/train"
  echo "$2" > "$1/input/config/hyperparameters.json"
  echo '{"train": {"ContentType": "text/csv", "TrainingInputMode": "File"}}' > "$1/input/config/inputdataconfig.json"
  mv "$3" "$1/input/data/train/data.csv"
}
mk_tree "$W/synth" '{"predictor_type": "regressor", "feature_dim": "25", "epochs": "3", "mini_batch_size": "1000"}' "$W/synth.csv"
have_fmnist=0
if [ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  /usr/bin/python3 - "$W/fmnist.csv" <<'EOF' && have_fmnist=1
import gzip, sys
import numpy as np
d = "/usr/share/datasets/fashion-mnist/"
x = np.frombuffer(gzip.open(d + "train-images-idx3-ubyte.gz").read(), np.uint8, offset=16).reshape(-1, 784)[:10000]
y = np.frombuffer(gzip.open(d + "train-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)[:10000]
np.savetxt(sys.argv[1], np.column_stack([y, x]), fmt="%d", delimiter=",")
EOF
  [ "$have_fmnist" = 1 ] && mk_tree "$W/fmnist" \
    '{"predictor_type": "multiclass_classifier", "num_classes": "10", "feature_dim": "784", "epochs": "3", "normalize_data": "true"}' \
    "$W/fmnist.csv"
fi

{
  echo "optml training-report cost (bench/report.sh; what each column is: the header of the script)"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ) (start of the run)"
  echo "command: RUNS=$RUNS bash bench/report.sh"
  bench_provenance ", 2 cores shared with other work"
  echo "medians of $RUNS runs; share = report ms / job ms, per run"
  echo
  printf '%-18s %9s %9s %10s %9s %8s %10s\n' job "job s" "wall us" "report ms" "bytes" "% job" "% wall"
} > "$W/results.txt"
cat "$W/results.txt"
job ll-breast-cancer linear-learner "$REPO/local_test/linear-learner/test_dir"
job ll-synth-200k linear-learner "$W/synth"
if [ "$have_fmnist" = 1 ]; then
  job ll-fmnist-10k linear-learner "$W/fmnist"
else
  echo "ll-fmnist-10k      skipped: dataset-fashion-mnist or /usr/bin/python3 numpy missing" | tee -a "$W/results.txt"
fi
job nc-news-sample news-classifier "$REPO/local_test/news-classifier/test_dir"
bench_publish "$OUT" "$RAW" "the timing lines of every run"
