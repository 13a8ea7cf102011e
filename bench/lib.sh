# shellcheck shell=bash
# bench/lib.sh: what every benchmark script shares, sourced after it has set
# W (its temp dir): PIDS of the processes it started (stopped by PID on
# exit: TERM, up to 10 s, then KILL), removal of W, the traps, log (stdout
# and $W/raw.log) and busy_jiffies (the machine's busy CPU ticks, to tell a
# quiet machine).  A script with more to clean up defines bench_cleanup_extra.
PIDS=()
bench_cleanup_extra() { :; }
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$W"
  bench_cleanup_extra
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log() { echo "$*"; echo "$*" >> "$W/raw.log"; }
busy_jiffies() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat; }
