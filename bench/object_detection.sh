#!/usr/bin/env bash
# object-detection against torchvision's SSDLite (issue #16, "Benchmarks"),
# in one run, beside ../shared/peers/04-ssd.sh (torchvision
# ssdlite320_mobilenet_v3_large from Debian, 2 threads, untrained, random
# 320x320 images, 3 classes + background):
#   - training images/s at batch 8, 320 px, 3 classes: the network's step
#     (bench/tools/odnetbench.c: forward, matching, multibox loss, backward,
#     Adam; median of REPS) and a whole `optml train` epoch of the
#     local_test sample's 400 scenes resized to 320 (PNG decoding, crop /
#     flip / colour augmentation included; its #throughput_metric line),
#     with that job's peak RSS (/usr/bin/time -v);
#   - inference latency at batch 1: the network's forward through the
#     library (odnetbench, median of REPS) and a request through `optml
#     serve` (a 128 px JPEG scene decoded, resized to 320, the forward, NMS,
#     the JSON answer; one keep-alive connection on 127.0.0.1, median of
#     REQUESTS, the model of the 320 px epoch above);
#   - validation mAP per minute of training on Fashion-MNIST scenes: `optml
#     train` on the local_test sample (400 scenes, 100 held out, 128 px, its
#     hyperparameters with EPOCHS epochs), the mAP curve against the job's
#     elapsed seconds, and its peak RSS.
# The peer runs as 04-ssd.sh runs it (../shared/peers/common.sh's `timed`
# on ssd_bench.py TRAIN_STEPS INFER_CALLS), after this script's own wait for
# a quiet machine (QUIET_MAX s, not 04-ssd.sh's fixed 300 s); skipped with a
# note when ../shared or torchvision (python3-torchvision) is absent.  The
# load average and busy cores before each part are recorded: the machine is
# shared.  Writes bench/results/object-detection.txt (raw log
# object-detection.raw.log).
# Env: OPTML_BUILD=build REPS=9 REQUESTS=50 EPOCHS=16 THREADS=2 QUIET_MAX=60
#      TRAIN_STEPS=10 INFER_CALLS=30 PEERS=../shared/peers OUT=bench/results/object-detection.txt
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
OPTML=$BUILD/bin/optml
REPS=${REPS:-9}
REQUESTS=${REQUESTS:-50}
EPOCHS=${EPOCHS:-16}
THREADS=${THREADS:-2}
QUIET_MAX=${QUIET_MAX:-60}
TRAIN_STEPS=${TRAIN_STEPS:-10}
INFER_CALLS=${INFER_CALLS:-30}
PEERS=${PEERS:-$REPO/../shared/peers}
OUT=${OUT:-$REPO/bench/results/object-detection.txt}
RAW=${OUT%.txt}.raw.log
PY=/usr/bin/python3
SAMPLE=$REPO/local_test/object-detection
W=$(mktemp -d /tmp/optml-bench-od.XXXXXX)
. "$BENCH_DIR/lib.sh"
die() { echo "bench/object_detection.sh: $*" >&2; exit 1; }
[ -x "$OPTML" ] || die "$OPTML missing: run make first"
[ -f "$BUILD/lib/liboptml_nn.a" ] || die "$BUILD/lib/liboptml_nn.a missing: run make first"
[ -f "$SAMPLE/test_dir/input/data/train/train.rec" ] || die "no local_test/object-detection sample (make_sample.sh writes it)"
[ -x /usr/bin/time ] || die "/usr/bin/time needed (Debian package time)"

OD=$REPO/algorithms/object_detection
LIB=$BUILD/lib
# shellcheck disable=SC2046  # pkg-config's words
cc -std=gnu11 -O3 -fno-math-errno -Wall -Wextra -I"$REPO/algorithms" $(pkg-config --cflags openblas 2>/dev/null) \
  -o "$W/odnetbench" "$BENCH_DIR/tools/odnetbench.c" "$OD"/net*.c "$OD/anchors.c" "$OD/box.c" "$OD/match.c" \
  "$OD/multibox.c" "$LIB/liboptml_nn.a" "$LIB/liboptml_common.a" $(pkg-config --libs openblas 2>/dev/null || echo -lopenblas) \
  -lpthread -lm 2>"$W/cc.log" || { cat "$W/cc.log"; die "cannot build bench/tools/odnetbench.c"; }

