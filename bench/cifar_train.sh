#!/usr/bin/env bash
# cifar-cnn training step (issue #15, benchmarks: "training images/s at
# batch 128 on 32x32x3"): `optml train` of cifar-cnn on N random CIFAR-10
# binary images (32x32x3, 10 classes), one epoch at batch 128, per
# architecture, augmentation on (the default); the images/s are the
# runtime's `#throughput_metric` of the epoch (reading, augmentation,
# forward, backward and the optimizer step; the data check before the
# epoch is not in it).  Median of RUNS runs.
# Writes bench/results/cifar-cnn-train.txt.
# Env: OPTML_BUILD=build RUNS=3 N=5120 THREADS=auto OUT=...
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
OPTML=$BUILD/bin/optml
RUNS=${RUNS:-3}
N=${N:-5120}
THREADS=${THREADS:-auto}
OUT=${OUT:-$REPO/bench/results/cifar-cnn-train.txt}
PY=/usr/bin/python3
W=$(mktemp -d /tmp/optml-bench-cifar-train.XXXXXX)
trap 'rm -rf "$W"' EXIT
die() { echo "bench/cifar_train.sh: $*" >&2; exit 1; }
[ -x "$OPTML" ] || die "$OPTML missing: run make first"
$PY -c 'import numpy' 2>/dev/null || die "$PY with numpy needed"

mkdir -p "$W/input/data/train" "$W/input/config"
$PY - "$N" "$W/input/data/train/data_batch_1.bin" <<'PYEOF'
import sys
import numpy as np
n, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(1)
rec = np.empty((n, 3073), np.uint8)
rec[:, 0] = rng.integers(0, 10, n)
rec[:, 1:] = rng.integers(0, 256, (n, 3072))
rec.tofile(path)
PYEOF

{
  echo "# bench/cifar_train.sh: cifar-cnn training images/s, one epoch of $N random 32x32x3 images,"
  echo "# batch 128, augmentation on, threads=$THREADS, median of $RUNS runs ($(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
  echo "# command: RUNS=$RUNS N=$N THREADS=$THREADS bench/cifar_train.sh"
  printf '%-20s %12s\n' architecture images/s
} >"$OUT"
for arch in keras-cifar10 sagemaker-cifar10; do
  vals=()
  for _ in $(seq "$RUNS"); do
    rm -rf "$W/model" "$W/output"
    printf '{"architecture": "%s", "epochs": "1", "batch-size": "128", "threads": "%s"}' "$arch" "$THREADS" \
      >"$W/input/config/hyperparameters.json"
    v=$(SAGEMAKER_BASE_DIR=$W OPTML_ALGORITHM=cifar-cnn OPTML_MODULE_PATH=$BUILD/lib/optml "$OPTML" train 2>&1 |
        sed -n 's/.*train throughput=\([0-9.]*\) records.*/\1/p' | tail -1)
    [ -n "$v" ] || die "no throughput line for $arch"
    vals+=("$v")
  done
  med=$(printf '%s\n' "${vals[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-20s %12s   (runs: %s)\n' "$arch" "$med" "${vals[*]}" >>"$OUT"
done
cat "$OUT"
