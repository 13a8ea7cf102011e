#!/usr/bin/env bash
# The whole path on real data shipped in the repository: build the
# optml/linear-learner image, train it on the breast-cancer sample with
# train_local.sh, serve it with serve_local.sh, and send one prediction with
# predict.sh.  Needs Docker (docker/setup.sh installs and starts it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
bash docker/setup.sh
make --no-print-directory image MODULE=linear-learner
export OPTML_DOCKER_NETWORK=host OPTML_PORT=${OPTML_PORT:-8080}
echo "== train"
bash local_test/train_local.sh optml/linear-learner
echo "== serve on port $OPTML_PORT"
name=optml-demo-$$
OPTML_CONTAINER_NAME=$name bash local_test/serve_local.sh optml/linear-learner >"/tmp/$name.log" 2>&1 &
trap 'docker stop -t 10 "$name" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$OPTML_PORT/ping" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$OPTML_PORT/ping"; echo
echo "== predict local_test/linear-learner/payload.csv (true labels: $(tr '\n' ' ' < local_test/linear-learner/payload.labels))"
bash local_test/predict.sh local_test/linear-learner/payload.csv text/csv
