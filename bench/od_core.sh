#!/usr/bin/env bash
# The SSD detection core's cost per image (issue #16): default boxes,
# matching, the multibox loss, decoding, NMS and mAP at SSD300 and SSDLite
# sizes, one thread: bench/tools/odbench.c compiled here with -O3 against
# algorithms/object_detection/ (no module or archive needed).  Writes
# bench/results/object-detection-core.txt.  Env: REPS=9
# OUT=bench/results/object-detection-core.txt
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
REPS=${REPS:-9}
OUT=${OUT:-$REPO/bench/results/object-detection-core.txt}
W=$(mktemp -d /tmp/optml-bench-od.XXXXXX)
trap 'rm -rf "$W"' EXIT
OD=$REPO/algorithms/object_detection
cc -std=gnu11 -O3 -fno-math-errno -Wall -Wextra -I"$REPO/algorithms" -o "$W/odbench" "$BENCH_DIR/tools/odbench.c" \
  "$OD/box.c" "$OD/anchors.c" "$OD/match.c" "$OD/multibox.c" "$OD/nms.c" "$OD/map.c" -lm \
  || { echo "bench/od_core.sh: cannot build bench/tools/odbench.c" >&2; exit 1; }
{
  echo "# SSD detection core: bash bench/od_core.sh (REPS=$REPS), $(date -u +%Y-%m-%d)"
  echo "# command: odbench $REPS   (bench/tools/odbench.c, cc -O3, one thread)"
  echo "# machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  "$W/odbench" "$REPS"
} >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
cat "$OUT"
