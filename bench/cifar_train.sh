#!/usr/bin/env bash
# cifar-cnn training step (issue #15, benchmarks: "training images/s at
# batch 128 on 32x32x3"): `optml train` of cifar-cnn on N random CIFAR-10
# binary images (32x32x3, 10 classes), one epoch at batch 128, per
# architecture and per convolution engine (OPTML_CONV_ENGINE: onednn, the
# default when the build has oneDNN, and im2col), augmentation on (the
# default); the images/s are the runtime's `#throughput_metric` of the
# epoch (reading, augmentation, forward, backward and the optimizer step;
# the data check before the epoch is not in it).  The engines' runs are
# interleaved (run 1 of each, then run 2, ...) so that load from elsewhere
# on this shared machine falls on both alike, each after waiting up to
# QUIET_MAX s for the machine to go idle; best and median of RUNS runs.
# Writes bench/results/cifar-cnn-train.txt.
# The threading alternatives measured for the choice (docs/nn.md): engine
# onednn-omp runs oneDNN on the whole batch with its OpenMP threads
# (OPTML_DNNL_OMP=1) instead of one OpenMP thread per share of our team,
# onednn-omp-passive the same with OMP_WAIT_POLICY=passive.
# Env: OPTML_BUILD=build RUNS=3 N=5120 THREADS=auto ENGINES="onednn im2col" QUIET_MAX=30 OUT=...
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
OPTML=$BUILD/bin/optml
RUNS=${RUNS:-3}
N=${N:-5120}
THREADS=${THREADS:-auto}
ENGINES=${ENGINES:-onednn im2col}
QUIET_MAX=${QUIET_MAX:-30}
HZ=$(getconf CLK_TCK)
busy_jiffies() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat; }
# before each run: wait until the last 2 s averaged < 0.3 busy cores, at most QUIET_MAX s
wait_quiet() {
  local start=$SECONDS a b
  while [ $((SECONDS - start)) -lt "$QUIET_MAX" ]; do
    a=$(busy_jiffies); sleep 2; b=$(busy_jiffies)
    awk -v a="$a" -v b="$b" -v hz="$HZ" 'BEGIN {exit !((b - a) / hz / 2 < 0.3)}' && return
  done
}
OUT=${OUT:-$REPO/bench/results/cifar-cnn-train.txt}
PY=/usr/bin/python3
W=$(mktemp -d /tmp/optml-bench-cifar-train.XXXXXX)
trap 'rm -rf "$W"' EXIT
die() { echo "bench/cifar_train.sh: $*" >&2; exit 1; }
[ -x "$OPTML" ] || die "$OPTML missing: run make first"
$PY -c 'import numpy' 2>/dev/null || die "$PY with numpy needed"

mkdir -p "$W/input/data/train" "$W/input/config"
$PY "$BENCH_DIR/tools/cifar_random.py" "$N" "$W/input/data/train/data_batch_1.bin"

ldd "$BUILD/lib/optml/cifar-cnn.so" | grep -q libdnnl || case " $ENGINES " in *" onednn "*)
  die "this build has no oneDNN (cifar-cnn.so does not link libdnnl): ENGINES=im2col" ;; esac
{
  echo "# bench/cifar_train.sh: cifar-cnn training images/s, one epoch of $N random 32x32x3 images,"
  echo "# batch 128, augmentation on, threads=$THREADS, best and median of $RUNS interleaved runs per engine"
  echo "# ($(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); oneDNN: $(dpkg-query -W -f '${Version}' libdnnl-dev 2>/dev/null || echo none))"
  echo "# command: RUNS=$RUNS N=$N THREADS=$THREADS ENGINES=\"$ENGINES\" bash bench/cifar_train.sh"
  printf '%-20s %-18s %10s %10s\n' architecture engine best median
} >"$OUT"
for arch in keras-cifar10 sagemaker-cifar10; do
  declare -A vals=()
  for _ in $(seq "$RUNS"); do
    for eng in $ENGINES; do
      rm -rf "$W/model" "$W/output"
      wait_quiet
      printf '{"architecture": "%s", "epochs": "1", "batch-size": "128", "threads": "%s"}' "$arch" "$THREADS" \
        >"$W/input/config/hyperparameters.json"
      envs=(OPTML_CONV_ENGINE=${eng%%-*})
      case $eng in
        onednn-omp) envs+=(OPTML_DNNL_OMP=1) ;;
        onednn-omp-passive) envs+=(OPTML_DNNL_OMP=1 OMP_WAIT_POLICY=passive) ;;
      esac
      v=$(env "${envs[@]}" SAGEMAKER_BASE_DIR=$W OPTML_ALGORITHM=cifar-cnn OPTML_MODULE_PATH=$BUILD/lib/optml \
          "$OPTML" train 2>&1 | sed -n 's/.*train throughput=\([0-9.]*\) records.*/\1/p' | tail -1)
      [ -n "$v" ] || die "no throughput line for $arch ($eng)"
      vals[$eng]="${vals[$eng]:-} $v"
    done
  done
  for eng in $ENGINES; do
    read -r -a runs <<<"${vals[$eng]}"
    best=$(printf '%s\n' "${runs[@]}" | sort -g | tail -1)
    med=$(printf '%s\n' "${runs[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%-20s %-18s %10s %10s   (runs: %s)\n' "$arch" "$eng" "$best" "$med" "${runs[*]}" >>"$OUT"
  done
  unset vals
done
cat "$OUT"
