#!/usr/bin/env bash
# The whole path on real data shipped in the repository: build the
# optml/linear-learner image, train it on the breast-cancer sample with
# train_local.sh, serve it with serve_local.sh, and send one prediction with
# predict.sh.  Needs Docker: docker/setup.sh installs and starts it (through
# sudo when not root; when Docker then answers only through sudo, the demo
# reruns itself through sudo, the files it writes staying the user's).
#   Usage: local_test/demo.sh     (make demo; OPTML_PORT: the port, default 8080)
# The port is checked first; when the server does not come up, its last log
# lines are shown.  Its log is a temp file, removed at exit.
set -euo pipefail
usage="usage: local_test/demo.sh   (make demo; OPTML_PORT=<port> to serve on another port than 8080)"
case ${1:-} in
  -h|--help) echo "$usage"; exit 0 ;;
  '') ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
bash docker/setup.sh demo
if ! docker info >/dev/null 2>&1 && [ "$(id -u)" -ne 0 ]; then
  echo "demo: Docker answers $(id -un) only through sudo: running the demo through sudo"
  exec sudo --preserve-env=OPTML_PORT,OPTML_DOCKER_NETWORK bash "$here/demo.sh"
fi
export OPTML_PORT=${OPTML_PORT:-8080}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if port_busy "$OPTML_PORT"; then
  echo "demo: port $OPTML_PORT on 127.0.0.1 is already in use; serve on a free one: OPTML_PORT=8081 make demo" >&2
  exit 1
fi
make --no-print-directory image MODULE=linear-learner
echo "== train"
bash local_test/train_local.sh optml/linear-learner
echo "== serve on port $OPTML_PORT"
name=optml-demo-$$
log=$(mktemp /tmp/optml-demo.XXXXXX)
server=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  docker stop -t 10 "$name" >/dev/null 2>&1 || true
  [ -z "$server" ] || wait "$server" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
OPTML_CONTAINER_NAME=$name bash local_test/serve_local.sh optml/linear-learner >"$log" 2>&1 &
server=$!
up=0
for _ in $(seq 150); do
  kill -0 "$server" 2>/dev/null || break          # the container has ended
  if curl -fs "http://127.0.0.1:$OPTML_PORT/ping" >/dev/null 2>&1 && kill -0 "$server" 2>/dev/null; then
    up=1
    break
  fi
  sleep 0.1
done
if [ "$up" -ne 1 ]; then
  echo "demo: the server did not answer /ping on port $OPTML_PORT; the last lines of its log:" >&2
  tail -n 15 "$log" | sed 's/^/  /' >&2
  if grep -Eqi 'address already in use|port is already allocated' "$log"; then
    echo "demo: port $OPTML_PORT is taken; serve on a free one: OPTML_PORT=8081 make demo" >&2
  else
    echo "demo: (another port: OPTML_PORT=8081 make demo)" >&2
  fi
  exit 1
fi
grep '^local_test:' "$log" || true
curl -fsS "http://127.0.0.1:$OPTML_PORT/ping"; echo
echo "== predict local_test/linear-learner/payload.csv (true labels: $(tr '\n' ' ' < local_test/linear-learner/payload.labels))"
bash local_test/predict.sh local_test/linear-learner/payload.csv text/csv
