#!/usr/bin/env bash
# Multi-host scaling on paper, from measurements (issue #17, "Proof and
# benchmarks", bullets 2 and 3), and the start-up time of a multi-host job.
#
# 1. Allreduce time per step for each module's gradient: the cifar-cnn
#    networks (keras-cifar10 1,250,858 floats, sagemaker-cifar10 358,506
#    trained floats: what algorithms/cifar_cnn/train.c allreduces once a
#    step) and the linear learner (algorithms/linear_learner/step.c: per
#    mini-batch 3 doubles, then R*D + R floats, R = num_models x outputs:
#    32 x 25 + 32 = 832 floats for the workshop's 25 features, 32 models,
#    regressor).  Measured between 2 loopback "hosts" (127.0.0.1-2, lo) with
#    the test module `allreduce` (tests/modules/allreduce.c), whose step is a
#    SUM allreduce of LENGTH doubles, a MAX allreduce of LENGTH floats, a
#    64-byte broadcast, a barrier and the stop agreement: 12 bytes an
#    element.  So LENGTH = ceil(N / 3) moves the bytes of one allreduce of N
#    floats (an upper bound: two allreduces' latency, plus the broadcast and
#    barrier).  The module's own loops are taken out: the same job on 1 host
#    (collectives are no-ops there) is subtracted.  Step time =
#    (T(STEPS) - T(1)) / (STEPS - 1), T the leader's "Training complete in T
#    s", so start-up cancels; median of RUNS.  The linear learner is also
#    measured for real: 1 host and 2 loopback hosts (FullyReplicated) on a
#    synthetic 25-feature regression, its "Epoch ...: R records in T s"
#    lines giving the time per mini-batch (the 2-host figure includes its
#    real allreduce, but also two ranks sharing 2 cores).
# 2. Compute time per step: cifar-cnn at batch 128 from
#    bench/results/cifar-cnn.txt (keras-cifar10 training images/s) and
#    bench/results/cifar-cnn-train.txt (sagemaker-cifar10, oneDNN, median);
#    the linear learner's per-mini-batch time from the 1-host job above.
# 3. Projection: ring allreduce T(n) = 2 (n-1)/n * bytes / bandwidth +
#    2 (n-1) * latency, for n = 2, 4, 8, 16 hosts on 10 and 25 Gbit/s,
#    LATENCY_US (default 50) per message; efficiency = compute /
#    (compute + T(n)): no overlap of communication and compute (optml
#    allreduces after the backward pass; Horovod overlaps, we do not).
# 4. Start-up: 3 loopback hosts of the allreduce module with steps=1,
#    started one after the other; wall clock from the start of the last
#    one to the first "step 0 done" line in the leader's log (polled every
#    5 ms), median of STARTS; once with the leader started last and once
#    with a follower started last.
# 5. Containers: the allreduce jobs of 1 and the start-up of 4 between
#    containers of IMAGE (default optml/cifar-cnn) on a Docker network of
#    their own (local_test/train_hosts.sh), the test module bind-mounted
#    read-only (it is not in the images); skipped, and the results say why,
#    without Docker or when the image carries no Open MPI.
# 6. One shaped point: keras-cifar10's step again with lo shaped by tc tbf
#    at SHAPE_RATE in a private network namespace (unshare -n), against the
#    model's prediction.
#
# Writes bench/results/multi-host-scaling.txt (the jobs' main log lines to
# multi-host-scaling.raw.log).
# Env: OPTML_BUILD=build RUNS=5 STARTS=5 CRUNS=3 LATENCY_US=50 IMAGE=optml/cifar-cnn
#      SHAPE_RATE=1gbit (0: skip) LL_ROWS=400000 OUT=...
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$REPO/$1" ;; esac; }
BUILD=$(abs "${OPTML_BUILD:-build}")
RUNS=${RUNS:-5}
STARTS=${STARTS:-5}
LATENCY_US=${LATENCY_US:-50}
OUT=${OUT:-$REPO/bench/results/multi-host-scaling.txt}
RAW=${OUT%.txt}.raw.log
PY=/usr/bin/python3
W=$(mktemp -d /tmp/optml-bench-scale.XXXXXX)
. "$BENCH_DIR/lib.sh"  # PIDS stopped and W removed on exit
die() { echo "bench/multi_host_scaling.sh: $*" >&2; exit 2; }
[ -x "$BUILD/bin/optml" ] || die "$BUILD/bin/optml missing: run make first"
[ -f "$BUILD/tests/modules/allreduce.so" ] || die "$BUILD/tests/modules/allreduce.so missing: make $BUILD/tests/modules/allreduce.so"
[ -f "$BUILD/lib/optml/dist/optml-mpi.so" ] || die "$BUILD/lib/optml/dist/optml-mpi.so missing (needs libopenmpi-dev at build time)"
command -v mpirun >/dev/null || die "no mpirun (openmpi-bin)"
: >"$RAW"
# keep: the lines of a job's log worth keeping in the raw log.
keep() { grep -E "answered|Launching|is rank|Training complete|Epoch [0-9]|records in|exit codes|Error|WARN|ERROR|runs:" || true; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# tree DIR I N HP: host I (1-based) of N loopback hosts (N=1: no resourceconfig).
tree() {
  local d=$1 i=$2 n=$3 hp=$4 k list=
  rm -rf "$d" && mkdir -p "$d/input/config" "$d/input/data/train"
  for k in $(seq 1 "$n"); do list="$list\"127.0.0.$k\","; done
  [ "$n" -eq 1 ] || echo "{\"current_host\":\"127.0.0.$i\",\"hosts\":[${list%,}],\"network_interface_name\":\"lo\"}" \
    >"$d/input/config/resourceconfig.json"
  echo "$hp" >"$d/input/config/hyperparameters.json"
}

# allreduce_job HOSTS STEPS LENGTH: the leader's training seconds.
allreduce_job() {
  local n=$1 steps=$2 len=$3 i p=() port=$((20000 + RANDOM % 20000))
  for i in $(seq 1 "$n"); do
    tree "$W/h$i" "$i" "$n" "{\"steps\":\"$steps\",\"length\":\"$len\"}"
    SAGEMAKER_BASE_DIR=$W/h$i OPTML_MODULE_PATH=$BUILD/tests/modules OPTML_ALGORITHM=allreduce \
      OPTML_DIST_PORT=$port OPTML_DIST_WAIT_SECONDS=60 timeout 300 "$BUILD/bin/optml" train >"$W/h$i.log" 2>&1 &
    p+=($!)
  done
  PIDS=("${p[@]}")
  wait "${p[@]}"
  PIDS=()
  keep <"$W/h1.log" >>"$RAW"
  complete_s "$W/h1.log"
}
# complete_s LOG: the largest "Training complete in T s" of the ranks' lines in a leader's log.
complete_s() { sed -n 's/.*Training complete in \([0-9.]*\) s.*/\1/p' "$1" | sort -g | tail -1; }

# step_ms HOSTS LENGTH STEPS: median over RUNS of the time per step, ms.
step_ms() {
  local n=$1 len=$2 steps=$3 t1 tn per=()
  for _ in $(seq "$RUNS"); do
    t1=$(allreduce_job "$n" 1 "$len")
    tn=$(allreduce_job "$n" "$steps" "$len")
    per+=("$(awk -v a="$t1" -v b="$tn" -v n="$steps" 'BEGIN {if (a == "" || b == "") print "nan"; else printf "%.4f", (b - a) / (n - 1) * 1000}')")
  done
  echo "  step_ms hosts=$n length=$len steps=$steps runs: ${per[*]}" >>"$RAW"
  printf '%s\n' "${per[@]}" | grep -v nan | median
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

{
  echo "# bash bench/multi_host_scaling.sh  (OPTML_BUILD=${OPTML_BUILD:-build} RUNS=$RUNS STARTS=$STARTS LATENCY_US=$LATENCY_US)"
  echo "# $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null), $(nproc) CPUs: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Open MPI $(mpirun --version 2>/dev/null | head -1 | awk '{print $NF}')"
  echo "# load average at the start: $(load)"
  echo
  echo "## 1. Allreduce time per step, 2 loopback hosts (127.0.0.1-2 on lo, TCP), test module allreduce"
  echo "# length = ceil(floats / 3): the module's step moves 12 bytes an element (a double SUM and a float MAX"
  echo "# allreduce, plus a 64-byte broadcast, a barrier, the stop agreement), i.e. the bytes of one allreduce of"
  echo "# the module's floats; 1-host step (the module's own loops) subtracted; median of $RUNS"
  printf '%-34s %10s %8s %12s %12s %12s %10s\n' gradient floats length 2host_ms 1host_ms allreduce_ms MB/s
} >"$OUT"

declare -A AR_MS ONE_MS FLOATS
FLOATS[keras-cifar10]=1250858
FLOATS[sagemaker-cifar10]=358506
FLOATS[linear-learner]=832
for g in keras-cifar10 sagemaker-cifar10 linear-learner; do
  f=${FLOATS[$g]}
  len=$(( (f + 2) / 3 ))
  steps=200
  [ "$len" -lt 10000 ] && steps=2000
  two=$(step_ms 2 "$len" "$steps")
  one=$(step_ms 1 "$len" "$steps")
  ar=$(awk -v a="$two" -v b="$one" 'BEGIN {d = a - b; if (d < 0) d = 0; printf "%.3f", d}')
  AR_MS[$g]=$ar
  ONE_MS[$g]=$one
  mbs=$(awk -v f="$f" -v t="$ar" 'BEGIN {if (t > 0) printf "%.0f", f * 4 / 1e6 / (t / 1000); else print "-"}')
  printf '%-34s %10s %8s %12.3f %12.3f %12s %10s\n' "$g" "$f" "$len" "$two" "$one" "$ar" "$mbs" | tee -a "$OUT"
done
echo "# load average after part 1: $(load)" >>"$OUT"

# ---- the linear learner for real: 1 and 2 loopback hosts ----
ROWS=${LL_ROWS:-400000}
mkdir -p "$W/ll"
"$PY" - "$W/ll/train.csv" "$ROWS" <<'EOF'
import sys, numpy as np
rng = np.random.default_rng(7)
n = int(sys.argv[2])
x = rng.standard_normal((n, 25)).astype(np.float32)
y = x @ rng.standard_normal(25).astype(np.float32) + 0.1 * rng.standard_normal(n).astype(np.float32)
np.savetxt(sys.argv[1], np.column_stack([y, x]), fmt="%.6g", delimiter=",")
EOF
LLHP='{"feature_dim": "25", "mini_batch_size": "500", "predictor_type": "regressor", "epochs": "3", "num_models": "32", "loss": "absolute_loss"}'
# ll_job HOSTS: per mini-batch ms of the leader (median over the epochs, after the first).
ll_job() {
  local n=$1 i p=() port=$((20000 + RANDOM % 20000))
  for i in $(seq 1 "$n"); do
    tree "$W/l$i" "$i" "$n" "$LLHP"
    ln "$W/ll/train.csv" "$W/l$i/input/data/train/train.csv" 2>/dev/null || cp "$W/ll/train.csv" "$W/l$i/input/data/train/"
    mkdir -p "$W/l$i/tmp"
    SAGEMAKER_BASE_DIR=$W/l$i TMPDIR=$W/l$i/tmp OPTML_MODULE_PATH=$BUILD/lib/optml OPTML_ALGORITHM=linear-learner \
      OPTML_DIST_PORT=$port OPTML_DIST_WAIT_SECONDS=60 timeout 300 "$BUILD/bin/optml" train >"$W/l$i.log" 2>&1 &
    p+=($!)
  done
  PIDS=("${p[@]}")
  wait "${p[@]}"
  PIDS=()
  keep <"$W/l1.log" >>"$RAW"
  # "Epoch 2/3: 199000 records in 0.123 s": records of this host
  sed -n 's/.*Epoch \([0-9]*\)\/[0-9]*: \([0-9]*\) records in \([0-9.]*\) s.*/\1 \2 \3/p' "$W/l1.log" |
    awk '$1 > 1 && $2 > 0 {printf "%.4f\n", $3 * 1000 / ($2 / 500)}' | median
}
ll1=()
ll2=()
for _ in $(seq "$RUNS"); do
  ll1+=("$(ll_job 1)")
  ll2+=("$(ll_job 2)")
done
LL1=$(printf '%s\n' "${ll1[@]}" | grep -v nan | median)
LL2=$(printf '%s\n' "${ll2[@]}" | grep -v nan | median)
{
  echo
  echo "## linear learner, the module itself: ms per mini-batch of 500 (per host), epochs 2-3 of $ROWS rows x 25, 32 models, regressor; median of $RUNS"
  echo "# runs, 1 host: ${ll1[*]}"
  echo "# runs, 2 hosts (FullyReplicated, each its half): ${ll2[*]}"
  printf '%-34s %10s\n' "1 host (compute only)" "$LL1" "2 loopback hosts (incl. allreduce)" "$LL2"
  echo "# 2 hosts share the 2 CPUs here (the 1-host job uses both), so the difference is not the allreduce alone"
} | tee -a "$OUT"

# ---- 2. compute per step ----
CNN_IPS=$(awk '/^training images\/s, batch 128/ {print $(NF-2); exit}' "$REPO/bench/results/cifar-cnn.txt")
SM_IPS=$(awk '$1 == "sagemaker-cifar10" && $2 == "onednn" {print $4; exit}' "$REPO/bench/results/cifar-cnn-train.txt")
declare -A COMPUTE_MS
COMPUTE_MS[keras-cifar10]=$(awk -v i="$CNN_IPS" 'BEGIN {printf "%.1f", 128 / i * 1000}')
COMPUTE_MS[sagemaker-cifar10]=$(awk -v i="$SM_IPS" 'BEGIN {printf "%.1f", 128 / i * 1000}')
COMPUTE_MS[linear-learner]=$LL1
{
  echo
  echo "## 2. Compute per step, one host of this machine (2 CPUs)"
  echo "# keras-cifar10: ${CNN_IPS} training images/s at batch 128 (bench/results/cifar-cnn.txt) -> ${COMPUTE_MS[keras-cifar10]} ms a step"
  echo "# sagemaker-cifar10: ${SM_IPS} images/s, oneDNN median (bench/results/cifar-cnn-train.txt) -> ${COMPUTE_MS[sagemaker-cifar10]} ms a step"
  echo "# linear learner: ${LL1} ms a mini-batch of 500 (above, 1 host)"
} | tee -a "$OUT"

# ---- 3. projection ----
{
  echo
  echo "## 3. Projection: ring allreduce T(n) = 2(n-1)/n * bytes/bandwidth + 2(n-1) * latency, latency ${LATENCY_US} us"
  echo "# efficiency = compute / (compute + T(n)); no overlap of communication and compute (optml allreduces after"
  echo "# the backward pass; Horovod overlaps them, optml does not). Compute = this machine's, per host (section 2)."
  echo "# Loopback measured (section 1) for comparison: 2 hosts keras-cifar10 ${AR_MS[keras-cifar10]} ms,"
  echo "# sagemaker-cifar10 ${AR_MS[sagemaker-cifar10]} ms, linear learner ${AR_MS[linear-learner]} ms."
} | tee -a "$OUT"
for g in keras-cifar10 sagemaker-cifar10 linear-learner; do
  c=${COMPUTE_MS[$g]}

  for scale in 1 10; do
    {
      echo
      if [ "$scale" -eq 1 ]; then
        echo "### $g: ${FLOATS[$g]} floats ($(awk -v f="${FLOATS[$g]}" 'BEGIN {printf "%.2f", f * 4 / 1e6}') MB) a step, compute $c ms a step"
      else
        echo "### $g, a host ${scale}x faster (compute $(awk -v c="$c" -v s="$scale" 'BEGIN {printf "%.3g", c / s}') ms a step: a bigger instance)"
      fi
      printf '%-6s %14s %12s %14s %12s\n' hosts T_10G_ms eff_10G T_25G_ms eff_25G
      for n in 2 4 8 16; do
        awk -v n="$n" -v f="${FLOATS[$g]}" -v c="$c" -v s="$scale" -v lat="$LATENCY_US" 'BEGIN {
          c = c / s; bytes = f * 4
          t10 = (2 * (n - 1) / n * bytes * 8 / 10e9 + 2 * (n - 1) * lat * 1e-6) * 1000
          t25 = (2 * (n - 1) / n * bytes * 8 / 25e9 + 2 * (n - 1) * lat * 1e-6) * 1000
          printf "%-6d %14.3f %11.1f%% %14.3f %11.1f%%\n", n, t10, 100 * c / (c + t10), t25, 100 * c / (c + t25) }'
      done
      if [ "$g" = linear-learner ]; then
        printf '# small messages: Open MPI picks recursive doubling, T(n) = log2(n) * (latency + bytes/bandwidth); 25 Gbit/s:'
        for n in 2 4 8 16; do
          awk -v n="$n" -v f="${FLOATS[$g]}" -v c="$c" -v s="$scale" -v lat="$LATENCY_US" 'BEGIN {
            c = c / s; t = log(n) / log(2) * (lat * 1e-6 + f * 4 * 8 / 25e9) * 1000
            printf " n=%d %.3f ms %.1f%%", n, t, 100 * c / (c + t) }'
        done
        echo
      fi
    } | tee -a "$OUT"
  done
