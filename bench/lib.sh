# shellcheck shell=bash
# bench/lib.sh: what every benchmark script shares, sourced after it has set
# W (its temp dir): PIDS of the processes it started (stopped by PID on
# exit: TERM, up to 10 s, then KILL), removal of W, the traps, log (stdout
# and $W/raw.log) and busy_jiffies (the machine's busy CPU ticks, to tell a
# quiet machine), bench_provenance (the commit and machine lines of a
# results file; needs REPO) and bench_publish (install the results and the
# raw log).  A script with more to clean up defines bench_cleanup_extra.
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
# The "commit:" and "machine:" lines of a results file; $1 is appended to
# the machine line.
bench_provenance() {
  local commit dirty
  commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | wc -l)
  echo "commit:  $commit$([ "$dirty" -gt 0 ] && echo " + $dirty uncommitted changed files in the work tree")"
  echo "machine: nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)${1:-}"
}
# bench_publish OUT RAW WHAT: install $W/results.txt as OUT and $W/raw.log as
# RAW (temp file + rename), then show the results; WHAT names the raw log.
bench_publish() {
  cp "$W/results.txt" "$1.tmp" && mv "$1.tmp" "$1"
  cp "$W/raw.log" "$2.tmp" && mv "$2.tmp" "$2"
  echo
  cat "$1"
  echo "(written to $1; $3 in $2)"
}