HZ=$(getconf CLK_TCK)
LOADS=()
wait_quiet() {
  local start=$SECONDS a b
  while :; do
    a=$(busy_jiffies); sleep 3; b=$(busy_jiffies)
    BUSY=$(awk -v a="$a" -v b="$b" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz / 3}')
    if awk -v x="$BUSY" 'BEGIN {exit !(x < 0.15)}' || [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then break; fi
  done
  LOADS+=("$1: $BUSY busy cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (waited $((SECONDS - start)) s)")
  log "# machine before $1: ${LOADS[-1]#*: }"
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }
kv() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }   # kv KEY < "... KEY=value ..."
rss_mib() { awk '/Maximum resident set size/ {printf "%.0f", $NF / 1024}' "$1"; }
# tree DIR HYPERPARAMETERS-JSON: a copy of the sample's tree with these hyperparameters
tree() {
  rm -rf "$1"; cp -r "$SAMPLE/test_dir" "$1"; rm -rf "$1/model" "$1/output"
  echo "$2" >"$1/input/config/hyperparameters.json"
}

# ------------------------------------------------------------ the network (library)
wait_quiet "the network (odnetbench)"
CLASSES=3 THREADS=$THREADS "$W/odnetbench" "$REPS" 320:0.5 >"$W/net.txt" 2>&1 || { cat "$W/net.txt"; die "odnetbench failed"; }
cat "$W/net.txt" >>"$W/raw.log"
read -r _ _ NET_MMAC NET_BOXES NET_FWD _ NET_TRAIN < <(awk '$1 == 320' "$W/net.txt")

# ------------------------------------------------------------ optml train, 320 px, batch 8
tree "$W/t320" "{\"num_classes\": \"3\", \"num_training_samples\": \"400\", \"image_shape\": \"320\", \"mini_batch_size\": \"8\", \"epochs\": \"1\", \"optimizer\": \"adam\", \"learning_rate\": \"0.002\", \"threads\": \"$THREADS\"}"
wait_quiet "optml train at 320 px"
SAGEMAKER_BASE_DIR=$W/t320 OPTML_ALGORITHM=object-detection OPTML_MODULE_PATH=$BUILD/lib/optml \
  /usr/bin/time -v "$OPTML" train >"$W/t320.log" 2>&1 || { tail -20 "$W/t320.log"; die "optml train at 320 px failed"; }
cat "$W/t320.log" >>"$W/raw.log"
JOB_TRAIN=$(sed -n 's/.*train throughput=\([0-9.]*\) records.*/\1/p' "$W/t320.log" | tail -1)
JOB_RSS=$(rss_mib "$W/t320.log")

# ------------------------------------------------------------ optml serve, batch 1
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SAGEMAKER_BASE_DIR=$W/t320 OPTML_ALGORITHM=object-detection OPTML_MODULE_PATH=$BUILD/lib/optml OPTML_ACCESS_LOG=0 \
  SAGEMAKER_BIND_TO_PORT=$PORT "$OPTML" serve >"$W/serve.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/ping" >/dev/null && break; sleep 0.1; done
wait_quiet "optml serve"
$PY - "$PORT" "$SAMPLE/payload.jpg" "$REQUESTS" >"$W/http.txt" 2>&1 <<'PYEOF' || { cat "$W/http.txt"; tail -5 "$W/serve.log"; die "serving failed"; }
import http.client, json, statistics, sys, time
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = open(path, "rb").read()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
ts, rows = [], 0
for i in range(n + 3):
    t0 = time.perf_counter()
    c.request("POST", "/invocations", body, {"Content-Type": "image/jpeg", "Accept": "application/json"})
    r = c.getresponse()
    data = r.read()
    dt = time.perf_counter() - t0
    if r.status != 200:
        sys.exit(f"HTTP {r.status}: {data[:200]!r}")
    if i >= 3:
        ts.append(dt * 1000)
        rows += len(json.loads(data)["prediction"])
