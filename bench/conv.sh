#!/usr/bin/env bash
# Conv engine micro-benchmark (issue #15 item 2): the four convolutions of
# the Keras cifar10_cnn network at batch 128, forward and backward, with our
# im2col + OpenBLAS engine (algorithms/nn/conv.c) under both threading
# models (OpenBLAS's threads vs the batch split over a parallel_team with
# OpenBLAS on one thread) and with oneDNN (Debian's libdnnl-dev, when
# installed; bench/deps.sh installs it), plus OpenBLAS's sgemm peak, all in
# one process: bench/tools/convbench.c.  Needs `make` first (links
# build/lib/liboptml_{nn,common}.a).
# Waits up to QUIET_MAX s for the machine to go idle first (other builds
# halve these figures); each figure is the best of REPS runs.
# Writes bench/results/conv-engine.txt.  Env: OPTML_BUILD=build THREADS=2
# REPS=7 QUIET_MAX=300 OUT=bench/results/conv-engine.txt
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
THREADS=${THREADS:-2}
REPS=${REPS:-7}
QUIET_MAX=${QUIET_MAX:-300}
OUT=${OUT:-$REPO/bench/results/conv-engine.txt}
die() { echo "bench/conv.sh: $*" >&2; exit 1; }
[ -f "$BUILD/lib/liboptml_nn.a" ] || die "$BUILD/lib/liboptml_nn.a missing: run make first"
W=$(mktemp -d /tmp/optml-bench-conv.XXXXXX)
trap 'rm -rf "$W"' EXIT
DNNL=()
if [ -f /usr/include/dnnl.h ]; then DNNL=(-DWITH_DNNL); fi
cc -std=gnu11 -O2 -Wall -Wextra "${DNNL[@]}" -I"$REPO/algorithms" -o "$W/convbench" "$BENCH_DIR/tools/convbench.c" \
  "$BUILD/lib/liboptml_nn.a" "$BUILD/lib/liboptml_common.a" $(pkg-config --cflags --libs openblas) \
  ${DNNL:+-ldnnl} -lpthread -lm || die "cannot build bench/tools/convbench.c"
HZ=$(getconf CLK_TCK)
busy_jiffies() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat; }
start=$SECONDS
while :; do  # the last 3 s averaged < 0.15 busy cores, or QUIET_MAX s passed
  a=$(busy_jiffies); sleep 3; b=$(busy_jiffies)
  BUSY=$(awk -v a="$a" -v b="$b" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz / 3}')
  if awk -v x="$BUSY" 'BEGIN {exit !(x < 0.15)}' || [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then break; fi
done
CMD="OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=passive convbench $THREADS $REPS"
{
  echo "# Conv engine micro-benchmark: bash bench/conv.sh (THREADS=$THREADS REPS=$REPS), $(date -u +%Y-%m-%d)"
  echo "# command: $CMD   (bench/tools/convbench.c; oneDNN: $([ ${#DNNL[@]} -gt 0 ] && dpkg-query -W -f '${Package} ${Version}' libdnnl-dev 2>/dev/null || echo 'not installed'))"
  echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), busy cores before: $BUSY (waited $((SECONDS - start)) s)"
  echo "# GFLOP/s count 2 K F per output pixel (K = 3*3*C); bwd = dW + db (+ dx except conv1, as in training)"
  OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=passive "$W/convbench" "$THREADS" "$REPS"
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT.tmp" 2>&1 || { cat "$OUT.tmp"; rm -f "$OUT.tmp"; die "convbench failed"; }
mv "$OUT.tmp" "$OUT"
cat "$OUT"
