#!/usr/bin/env bash
# Image tests with a real Docker engine: build optml/linear-learner once,
# then train, serve, predict and stop it the way users do, through the
# local_test scripts.  Ends with "N passed, N failed"; exit 1 on any failure.
# Talks only to 127.0.0.1; every container it starts is stopped by name.
set -uo pipefail
cd "$(dirname "$0")/../.."
IMAGE=optml/linear-learner
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "$*"; fi; }

work=$(mktemp -d /tmp/optml-image-test.XXXXXX)
names=()
cleanup() {
  for n in "${names[@]}"; do docker rm -f "$n" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

bash docker/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
if ! make --no-print-directory image MODULE=linear-learner >"$work/build.log" 2>&1; then
  tail -n 30 "$work/build.log"; echo "0 passed, 1 failed"; exit 1
fi

# --- the image itself
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
echo "image size: $((size / 1000000)) MB"
check image_under_200_mb test "$size" -lt 200000000
labels=$(docker image inspect -f '{{json .Config.Labels}}' "$IMAGE")
check image_has_sagemaker_labels grep -q 'accept-bind-to-port":"true".*multi-models":"true"' <<<"$labels"
check image_runs_as_any_user sh -c "docker run --rm --user 12345:12345 $IMAGE version | grep -q 'linear-learner'"
docker run --rm "$IMAGE" >/dev/null 2>&1; code=$?
check image_without_command_prints_usage_and_exits_2 test "$code" -eq 2

# --- train_local.sh as a user the test creates (files stay theirs)
user=optml-image-test
id "$user" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$user"
uid=$(id -u "$user") gid=$(id -g "$user")
cp -r local_test/linear-learner/test_dir "$work/test_dir"
chown -R "$uid:$gid" "$work/test_dir"
export OPTML_TEST_DIR=$work/test_dir OPTML_DOCKER_NETWORK=host
SUDO_UID=$uid SUDO_GID=$gid timeout 300 bash local_test/train_local.sh "$IMAGE" >"$work/train.log" 2>&1; code=$?
check train_local_exits_0 test "$code" -eq 0
check train_local_writes_model test -s "$work/test_dir/model/model.json"
check train_local_leaves_no_failure test ! -e "$work/test_dir/output/failure"
owner=$(stat -c %u "$work/test_dir/model/model.json" 2>/dev/null)
check train_local_files_belong_to_the_invoking_user test "${owner:-x}" = "$uid"
check train_log_has_builtin_metric_lines grep -q '#quality_metric: host=algo-1, validation binary_classification_accuracy <score>=' "$work/train.log"

# --- bad input inside the container: ClientError in output/failure, exit 2
cp -r local_test/linear-learner/test_dir "$work/bad"
echo '{"predictor_type": "binary_classifier", "epochs": "many"}' >"$work/bad/input/config/hyperparameters.json"
OPTML_TEST_DIR=$work/bad timeout 120 bash local_test/train_local.sh "$IMAGE" >/dev/null 2>&1; code=$?
check bad_hyperparameter_exits_2 test "$code" -eq 2
check bad_hyperparameter_client_error grep -q "^ClientError: .*epochs" "$work/bad/output/failure"

# --- serve_local.sh + predict.sh
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export OPTML_PORT=$port
name=optml-image-test-serve-$$
names+=("$name")
OPTML_CONTAINER_NAME=$name bash local_test/serve_local.sh "$IMAGE" >"$work/serve.log" 2>&1 &
up=0
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/ping" >/dev/null 2>&1 && { up=1; break; }; sleep 0.1; done
check serve_local_pings_200 test "$up" -eq 1
out=$(bash local_test/predict.sh local_test/linear-learner/payload.csv text/csv 2>&1)
n=$(grep -o '"predicted_label"' <<<"$out" | wc -l)
check predict_answers_one_prediction_per_row test "$n" -eq 10
right=$(python3 - "$out" local_test/linear-learner/payload.labels <<'PY'
import json, sys
pred = [p["predicted_label"] for p in json.loads(sys.argv[1])["predictions"]]
want = [int(x) for x in open(sys.argv[2]).read().split()]
print(sum(int(a == b) for a, b in zip(pred, want)))
PY
)
check predictions_are_mostly_right test "${right:-0}" -ge 9
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/csv' -H 'Accept: text/csv' \
       --data-binary @local_test/linear-learner/payload.csv "http://127.0.0.1:$port/invocations")
check accept_text_csv_is_406 test "$code" = 406
docker wait "$name" >"$work/serve.exit" 2>/dev/null &
waiter=$!
docker stop -t 30 "$name" >/dev/null 2>&1
wait "$waiter"
check docker_stop_ends_serve_with_exit_0 test "$(cat "$work/serve.exit" 2>/dev/null)" = 0

# --- docker stop during training: checkpoint, exit 0, no failure file
cp -r local_test/linear-learner/test_dir "$work/long"
mkdir -p "$work/long/checkpoints"
for i in $(seq 200); do cat local_test/linear-learner/test_dir/input/data/train/*.csv; done >"$work/long/input/data/train/big.csv"
echo '{"predictor_type": "binary_classifier", "epochs": "1000", "mini_batch_size": "10", "early_stopping_patience": "1000"}' \
  >"$work/long/input/config/hyperparameters.json"
tname=optml-image-test-train-$$
names+=("$tname")
docker run -d --name "$tname" -v "$work/long:/opt/ml" "$IMAGE" train >/dev/null
for _ in $(seq 300); do ls "$work/long/checkpoints/"*.ckpt >/dev/null 2>&1 && break; sleep 0.1; done
start=$(date +%s%N)
docker stop -t 30 "$tname" >/dev/null
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
code=$(docker inspect -f '{{.State.ExitCode}}' "$tname")
echo "docker stop during training: exit $code after ${took_ms} ms"
check docker_stop_during_training_exits_0 test "$code" = 0
check docker_stop_during_training_within_10_s test "$took_ms" -lt 10000
check docker_stop_leaves_a_checkpoint sh -c "ls $work/long/checkpoints/*.ckpt >/dev/null 2>&1"
check docker_stop_leaves_no_failure test ! -e "$work/long/output/failure"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