done

# ---- 4. start-up ----
# startup LAST: seconds from the spawn of the last host to the first
# "step 0 done" in the leader's log; LAST=leader: hosts 2, 3, then 1;
# LAST=follower: hosts 1, 2, then 3.
startup() {
  local last=$1 order i p=() port=$((20000 + RANDOM % 20000)) t0 t1 k
  if [ "$last" = leader ]; then order="2 3 1"; else order="1 2 3"; fi
  for i in 1 2 3; do tree "$W/s$i" "$i" 3 '{"steps":"1","length":"1000"}'; : >"$W/s$i.log"; done
  for i in $order; do
    t0=$(date +%s%N)
    SAGEMAKER_BASE_DIR=$W/s$i OPTML_MODULE_PATH=$BUILD/tests/modules OPTML_ALGORITHM=allreduce \
      OPTML_DIST_PORT=$port OPTML_DIST_WAIT_SECONDS=60 timeout 120 "$BUILD/bin/optml" train >"$W/s$i.log" 2>&1 &
    p+=($!)
  done
  PIDS=("${p[@]}")
  t1=
  for k in $(seq 6000); do # 30 s at most
    if grep -q "step 0 done" "$W/s1.log"; then t1=$(date +%s%N); break; fi
    sleep 0.005
  done
  wait "${p[@]}"
  PIDS=()
  keep <"$W/s1.log" >>"$RAW"
  [ -n "$t1" ] && awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) / 1e9}' || echo nan
}
{
  echo
  echo "## 4. Start-up: 3 loopback hosts (allreduce module, steps=1), spawn of the last host -> first \"step 0 done\" in the leader's log (5 ms polling), median of $STARTS"
  printf '%-22s %10s   %s\n' "last host started" median_s runs
} >>"$OUT"
for last in leader follower; do
  s=()
  for _ in $(seq "$STARTS"); do s+=("$(startup "$last")"); done
  printf '%-22s %10s   %s\n' "$last" "$(printf '%s\n' "${s[@]}" | grep -v nan | median)" "${s[*]}" | tee -a "$OUT"
