#!/usr/bin/env bash
# Multi-host benchmark (issue #17): the built-in-algorithms workshop's
# experiment on this machine, without Docker.  The linear learner on the
# 2,000,000 x 25 synthetic regression (the peer's generator, as
# bench/linear.sh) split into 5 files, trained with the workshop's
# hyperparameters (feature_dim=25, mini_batch_size=500,
# predictor_type=regressor, epochs=2, num_models=32, loss=absolute_loss) on
#   - 1 host,
#   - 5 hosts FullyReplicated (every host holds the 5 files and takes a
#     fifth of the rows),
#   - 5 hosts ShardedByS3Key (a file per host),
# the 5 "hosts" being 127.0.0.1 .. 127.0.0.5 on the loopback interface, each
# `optml train` with its own /opt/ml tree and TMPDIR (as tests/integration/
# dist_helpers.c runs them).  Reports each job's held-out error (the `test`
# channel: 200,000 fresh rows of the same distribution, bench/tools/
# linear_data.py synth-test) and wall time.  Accuracy is the claim: 5 ranks
# on 2 shared cores cannot show a speed-up.  Writes bench/results/
# multi-host.txt (and the jobs' logs to multi-host.raw.log).
#
# Env (all optional):
#   OPTML_BUILD=build        build directory (bin/optml, lib/optml/linear-learner.so, the MPI plugin)
#   CSV=/tmp/optml-bench-synth-2m-25.csv   the training CSV (generated when absent; kept)
#   OUT=bench/results/multi-host.txt
#   HOSTS=5
set -euo pipefail
cd "$(dirname "$0")/.."
B=${OPTML_BUILD:-build}
CSV=${CSV:-/tmp/optml-bench-synth-2m-25.csv}
OUT=${OUT:-bench/results/multi-host.txt}
RAW=${OUT%.txt}.raw.log
HOSTS=${HOSTS:-5}
PY=/usr/bin/python3
PEERS_DIR=${PEERS_DIR:-$(cd .. && pwd)/shared/peers}
if [ ! -x "$B/bin/optml" ] || [ ! -f "$B/lib/optml/linear-learner.so" ]; then echo "build first: make -j2" >&2; exit 2; fi
if [ ! -f "$B/lib/optml/dist/optml-mpi.so" ] || ! command -v mpirun >/dev/null; then
  echo "needs Open MPI (openmpi-bin libopenmpi-dev) and $B/lib/optml/dist/optml-mpi.so" >&2; exit 2
fi
W=$(mktemp -d /tmp/optml-bench-mh.XXXXXX)
. bench/lib.sh  # PIDS stopped and W removed on exit
: >"$RAW"

if [ ! -s "$CSV" ]; then
  echo "generating $CSV with the peer's generator (linear_bench.py synth-csv)" >&2
  "$PY" "$PEERS_DIR/linear_bench.py" synth-csv "$CSV" >>"$RAW" 2>&1
fi
mkdir -p "$W/parts" "$W/test"
(cd "$W/parts" && split -n "l/$HOSTS" -d --additional-suffix=.csv "$CSV" part-)
"$PY" bench/tools/linear_data.py synth-test "$W/test/test.csv" 200000 >>"$RAW" 2>&1
HP='{"feature_dim": "25", "mini_batch_size": "500", "predictor_type": "regressor", "epochs": "2", "num_models": "32", "loss": "absolute_loss"}'

