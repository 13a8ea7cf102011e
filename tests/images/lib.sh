# shellcheck shell=bash
# Shared helpers of the image tests, sourced by tests/images/run.sh before it
# sources each tests/images/<module>.sh.  Owns: the pass/fail counters and
# ok/bad/check, the run's temp dir ($WORK), the containers and background
# processes to stop at exit (by name / by PID), building each image once per
# run (need_image), Docker's presence (docker_ready), free ports and /ping
# waits.  A module's file uses only these and the local_test scripts, e.g.
#   need_image news-classifier || return 0      # sets IMAGE=optml/news-classifier
#   check my_check test -s "$WORK/x"
# (run.sh sources the file, so `return`, never `exit`, ends it early).
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
# check NAME COMMAND...: PASS when the command succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "$*"; fi; }

WORK=$(mktemp -d /tmp/optml-image-test.XXXXXX)
_containers=() _pids=()
# track_container NAME: `docker rm -f NAME` at exit.  track_pid PID: kill it.
track_container() { _containers+=("$1"); }
track_pid() { _pids+=("$1"); }
# shellcheck disable=SC2317  # called by the EXIT trap
_images_cleanup() {
  local x
  for x in "${_containers[@]}"; do docker rm -f "$x" >/dev/null 2>&1; done
  for x in "${_pids[@]}"; do kill "$x" 2>/dev/null && wait "$x" 2>/dev/null; done
  rm -rf "$WORK"
}
trap _images_cleanup EXIT

# In CI (CI=1, or OPTML_CI=1 as .ci/run sets) a Docker that does not answer
# is a failure; elsewhere the image tests are skipped, saying why.
in_ci() { [ "${CI:-}" = 1 ] || [ "${CI:-}" = true ] || [ "${OPTML_CI:-}" = 1 ]; }

# docker_ready: 0 when a daemon answers (as root, docker/setup.sh is run
# first: it installs Docker and starts dockerd when none runs).
docker_ready() {
  if ! docker info >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    bash docker/setup.sh >"$WORK/setup.log" 2>&1 || tail -n 20 "$WORK/setup.log"
  fi
  docker info >/dev/null 2>&1
}

# need_image MODULE: build optml/<module> once per run (make image) and set
# IMAGE to its name.  A failed build is one FAIL and returns 1, on later
# calls too.  (Call it directly, not in $(...): it counts.)
declare -A _built=()
need_image() {
  local m=$1
  if [ -z "${_built[$m]:-}" ]; then
    local t0=$SECONDS
    if make --no-print-directory image MODULE="$m" >"$WORK/build-$m.log" 2>&1; then
      _built[$m]=ok
      echo "built optml/$m in $((SECONDS - t0)) s"
    else
      _built[$m]=failed
      tail -n 30 "$WORK/build-$m.log" >&2
      bad "build_image_$m" "make image MODULE=$m failed (log above)"
    fi
  fi
  # shellcheck disable=SC2034  # read by the module files
  IMAGE=optml/$m
  [ "${_built[$m]}" = ok ]
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_ping PORT [TENTHS]: 0 once /ping answers 200 (default within 10 s).
wait_ping() {
  local i
  for ((i = 0; i < ${2:-100}; i++)); do
    curl -fs "http://127.0.0.1:$1/ping" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
