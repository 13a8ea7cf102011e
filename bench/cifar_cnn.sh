#!/usr/bin/env bash
# cifar-cnn against PyTorch (issue #15, "Benchmarks"), in one run, side by
# side with ../shared/peers/02-cnn.sh speed (PyTorch 1.13 from Debian, 2
# threads, the same keras-cifar10 network on random 32x32x3 data), called as
# it is (skipped with a note when ../shared is absent):
#   - training images/s at batch 128: `optml train` of keras-cifar10, one
#     epoch of N random CIFAR-10 binary images, augmentation on (as
#     bench/cifar_train.sh), median of RUNS runs, with its peak RSS (wait4
#     rusage through /usr/bin/time -v); PyTorch's figure is its RMSprop
#     batch-128 step (the network's default optimizer);
#   - inference through the library (bench/tools/cnnbench.c infer: the
#     module's model_load and predict(), request parsing and the JSON
#     answer included) and through `optml serve` (cnnbench http: one
#     keep-alive connection on 127.0.0.1, one request at a time): batch 1
#     median and p99 latency, batch 64 images/s, for a JSON
#     {"instances": [...]} body and a .npy body; PyTorch's figures are a
#     forward on a tensor already in memory (no parsing, no HTTP);
#   - GFLOP/s of the training forward, backward and whole step at batch 128
#     (cnnbench train: the network's own passes on a 2-thread team, without
#     data reading) as a share of OpenBLAS's sgemm peak measured in the same
#     process, and a short perf profile of the step;
#   - FMNIST=1: the Fashion-MNIST 5-epoch Adam comparison (02-cnn.sh fmnist
#     and optml train on Debian's dataset-fashion-mnist, about 5-10 minutes
#     a side): test accuracy and training seconds.
# Waits up to QUIET_MAX s for the machine to go quiet first and notes the
# load.  Writes bench/results/cifar-cnn.txt (raw log cifar-cnn.raw.log).
# Env: OPTML_BUILD=build RUNS=3 N=5120 SECONDS_PER=5 THREADS=2 QUIET_MAX=120
#      PEERS=../shared/peers SPEED_S=10 FMNIST=0 OUT=bench/results/cifar-cnn.txt
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${OPTML_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
OPTML=$BUILD/bin/optml
RUNS=${RUNS:-3}
N=${N:-5120}
SECONDS_PER=${SECONDS_PER:-5}
THREADS=${THREADS:-2}
QUIET_MAX=${QUIET_MAX:-120}
PEERS=${PEERS:-$REPO/../shared/peers}
SPEED_S=${SPEED_S:-10}
FMNIST=${FMNIST:-0}
FMNIST_DIR=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
OUT=${OUT:-$REPO/bench/results/cifar-cnn.txt}
RAW=${OUT%.txt}.raw.log
PY=/usr/bin/python3
W=$(mktemp -d /tmp/optml-bench-cifar-cnn.XXXXXX)
. "$BENCH_DIR/lib.sh"
die() { echo "bench/cifar_cnn.sh: $*" >&2; exit 1; }
[ -x "$OPTML" ] || die "$OPTML missing: run make first"
$PY -c 'import numpy' 2>/dev/null || die "$PY with numpy needed"
[ -x /usr/bin/time ] || die "/usr/bin/time needed (Debian package time)"

# cnnbench: the module's objects and the runtime, as the test runner links them
objs=$(ls "$BUILD"/obj/runtime/*/*.o | grep -v -e /main.o -e /dist/mpi_)
dnnl_libs=""   # the nn archive calls oneDNN when the build found it (Makefile DNNL)
if nm "$BUILD/lib/liboptml_nn.a" 2>/dev/null | grep -q ' U dnnl_'; then dnnl_libs="-ldnnl -lgomp"; fi
cc -std=gnu11 -O2 -Wall -Wextra -I"$REPO/runtime/include" -I"$REPO/runtime" -I"$REPO/algorithms" -I"$REPO/tests" \
  -o "$W/cnnbench" "$BENCH_DIR/tools/cnnbench.c" "$BUILD/obj/tests/support/http_client.o" $objs \
  "$BUILD"/obj/algorithms/cifar_cnn/*.o "$BUILD/lib/liboptml_codec.a" "$BUILD/lib/liboptml_nn.a" \
  "$BUILD/lib/liboptml_common.a" $(pkg-config --libs libmicrohttpd jansson openblas libarchive zlib) \
  $(pkg-config --libs libpng libjpeg 2>/dev/null) $dnnl_libs -lpthread -ldl -lm 2>"$W/cc.log" ||
  { cat "$W/cc.log"; die "cannot build bench/tools/cnnbench.c (make and make test first: it links build/obj)"; }

HZ=$(getconf CLK_TCK)
wait_quiet() {
  local start=$SECONDS a b
  while :; do
    a=$(busy_jiffies); sleep 3; b=$(busy_jiffies)
    BUSY=$(awk -v a="$a" -v b="$b" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - a) / hz / 3}')
    if awk -v x="$BUSY" 'BEGIN {exit !(x < 0.15)}' || [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then break; fi
  done
  log "# machine before $1: $BUSY busy cores (waited $((SECONDS - start)) s)"
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }
kv() { tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }   # kv KEY < "... KEY=value ..."

# ------------------------------------------------------------ training
mkdir -p "$W/tree/input/data/train" "$W/tree/input/config"
$PY "$BENCH_DIR/tools/cifar_random.py" "$N" "$W/tree/input/data/train/data_batch_1.bin"
printf '{"architecture": "keras-cifar10", "epochs": "1", "batch-size": "128", "threads": "%s"}' "$THREADS" \
  >"$W/tree/input/config/hyperparameters.json"
wait_quiet training
tp=() rss=()
for r in $(seq "$RUNS"); do
  rm -rf "$W/tree/model" "$W/tree/output"
  SAGEMAKER_BASE_DIR=$W/tree OPTML_ALGORITHM=cifar-cnn OPTML_MODULE_PATH=$BUILD/lib/optml \
    /usr/bin/time -v "$OPTML" train >"$W/train.$r.log" 2>&1 || { cat "$W/train.$r.log"; die "optml train failed"; }
  v=$(sed -n 's/.*train throughput=\([0-9.]*\) records.*/\1/p' "$W/train.$r.log" | tail -1)
  m=$(awk '/Maximum resident set size/ {printf "%.0f", $NF / 1024}' "$W/train.$r.log")
  log "optml train run $r: $v images/s, peak RSS $m MiB"
  tp+=("$v") rss+=("$m")
done
OUR_TRAIN=$(printf '%s\n' "${tp[@]}" | median)
OUR_RSS=$(printf '%s\n' "${rss[@]}" | sort -g | tail -1)

wait_quiet "the passes"
"$W/cnnbench" train 128 "$((SECONDS_PER * 2))" "$THREADS" >"$W/passes.txt" 2>&1 || { cat "$W/passes.txt"; die "cnnbench train failed"; }
cat "$W/passes.txt" >>"$W/raw.log"
PEAK=$(kv "sgemm2048_${THREADS}thr_gflops" <"$W/passes.txt")
PEAK1=$(kv sgemm2048_1thr_gflops <"$W/passes.txt")
phase() { grep "^phase $1 " "$W/passes.txt" | kv "$2"; }
if command -v perf >/dev/null; then
  perf record -q -o "$W/perf.data" "$W/cnnbench" train 128 4 "$THREADS" >/dev/null 2>&1 &&
    perf report -q -i "$W/perf.data" --no-children --sort dso,sym --percent-limit 2 --stdio 2>/dev/null |
    grep '%' | head -14 | sed 's/^ */  /' >"$W/profile.txt"
fi

# ------------------------------------------------------------ inference
MODEL=$W/tree/model
wait_quiet inference
for b in 1 64; do
  for f in json npy; do
    "$W/cnnbench" infer "$MODEL" "$b" "$SECONDS_PER" "$f" 2>>"$W/raw.log" >"$W/lib.$b.$f" ||
      die "cnnbench infer $b $f failed"
    cat "$W/lib.$b.$f" >>"$W/raw.log"
  done
done
"$W/cnnbench" infer "$MODEL" 64 "$SECONDS_PER" npy 1 2>>"$W/raw.log" >"$W/lib.64.one" ||
  die "cnnbench infer 64 npy 1 failed"
cat "$W/lib.64.one" >>"$W/raw.log"
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SAGEMAKER_BASE_DIR=$W/tree OPTML_ALGORITHM=cifar-cnn OPTML_MODULE_PATH=$BUILD/lib/optml OPTML_ACCESS_LOG=0 \
  SAGEMAKER_BIND_TO_PORT=$PORT "$OPTML" serve >"$W/serve.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/ping" >/dev/null && break; sleep 0.1; done
for b in 1 64; do
  for f in json npy; do
    "$W/cnnbench" http "$PORT" "$b" "$SECONDS_PER" "$f" >"$W/http.$b.$f" 2>>"$W/raw.log" ||
      { tail -5 "$W/serve.log"; die "cnnbench http $b $f failed"; }
    cat "$W/http.$b.$f" >>"$W/raw.log"
  done
done

# ------------------------------------------------------------ PyTorch
PEER_NOTE=""
T_TRAIN="" T_B1="" T_B64="" T_RSS=""
if [ -x "$PEERS/02-cnn.sh" ] || [ -f "$PEERS/02-cnn.sh" ]; then
  SPEED_S=$SPEED_S bash "$PEERS/02-cnn.sh" speed >"$W/peer.txt" 2>&1 || PEER_NOTE="(02-cnn.sh speed failed; its output is in the raw log)"
  cat "$W/peer.txt" >>"$W/raw.log"
  T_TRAIN=$(grep 'mode=train opt=rmsprop batch=128 ' "$W/peer.txt" | kv img_per_s)
  T_B1=$(grep 'mode=infer batch=1 ' "$W/peer.txt" | kv ms_per_call)
  T_B64=$(grep 'mode=infer batch=64 ' "$W/peer.txt" | kv img_per_s)
  T_RSS=$(grep '^TIMEV cnn-speed' "$W/peer.txt" | kv maxrss_mib)
  T_QUIET=$(grep -m1 '^QUIET' "$W/peer.txt")
else
  PEER_NOTE="(PyTorch peer skipped: $PEERS/02-cnn.sh not found; ../shared is not on this machine)"
fi
ratio() { awk -v a="$1" -v b="$2" -v inv="${3:-0}" 'BEGIN {if (a == "" || b == "" || a + 0 == 0 || b + 0 == 0) print "-";
  else printf "%.2fx", inv ? b / a : a / b}'; }

# ------------------------------------------------------------ Fashion-MNIST
FM_LINES=()
if [ "$FMNIST" = 1 ]; then
  [ -f "$FMNIST_DIR/train-images-idx3-ubyte.gz" ] || die "FMNIST=1 needs $FMNIST_DIR (Debian dataset-fashion-mnist)"
  mkdir -p "$W/fm/input/data/train" "$W/fm/input/data/eval" "$W/fm/input/config"
  ln -s "$FMNIST_DIR"/train-*-ubyte.gz "$W/fm/input/data/train/"
  ln -s "$FMNIST_DIR"/t10k-*-ubyte.gz "$W/fm/input/data/eval/"
  printf '{"epochs": "5", "batch-size": "128", "optimizer": "adam", "learning-rate": "0.001", "threads": "%s"}' \
    "$THREADS" >"$W/fm/input/config/hyperparameters.json"
  wait_quiet "Fashion-MNIST (ours)"
  t0=$(date +%s.%N)
  SAGEMAKER_BASE_DIR=$W/fm OPTML_ALGORITHM=cifar-cnn OPTML_MODULE_PATH=$BUILD/lib/optml "$OPTML" train \
    >"$W/fm.log" 2>&1 || { tail -5 "$W/fm.log"; die "optml train on Fashion-MNIST failed"; }
  t1=$(date +%s.%N)
  cat "$W/fm.log" >>"$W/raw.log"
  fm_acc=$(sed -n 's/.*Test accuracy: *\([0-9.]*\).*/\1/p' "$W/fm.log" | tail -1)
  fm_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
  if [ -z "$PEER_NOTE" ]; then
    OPTS=adam bash "$PEERS/02-cnn.sh" fmnist >"$W/peer_fm.txt" 2>&1
    cat "$W/peer_fm.txt" >>"$W/raw.log"
    p_acc=$(grep 'RESULT epoch=5 ' "$W/peer_fm.txt" | kv test_acc)
    p_s=$(grep 'RESULT epoch=5 ' "$W/peer_fm.txt" | kv train_s_cum)
  fi
  FM_LINES+=("Fashion-MNIST, 5 epochs, Adam 1e-3, batch 128 (60,000 train, 10,000 test images):")
  FM_LINES+=("$(printf '  %-34s %12s %12s' '' optml PyTorch)")
  FM_LINES+=("$(printf '  %-34s %12s %12s' 'test accuracy' "$fm_acc" "${p_acc:--}")")
  FM_LINES+=("$(printf '  %-34s %12s %12s   ours / theirs: %s' 'seconds (ours: the whole job)' "$fm_s" "${p_s:--}" \
    "$(awk -v a="$fm_s" -v b="${p_s:-0}" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}')")")
fi

# ------------------------------------------------------------ results
lib() { kv "$2" <"$W/lib.$1"; }
htt() { kv "$2" <"$W/http.$1"; }
{
  echo "# cifar-cnn (keras-cifar10, 1,250,858 parameters) against PyTorch: bash bench/cifar_cnn.sh, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# command: RUNS=$RUNS N=$N SECONDS_PER=$SECONDS_PER THREADS=$THREADS SPEED_S=$SPEED_S FMNIST=$FMNIST bash bench/cifar_cnn.sh"
  bench_provenance
  echo "# load: $(grep '^# machine before' "$W/raw.log" | sed 's/^# machine before //' | paste -sd';' -)${T_QUIET:+; PyTorch: $T_QUIET}"
  echo "# peer: bash ../shared/peers/02-cnn.sh speed (PyTorch, 2 threads; SPEED_S=$SPEED_S s a figure) $PEER_NOTE"
  echo
  printf '%-52s %12s %12s %8s\n' "figure" optml PyTorch ratio
  printf '%-52s %12s %12s %8s\n' "training images/s, batch 128, 32x32x3 (median of $RUNS)" "$OUR_TRAIN" "${T_TRAIN:--}" \
    "$(ratio "$OUR_TRAIN" "$T_TRAIN")"
  printf '%-52s %12s %12s %8s\n' "training peak RSS, MiB (PyTorch: its whole speed run)" "$OUR_RSS" "${T_RSS:--}" \
    "$(ratio "$OUR_RSS" "$T_RSS" 1)"
  for f in json npy; do
    printf '%-52s %12s %12s %8s\n' "batch 1 median ms, library, $f body" "$(lib 1.$f median_ms)" "${T_B1:--}" \
      "$(ratio "$(lib 1.$f median_ms)" "$T_B1" 1)"
    printf '%-52s %12s %12s %8s\n' "batch 1 p99 ms, library, $f body" "$(lib 1.$f p99_ms)" "" ""
    printf '%-52s %12s %12s %8s\n' "batch 1 median ms, optml serve (HTTP), $f body" "$(htt 1.$f median_ms)" "${T_B1:--}" \
      "$(ratio "$(htt 1.$f median_ms)" "$T_B1" 1)"
    printf '%-52s %12s %12s %8s\n' "batch 1 p99 ms, optml serve (HTTP), $f body" "$(htt 1.$f p99_ms)" "" ""
  done
  for f in json npy; do
    printf '%-52s %12s %12s %8s\n' "batch 64 images/s, library, $f body" "$(lib 64.$f img_per_s)" "${T_B64:--}" \
      "$(ratio "$(lib 64.$f img_per_s)" "$T_B64")"
    printf '%-52s %12s %12s %8s\n' "batch 64 images/s, optml serve (HTTP), $f body" "$(htt 64.$f img_per_s)" \
      "${T_B64:--}" "$(ratio "$(htt 64.$f img_per_s)" "$T_B64")"
  done
  printf '%-52s %12s %12s %8s\n' "batch 64 images/s, library, npy body, 1 thread" "$(lib 64.one img_per_s)" \
    "${T_B64:--}" "$(ratio "$(lib 64.one img_per_s)" "$T_B64")"
  echo "(ratio: how many times faster optml is, or for RSS how many times less memory; PyTorch's latency is the mean"
  echo " ms of a forward on an in-memory tensor, ours includes parsing the body and writing the JSON answer; optml"
  echo " serve ran with its default workers (the cores); a request's images split over the model's $THREADS-thread team,
 a batch of 1 on its worker alone)"
  echo
  echo "training passes at batch 128 (bench/tools/cnnbench.c train, the network alone on a $THREADS-thread team):"
  echo "  OpenBLAS sgemm 2048^3 peak in the same process: $PEAK GFLOP/s on $THREADS threads ($PEAK1 on 1)"
  echo "  $(grep '^train ' "$W/passes.txt")"
  for p in fwd bwd update step; do
    printf '  %-7s %8s ms' "$p" "$(phase $p ms)"
    g=$(phase $p gflops)
    [ -n "$g" ] && printf '  %7s GFLOP/s  %s of the sgemm peak' "$g" "$(phase $p share_of_peak)"
    echo
  done
  echo "  (step: $(phase step img_per_s) images/s without reading and augmenting data; the training figure above includes them)"
  if [ -s "$W/profile.txt" ]; then
    echo
    echo "profile of the training passes (perf record, self time by library and symbol, >= 2 %):"
    cat "$W/profile.txt"
  fi
  if [ ${#FM_LINES[@]} -gt 0 ]; then
    echo
    printf '%s\n' "${FM_LINES[@]}"
  else
    echo
    echo "Fashion-MNIST 5-epoch Adam comparison: not in this run (FMNIST=1 runs it, about 5-10 minutes a side)."
  fi
} >"$W/results.txt"
bench_publish "$OUT" "$RAW" "the raw figures and the peer's output"
