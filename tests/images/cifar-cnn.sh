# shellcheck shell=bash
# Sourced by tests/images/run.sh (helpers in tests/images/lib.sh): the
# optml/cifar-cnn image through the local_test flow: train_local.sh IMAGE on
# the shipped Fashion-MNIST sample (gzip'd IDX pairs in train/ and eval/, as
# a non-root user), the Keras end-of-epoch line the SageMaker example's
# metric_definitions read (ALGORITHMS.md B.7), serve_local.sh IMAGE, then
# predict.sh with TF Serving instances; a wrong shape is a 400 and a bad
# hyperparameter a ClientError.  Talks only to 127.0.0.1; every container it
# starts is stopped by name.  About 15 s with the image built.
need_image cifar-cnn || return 0
CC=local_test/cifar-cnn

size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
echo "image size: $((size / 1000000)) MB"
check cc_image_under_250_mb test "$size" -lt 250000000
check cc_image_runs_as_any_user sh -c "docker run --rm --user 12345:12345 $IMAGE version | grep -q 'cifar-cnn'"

# --- train_local.sh IMAGE, as a user the test creates (files stay theirs)
user=optml-image-test
id "$user" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$user"
uid=$(id -u "$user") gid=$(id -g "$user")
cp -r "$CC/test_dir" "$WORK/cc"
chown -R "$uid:$gid" "$WORK/cc"
export OPTML_DOCKER_NETWORK=host
OPTML_TEST_DIR=$WORK/cc SUDO_UID=$uid SUDO_GID=$gid timeout 180 \
  bash local_test/train_local.sh "$IMAGE" >"$WORK/cc-train.log" 2>&1; code=$?
check cc_train_local_exits_0 test "$code" -eq 0
check cc_train_writes_the_model test -s "$WORK/cc/model/cifar-cnn.model"
check cc_train_leaves_no_failure test ! -e "$WORK/cc/output/failure"
owner=$(stat -c %u "$WORK/cc/model/cifar-cnn.model" 2>/dev/null)
check cc_train_files_belong_to_the_invoking_user test "${owner:-x}" = "$uid"
# The example's train:loss / train:accuracy metric_definitions (B.7) on the
# Keras end-of-epoch line (the sample has no validation channel, so no val_*).
check cc_train_log_matches_the_examples_metric_definitions grep -Eq \
  '^[0-9]+/[0-9]+ \[=+\] - [0-9]+s [0-9]+[mu]s/step - loss: [0-9.]+ - accuracy: [0-9.]+$' \
  "$WORK/cc-train.log"
acc=$(sed -n 's/^Test accuracy: *\([0-9.]*\).*/\1/p' "$WORK/cc-train.log" | tail -1)
echo "cifar-cnn test accuracy on the 100-image eval channel: ${acc:-none}"
check cc_test_accuracy_well_above_chance awk -v a="${acc:-0}" 'BEGIN { exit !(a >= 0.4) }'

# --- serve_local.sh IMAGE, then predict.sh with TF Serving instances
port=$(free_port)
name=optml-image-test-cc-serve-$$
track_container "$name"
OPTML_TEST_DIR=$WORK/cc OPTML_PORT=$port OPTML_CONTAINER_NAME=$name \
  bash local_test/serve_local.sh "$IMAGE" >"$WORK/cc-serve.log" 2>&1 &
check cc_serve_local_pings_200 wait_ping "$port"
OPTML_PORT=$port bash local_test/predict.sh "$CC/payload.json" application/json >"$WORK/cc-p.json" 2>"$WORK/cc-p.err"
check cc_predict_gives_a_distribution_per_instance python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["predictions"]
sys.exit(not (len(p) == 2 and all(len(r) == 10 and abs(sum(r) - 1) < 1e-3 for r in p)))' "$WORK/cc-p.json"
echo '{"instances": [[1, 2, 3]]}' >"$WORK/cc-bad.json"
code=$(curl -s -o "$WORK/cc-bad.out" -w '%{http_code}' -H 'Content-Type: application/json' \
       --data-binary @"$WORK/cc-bad.json" "http://127.0.0.1:$port/invocations")
check cc_wrong_shape_is_400_with_an_error test "$code" = 400
check cc_wrong_shape_names_the_expected_shape grep -q '28' "$WORK/cc-bad.out"
docker stop -t 10 "$name" >/dev/null 2>&1

# --- a bad hyperparameter: exit 2 and a ClientError in output/failure
cp -r "$CC/test_dir" "$WORK/cc-bad-hp"
echo '{"optimizer": "adagrad"}' >"$WORK/cc-bad-hp/input/config/hyperparameters.json"
OPTML_TEST_DIR=$WORK/cc-bad-hp timeout 60 bash local_test/train_local.sh "$IMAGE" >"$WORK/cc-bad-hp.log" 2>&1; code=$?
check cc_bad_hyperparameter_exits_2 test "$code" -eq 2
check cc_bad_hyperparameter_client_error grep -q '^ClientError: .*optimizer' "$WORK/cc-bad-hp/output/failure"

# --- train_local.sh --hosts 3: the sample trained on three containers
# (Horovod-style data parallelism on Open MPI), FullyReplicated: each host
# every third image, one model on algo-1, the same weights on every host
check cc_image_has_open_mpi_and_the_plugin docker run --rm --entrypoint sh "$IMAGE" -c \
  'command -v mpirun >/dev/null && command -v orted >/dev/null && test -f /usr/local/lib/optml/dist/optml-mpi.so'
cp -r "$CC/test_dir" "$WORK/cc-hosts"
chown -R "$uid:$gid" "$WORK/cc-hosts"
OPTML_TEST_DIR=$WORK/cc-hosts SUDO_UID=$uid SUDO_GID=$gid timeout 300 \
  bash local_test/train_local.sh --hosts 3 "$IMAGE" >"$WORK/cc-hosts.log" 2>&1; code=$?
check cc_hosts_exits_0 test "$code" -eq 0
check cc_hosts_every_host_exits_0 grep -q "^train_local: exit codes: algo-1=0 algo-2=0 algo-3=0$" "$WORK/cc-hosts.log"
check cc_hosts_writes_the_model_of_algo_1 test -s "$WORK/cc-hosts/model/cifar-cnn.model"
check cc_hosts_every_host_holds_the_same_weights grep -q "All 3 hosts hold the same " "$WORK/cc-hosts.log"
check cc_hosts_scales_the_learning_rate grep -q "x 3 hosts = " "$WORK/cc-hosts.log"
check cc_hosts_leaves_no_failure test ! -e "$WORK/cc-hosts/output/failure"