done

# ---- Containers ----
# The same allreduce jobs and start-up between containers of IMAGE on a
# Docker network of their own (local_test/train_hosts.sh), the test module
# bind-mounted read-only into them (it is not in the images).
IMAGE=${IMAGE:-optml/cifar-cnn}
CRUNS=${CRUNS:-3}
docker_ok=0
if ! docker info >/dev/null 2>&1; then
  why="# skipped: docker is not usable here (docker info fails)"
elif ! docker run --rm --entrypoint sh "$IMAGE" -c 'command -v mpirun' >/dev/null 2>&1; then
  why="# skipped: the image $IMAGE carries no Open MPI (build it: make image MODULE=cifar-cnn)"
else
  docker_ok=1
  why="# image $(docker image inspect -f '{{.Id}}' "$IMAGE" | cut -c8-19), created $(docker image inspect -f '{{.Created}}' "$IMAGE" | cut -c1-16)"
fi
{
  echo
  echo "## Containers: local_test/train_hosts.sh, image $IMAGE, the allreduce test module mounted read-only"
  echo "$why"
} | tee -a "$OUT"
# ctr_run N DIR HP [LOG]: train_hosts.sh of N containers, its output to LOG.
ctr_run() {
  local n=$1 d=$2 hp=$3 log=${4:-$W/ctr.log}
  rm -rf "$d" && mkdir -p "$d/input/data/train" "$d/input/config"
  echo "$hp" >"$d/input/config/hyperparameters.json"
  timeout 300 bash "$REPO/local_test/train_hosts.sh" "$n" 0 "$IMAGE" "$d" \
    -v "$BUILD/tests/modules:/opt/optml-test-modules:ro" -e OPTML_MODULE_PATH=/opt/optml-test-modules \
    -e OPTML_ALGORITHM=allreduce -e OPTML_DIST_WAIT_SECONDS=60 >"$log" 2>&1
  keep <"$log" >>"$RAW"
}
if [ "$docker_ok" -eq 1 ]; then
  printf '%-34s %10s %8s %12s %12s %12s %10s\n' gradient floats length 2ctr_ms 1host_ms allreduce_ms MB/s | tee -a "$OUT"
  for g in keras-cifar10 sagemaker-cifar10 linear-learner; do
    f=${FLOATS[$g]}
    len=$(( (f + 2) / 3 ))
    steps=200
    [ "$len" -lt 10000 ] && steps=2000
    per=()
    for _ in $(seq "$CRUNS"); do
      ctr_run 2 "$W/c" "{\"steps\":\"1\",\"length\":\"$len\"}" && t1=$(complete_s "$W/ctr.log") || t1=
      ctr_run 2 "$W/c" "{\"steps\":\"$steps\",\"length\":\"$len\"}" && tn=$(complete_s "$W/ctr.log") || tn=
      per+=("$(awk -v a="$t1" -v b="$tn" -v n="$steps" 'BEGIN {if (a == "" || b == "") print "nan"; else printf "%.4f", (b - a) / (n - 1) * 1000}')")
    done
    echo "  containers $g length=$len steps=$steps runs: ${per[*]}" >>"$RAW"
    two=$(printf '%s\n' "${per[@]}" | grep -v nan | median)
    ar=$(awk -v a="$two" -v b="${ONE_MS[$g]}" 'BEGIN {d = a - b; if (d < 0) d = 0; printf "%.3f", d}')
    mbs=$(awk -v f="$f" -v t="$ar" 'BEGIN {if (t > 0) printf "%.0f", f * 4 / 1e6 / (t / 1000); else print "-"}')
    printf '%-34s %10s %8s %12.3f %12.3f %12s %10s\n' "$g" "$f" "$len" "$two" "${ONE_MS[$g]}" "$ar" "$mbs" | tee -a "$OUT"
  done
  echo "# 2-container runs, ms a step (keras | sagemaker | linear): $(grep '^  containers' "$RAW" | sed 's/.*runs: //' | tr '\n' '|')" >>"$OUT"
  # Start-up: 3 containers, steps=1: from train_hosts.sh's "N hosts on
  # network" line (printed once every `docker run -d` returned, i.e. the last
  # container started) to the first "step 0 done" (5 ms polling).
  cs=()
  for _ in $(seq "$STARTS"); do
    rm -rf "$W/cs" && mkdir -p "$W/cs/input/data/train" "$W/cs/input/config"
    echo '{"steps":"1","length":"1000"}' >"$W/cs/input/config/hyperparameters.json"
    : >"$W/cs.log"
    timeout 120 bash "$REPO/local_test/train_hosts.sh" 3 0 "$IMAGE" "$W/cs" \
      -v "$BUILD/tests/modules:/opt/optml-test-modules:ro" -e OPTML_MODULE_PATH=/opt/optml-test-modules \
      -e OPTML_ALGORITHM=allreduce -e OPTML_DIST_WAIT_SECONDS=60 >"$W/cs.log" 2>&1 &
    PIDS=($!)
    t0="" t1=""
    for k in $(seq 12000); do # 60 s at most
      [ -n "$t0" ] || ! grep -q "hosts on network" "$W/cs.log" || t0=$(date +%s%N)
      if [ -n "$t0" ] && grep -q "step 0 done" "$W/cs.log"; then t1=$(date +%s%N); break; fi
      sleep 0.005
    done
    wait "${PIDS[@]}"
    PIDS=()
    keep <"$W/cs.log" >>"$RAW"
    if [ -n "$t0" ] && [ -n "$t1" ]; then cs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')"); else cs+=(nan); fi
  done
  {
    echo "# start-up, 3 containers (steps=1): last \`docker run -d\` returned -> first \"step 0 done\" (5 ms polling), median of $STARTS"
    printf '%-22s %10s   %s\n' "3 containers" "$(printf '%s\n' "${cs[@]}" | grep -v nan | median)" "${cs[*]}"
  } | tee -a "$OUT"
