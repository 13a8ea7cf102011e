#!/usr/bin/env bash
# Multi-host collectives' cost per step (issue #17), on this machine: three
# loopback "hosts" (127.0.0.1-3, network_interface_name lo) run the test
# module `allreduce` (tests/modules/allreduce.c: per step two allreduces of
# LENGTH elements, a 64-byte broadcast, a barrier and the stop agreement).
# A step's time is (T(STEPS) - T(1)) / (STEPS - 1), T the leader rank's
# "Training complete in T s", so start-up cancels out; median of RUNS.
# With BASE=<another build directory> the same jobs run on that build too
# (e.g. one from before the collectives were polled against
# OPTML_DIST_TIMEOUT), on the same machine, interleaved.
# Writes bench/results/dist-collectives.txt (raw log: dist-collectives.raw.log).
# Env: OPTML_BUILD=build BASE= RUNS=5 STEPS=2000 OUT=...
set -u
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$REPO/$1" ;; esac; }
BUILD=$(abs "${OPTML_BUILD:-build}")
BASE=${BASE:+$(abs "$BASE")}
RUNS=${RUNS:-5}
STEPS=${STEPS:-2000}
OUT=${OUT:-$REPO/bench/results/dist-collectives.txt}
RAW=${OUT%.txt}.raw.log
W=$(mktemp -d /tmp/optml-bench-dist.XXXXXX)
trap 'rm -rf "$W"' EXIT
die() { echo "bench/dist_collectives.sh: $*" >&2; exit 1; }
[ -x "$BUILD/bin/optml" ] || die "$BUILD/bin/optml missing: run make first"
command -v mpirun >/dev/null || die "no mpirun (openmpi-bin)"
: >"$RAW"

# run BUILD STEPS LENGTH: the leader rank's training seconds.
run() {
  local b=$1 steps=$2 len=$3 i pids=() port=$((20000 + RANDOM % 20000))
  for i in 1 2 3; do
    rm -rf "$W/h$i" && mkdir -p "$W/h$i/input/config" "$W/h$i/input/data/train"
    echo "{\"current_host\":\"127.0.0.$i\",\"hosts\":[\"127.0.0.1\",\"127.0.0.2\",\"127.0.0.3\"],\"network_interface_name\":\"lo\"}" \
      >"$W/h$i/input/config/resourceconfig.json"
    echo "{\"steps\":\"$steps\",\"length\":\"$len\"}" >"$W/h$i/input/config/hyperparameters.json"
    SAGEMAKER_BASE_DIR=$W/h$i OPTML_MODULE_PATH=$b/tests/modules OPTML_ALGORITHM=allreduce \
      OPTML_DIST_PORT=$port OPTML_DIST_WAIT_SECONDS=60 "$b/bin/optml" train >"$W/h$i.log" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  grep -v ": step [0-9]* done$" "$W/h1.log" >>"$RAW" # the leader's log, less the per-step lines
  sed -n 's/.*Training complete in \([0-9.]*\) s.*/\1/p' "$W/h1.log" | head -1
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

{
  echo "# bash bench/dist_collectives.sh  (OPTML_BUILD=${OPTML_BUILD:-build} BASE=${BASE:-} RUNS=$RUNS STEPS=$STEPS)"
  echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, Open MPI $(mpirun --version 2>/dev/null | head -1 | awk '{print $NF}')"
  echo "# per step: 2 allreduces of LENGTH elements (doubles, floats), a 64-byte broadcast, a barrier, the stop agreement; 3 loopback hosts"
  printf '%-8s %10s %14s\n' build length ms_per_step
} >"$OUT"
for len in 1000 250000; do
  steps=$STEPS
  [ "$len" -gt 1000 ] && steps=$((STEPS / 10))
  for b in $BASE $BUILD; do
    per=()
    for r in $(seq "$RUNS"); do
      t1=$(run "$b" 1 "$len")
      tn=$(run "$b" "$steps" "$len")
      per+=("$(awk -v a="$t1" -v b="$tn" -v n="$steps" 'BEGIN {printf "%.4f", (b - a) / (n - 1) * 1000}')")
    done
    name=this; [ "$b" = "$BASE" ] && name=base
    printf '%-8s %10s %14s\n' "$name" "$len" "$(printf '%s\n' "${per[@]}" | median)" | tee -a "$OUT"
  done
done