# tree N I SHARDED: the /opt/ml tree of host I (0-based) of N.
tree() {
  local n=$1 i=$2 sharded=$3 t=$W/job-$1-$3/h$2 dist=FullyReplicated f k=0
  mkdir -p "$t/input/config" "$t/input/data/train" "$t/input/data/test" "$t/tmp"
  echo "$HP" >"$t/input/config/hyperparameters.json"
  [ "$sharded" -eq 0 ] || dist=ShardedByS3Key
  printf '{"train": {"ContentType": "text/csv", "S3DistributionType": "%s"}, "test": {"ContentType": "text/csv"}}\n' \
    "$dist" >"$t/input/config/inputdataconfig.json"
  for f in "$W"/parts/part-*.csv; do
    if [ "$sharded" -eq 0 ] || [ $((k % n)) -eq "$i" ]; then ln "$f" "$t/input/data/train/"; fi
    k=$((k + 1))
  done
  ln "$W/test/test.csv" "$t/input/data/test/"
  if [ "$n" -gt 1 ]; then
    local hosts="" j
    for j in $(seq 1 "$n"); do hosts="$hosts\"127.0.0.$j\","; done
    printf '{"current_host": "127.0.0.%d", "hosts": [%s], "network_interface_name": "lo"}\n' $((i + 1)) "${hosts%,}" \
      >"$t/input/config/resourceconfig.json"
  fi
  echo "$t"
}

# job N SHARDED: runs it, prints "wall_s test_absolute_loss test_rmse".
job() {
  local n=$1 sharded=$2 i t0 t1 log code=0 port=$((21000 + RANDOM % 20000))
  PIDS=()
  local trees=()
  for i in $(seq 0 $((n - 1))); do trees+=("$(tree "$n" "$i" "$sharded")"); done
  t0=$(date +%s.%N)
  for i in $(seq 0 $((n - 1))); do
    SAGEMAKER_BASE_DIR=${trees[$i]} TMPDIR=${trees[$i]}/tmp OPTML_MODULE_PATH=$B/lib/optml \
      OPTML_ALGORITHM=linear-learner OPTML_DIST_PORT=$port OPTML_DIST_WAIT_SECONDS=60 \
      "$B/bin/optml" train >"${trees[$i]}/job.log" 2>&1 &
    PIDS+=($!)
  done
  for i in "${!PIDS[@]}"; do wait "${PIDS[$i]}" || code=$?; done
  t1=$(date +%s.%N)
  PIDS=()
  log=${trees[0]}/job.log
  { echo "== $n host(s), sharded=$sharded, exit $code"; cat "$log"; } >>"$RAW"
  [ "$code" -eq 0 ] || { echo "job of $n host(s) (sharded=$sharded) failed: see $RAW" >&2; exit 1; }
  printf '%.2f %s %s\n' "$(echo "$t1 - $t0" | bc)" \
    "$(grep -o 'test absolute_loss <loss>=[0-9.e-]*' "$log" | tail -n 1 | cut -d= -f2)" \
    "$(grep -o 'test rmse <loss>=[0-9.e-]*' "$log" | tail -n 1 | cut -d= -f2)"
}

read -r w1 a1 r1 < <(job 1 0)
read -r wf af rf < <(job "$HOSTS" 0)
read -r ws as rs < <(job "$HOSTS" 1)
{
  echo "# bench/multi_host.sh ($(date -u +%Y-%m-%d), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
  echo "# command: bash bench/multi_host.sh  (HOSTS=$HOSTS)"
  echo "# data: $CSV ($(wc -l <"$CSV") rows x 25) split into $HOSTS files; test: 200,000 fresh rows (linear_data.py synth-test)"
  echo "# hyperparameters: $HP"
  echo "# hosts: 127.0.0.1..127.0.0.$HOSTS on the loopback interface, one optml train each (own tree and TMPDIR)"
  printf '%-34s %10s %18s %12s\n' "job" "wall (s)" "test absolute_loss" "test rmse"
  printf '%-34s %10s %18s %12s\n' "1 host" "$w1" "$a1" "$r1"
  printf '%-34s %10s %18s %12s\n' "$HOSTS hosts FullyReplicated" "$wf" "$af" "$rf"
  printf '%-34s %10s %18s %12s\n' "$HOSTS hosts ShardedByS3Key" "$ws" "$as" "$rs"
} | tee "$OUT"