ts.sort()
print(f"RESULT http batch=1 requests={n} median_ms={statistics.median(ts):.2f} p90_ms={ts[int(0.9 * (n - 1))]:.2f} "
      f"min_ms={ts[0]:.2f} rows_per_answer={rows / n:.0f} body_bytes={len(body)}")
PYEOF
cat "$W/http.txt" >>"$W/raw.log"
HTTP_MED=$(kv median_ms <"$W/http.txt")
HTTP_P90=$(kv p90_ms <"$W/http.txt")
HTTP_ROWS=$(kv rows_per_answer <"$W/http.txt")
kill -TERM "${PIDS[-1]}" 2>/dev/null

# ------------------------------------------------------------ mAP per minute, 128 px
tree "$W/curve" "{\"num_classes\": \"3\", \"num_training_samples\": \"400\", \"image_shape\": \"128\", \"mini_batch_size\": \"16\", \"epochs\": \"$EPOCHS\", \"optimizer\": \"adam\", \"learning_rate\": \"0.002\", \"lr_scheduler_step\": \"$((EPOCHS * 3 / 4))\", \"lr_scheduler_factor\": \"0.5\", \"threads\": \"$THREADS\"}"
wait_quiet "the mAP curve (optml train, $EPOCHS epochs at 128 px)"
SAGEMAKER_BASE_DIR=$W/curve OPTML_ALGORITHM=object-detection OPTML_MODULE_PATH=$BUILD/lib/optml \
  /usr/bin/time -v "$OPTML" train >"$W/curve.log" 2>&1 || { tail -20 "$W/curve.log"; die "optml train (mAP curve) failed"; }
