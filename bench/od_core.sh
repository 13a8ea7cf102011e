#!/usr/bin/env bash
# The SSD detection core's cost per image (issue #16): default boxes,
# matching, the multibox loss, decoding, NMS and mAP at SSD300 and SSDLite
# sizes, one thread: bench/tools/odbench.c compiled here with -O3 against
# algorithms/object_detection/ (no module or archive needed); then the
# network (bench/tools/odnetbench.c, against build/lib's nn and common
# archives: run `make` first): forward latency at batch 1 and training
# images/s at batch BATCH (8) for each SIZES entry (size:width, or
# size:width:backbone for vgg-16 and resnet-50), on THREADS threads.
# Writes bench/results/object-detection-core.txt.
# Env: REPS=9 THREADS=2 BATCH=8 SIZES="300:1 300:0.5 300:0.25 160:0.5 128:0.5"
# OUT=bench/results/object-detection-core.txt
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
REPS=${REPS:-9}
OUT=${OUT:-$REPO/bench/results/object-detection-core.txt}
W=$(mktemp -d /tmp/optml-bench-od.XXXXXX)
trap 'rm -rf "$W"' EXIT
OD=$REPO/algorithms/object_detection
THREADS=${THREADS:-2}
SIZES=${SIZES:-"300:1 300:0.5 300:0.25 160:0.5 128:0.5"}
LIB=$REPO/build/lib
[ -f "$LIB/liboptml_nn.a" ] || { echo "bench/od_core.sh: run make first (needs build/lib/liboptml_nn.a)" >&2; exit 1; }
cc -std=gnu11 -O3 -fno-math-errno -Wall -Wextra -I"$REPO/algorithms" $(pkg-config --cflags openblas 2>/dev/null) \
  -o "$W/odnetbench" "$BENCH_DIR/tools/odnetbench.c" "$OD"/net*.c "$OD/anchors.c" "$OD/box.c" "$OD/match.c" \
  "$OD/multibox.c" "$LIB/liboptml_nn.a" "$LIB/liboptml_common.a" $(pkg-config --libs openblas 2>/dev/null || echo -lopenblas) \
  -lpthread -lm || { echo "bench/od_core.sh: cannot build bench/tools/odnetbench.c" >&2; exit 1; }
cc -std=gnu11 -O3 -fno-math-errno -Wall -Wextra -I"$REPO/algorithms" -o "$W/odbench" "$BENCH_DIR/tools/odbench.c" \
  "$OD/box.c" "$OD/anchors.c" "$OD/match.c" "$OD/multibox.c" "$OD/nms.c" "$OD/map.c" -lm \
  || { echo "bench/od_core.sh: cannot build bench/tools/odbench.c" >&2; exit 1; }
{
  echo "# SSD detection core: bash bench/od_core.sh (REPS=$REPS), $(date -u +%Y-%m-%d)"
  echo "# command: odbench $REPS   (bench/tools/odbench.c, cc -O3, one thread)"
  echo "# machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  "$W/odbench" "$REPS"
  echo
  echo "# the network (algorithms/object_detection/net*.c), 20 classes, THREADS=$THREADS, training batch ${BATCH:-8};"
  echo "# command: THREADS=$THREADS BATCH=${BATCH:-8} odnetbench $REPS $SIZES   (bench/tools/odnetbench.c, cc -O3)"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  THREADS=$THREADS "$W/odnetbench" "$REPS" $SIZES
  echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
cat "$OUT"