fi

# ---- One point with a shaped link ----
# The containers' host-side veths are not in this network namespace (the
# Docker daemon runs in its own) and the images carry no tc, so the shaping
# is done on loopback instead: in a private network namespace (unshare -n,
# root only) whose lo gets a tbf qdisc at SHAPE_RATE, the keras-cifar10
# point of section 1 is run again.  On lo both directions share that one
# queue, so a 2-host allreduce of B bytes (each host sends B) should take
# 2 B * 8 / rate more than unshaped: predicted = unshaped 2-host step + that.
SHAPE_RATE=${SHAPE_RATE:-1gbit}
{
  echo
  echo "## One point with a shaped link: keras-cifar10's step, 2 loopback hosts in a private network namespace, lo shaped by tc tbf rate $SHAPE_RATE"
} >>"$OUT"
rate_bps=$(echo "$SHAPE_RATE" | awk '{v = $1 + 0; if ($1 ~ /gbit$/) v *= 1e9; else if ($1 ~ /mbit$/) v *= 1e6; print v}')
if [ "$SHAPE_RATE" = 0 ]; then
  echo "# skipped (SHAPE_RATE=0)" >>"$OUT"
elif ! unshare -n true 2>/dev/null; then
  echo "# skipped: unshare -n is not allowed here (needs root)" >>"$OUT"
else
  export -f tree allreduce_job step_ms median complete_s keep
  export W BUILD RUNS RAW SHAPE_RATE
  len=$(( (${FLOATS[keras-cifar10]} + 2) / 3 ))
  # shellcheck disable=SC2016  # expanded by the inner shell
  shaped=$(unshare -n bash -c 'ip link set lo up && tc qdisc add dev lo root tbf rate "$SHAPE_RATE" burst 256kb latency 500ms &&
    step_ms 2 '"$len"' 50' 2>>"$RAW")
  unshaped=$(awk -v a="${AR_MS[keras-cifar10]}" -v b="${ONE_MS[keras-cifar10]}" 'BEGIN {printf "%.3f", a + b}')
  pred=$(awk -v u="$unshaped" -v l="$len" -v r="$rate_bps" 'BEGIN {printf "%.3f", u + 2 * 12 * l * 8 / r * 1000}')
  {
    printf '%-34s %12s %12s %12s\n' point unshaped_ms shaped_ms predicted_ms
    printf '%-34s %12s %12s %12s\n' "keras-cifar10, $SHAPE_RATE" "$unshaped" "${shaped:-failed}" "$pred"
  } | tee -a "$OUT"
fi
echo "# load average at the end: $(load)" >>"$OUT"