cat "$W/curve.log" >>"$W/raw.log"
CURVE_RSS=$(rss_mib "$W/curve.log")
# epoch, seconds since the job's first log line, validation mAP (the built-in's line)
awk '
  function secs(s,   a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
  /^\[[0-9\/]+ [0-9:]+ / { t = secs($2); if (t0 == "") t0 = t }
  /validation mAP <score>=\(/ {
    e = $0; sub(/.*epoch=/, "", e); sub(/,.*/, "", e)
    v = $0; sub(/.*<score>=\(/, "", v); sub(/\).*/, "", v)
    d = t - t0; if (d < 0) d += 86400
    printf "%d %d %s\n", e + 1, d, v
  }' "$W/curve.log" >"$W/curve.txt"
CURVE_S=$(tail -1 "$W/curve.txt" | cut -d' ' -f2)
CURVE_MAP=$(tail -1 "$W/curve.txt" | cut -d' ' -f3)
best_by() { awk -v s="$1" '$2 <= s && $3 > b {b = $3} END {printf "%.3f", b + 0}' "$W/curve.txt"; }

# ------------------------------------------------------------ torchvision
PEER_NOTE="" T_TRAIN="" T_B1="" T_B1_05="" T_RSS=""
if [ -f "$PEERS/04-ssd.sh" ] && [ -f "$PEERS/common.sh" ] && $PY -c 'import torchvision' 2>/dev/null; then
  wait_quiet "torchvision (04-ssd.sh's ssd_bench.py)"
  # 04-ssd.sh without its own 300 s wait: machine_info, then timed ssd_bench.py
  bash -c '. "$1/common.sh"; machine_info; timed ssd-ssdlite320 "$2" "$1/ssd_bench.py" "$3" "$4"' _ \
    "$PEERS" "$PY" "$TRAIN_STEPS" "$INFER_CALLS" >"$W/peer.txt" 2>&1 || PEER_NOTE="(ssd_bench.py failed; its output is in the raw log)"
  cat "$W/peer.txt" >>"$W/raw.log"
  T_TRAIN=$(grep 'mode=train batch=8 ' "$W/peer.txt" | kv img_per_s_at_median)
  T_B1=$(grep 'mode=infer batch=1 calls' "$W/peer.txt" | kv median_ms_per_img)
  T_B1_05=$(grep 'mode=infer batch=1 score_thresh=0.5' "$W/peer.txt" | kv median_ms_per_img)
  T_RSS=$(grep '^TIMEV ssd-ssdlite320' "$W/peer.txt" | kv maxrss_mib)
else
  PEER_NOTE="(torchvision peer skipped: needs $PEERS/04-ssd.sh and python3-torchvision)"
fi
ratio() { awk -v a="$1" -v b="$2" -v inv="${3:-0}" 'BEGIN {if (a == "" || b == "" || a + 0 == 0 || b + 0 == 0) print "-";
  else printf "%.2fx", inv ? b / a : a / b}'; }

# ------------------------------------------------------------ results
{
  echo "# object-detection (mobilenet-ssdlite, width 0.5) against torchvision ssdlite320_mobilenet_v3_large: bash bench/object_detection.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# command: REPS=$REPS REQUESTS=$REQUESTS EPOCHS=$EPOCHS THREADS=$THREADS TRAIN_STEPS=$TRAIN_STEPS INFER_CALLS=$INFER_CALLS QUIET_MAX=$QUIET_MAX bash bench/object_detection.sh"
  bench_provenance
  for l in "${LOADS[@]}"; do echo "# load before $l"; done
  echo "# peer: ../shared/peers/04-ssd.sh's ssd_bench.py $TRAIN_STEPS $INFER_CALLS (torch 1.13, torchvision from Debian, 2 threads, untrained, random 320x320, 3 classes + background) $PEER_NOTE"
  echo "# ours: 320 px, 3 classes, $NET_BOXES default boxes, $NET_MMAC MMAC a forward; THREADS=$THREADS"
  echo
  printf '%-62s %10s %12s %8s\n' "figure" optml torchvision "ratio"
  printf '%-62s %10s %12s %8s\n' "training images/s, batch 8, network step (odnetbench, median)" "$NET_TRAIN" "${T_TRAIN:--}" "$(ratio "$NET_TRAIN" "$T_TRAIN")"
  printf '%-62s %10s %12s %8s\n' "training images/s, batch 8, whole optml train epoch (400 PNG)" "$JOB_TRAIN" "${T_TRAIN:--}" "$(ratio "$JOB_TRAIN" "$T_TRAIN")"
  printf '%-62s %10s %12s %8s\n' "batch 1 median ms, library forward (odnetbench)" "$NET_FWD" "${T_B1:--}" "$(ratio "$NET_FWD" "$T_B1" 1)"
  printf '%-62s %10s %12s %8s\n' "batch 1 median ms, optml serve (JPEG in, JSON out; $REQUESTS req)" "$HTTP_MED" "${T_B1:--}" "$(ratio "$HTTP_MED" "$T_B1" 1)"
  printf '%-62s %10s %12s %8s\n' "batch 1 p90 ms, optml serve" "$HTTP_P90" "" ""
  printf '%-62s %10s %12s %8s\n' "  torchvision batch 1 median ms with score_thresh 0.5" "" "${T_B1_05:--}" ""
  printf '%-62s %10s %12s %8s\n' "peak RSS MiB, training (optml: the 320 px epoch; peer: its run)" "$JOB_RSS" "${T_RSS:--}" "$(ratio "$JOB_RSS" "$T_RSS" 1)"
  echo
  echo "optml serve answered $HTTP_ROWS rows a request (scores from 0.01 up, an undertrained 1-epoch model);"
  echo "torchvision's own answers are in the raw log (mean_detections_per_img; its default keeps 300)."
  echo "ratio: optml / torchvision for images/s, torchvision / optml for ms and MiB (above 1: optml better)."
  echo
  echo "validation mAP@0.5 (VOC07) per minute of training, Fashion-MNIST scenes (local_test sample: 400"
  echo "train, 100 held-out, 128 px, 3 classes, Adam 0.002 halved from epoch $((EPOCHS * 3 / 4)), batch 16, $EPOCHS epochs):"
  echo "  best mAP by 30 s: $(best_by 30), by 60 s: $(best_by 60), by 120 s: $(best_by 120); final $CURVE_MAP after $CURVE_S s"
  echo "  ($(awk -v m="$CURVE_MAP" -v s="$CURVE_S" 'BEGIN {if (s > 0) printf "%.3f", m / (s / 60); else print "-"}') mAP a minute on average); peak RSS $CURVE_RSS MiB"
  echo "  epoch  seconds  mAP"
  awk '{printf "  %5d  %7d  %s\n", $1, $2, $3}' "$W/curve.txt"
} >"$W/results.txt"
bench_publish "$OUT" "$RAW" "every log"
