# shellcheck shell=bash
# Sourced by tests/images/run.sh: the local_test flow with nothing set, as
# the README and the workshop run it (train_local.sh IMAGE, serve_local.sh
# IMAGE &, predict.sh), on whatever network this Docker has: the scripts
# must find out themselves that dockerd runs without a default bridge
# (docker/setup.sh starts it so) and use host networking.  Then variables
# into the container (-e, OPTML_DOCKER_ENV) and OPTML_CONTAINER_NAME for
# train_local.sh.  Uses optml/linear-learner.
need_image linear-learner || return 0
unset OPTML_DOCKER_NETWORK OPTML_TEST_DIR OPTML_PORT OPTML_DOCKER_ENV OPTML_CONTAINER_NAME
cp -r local_test/linear-learner/test_dir "$WORK/flow"
chmod -R a+rwX "$WORK/flow"
OPTML_TEST_DIR=$WORK/flow timeout 300 local_test/train_local.sh "$IMAGE" >"$WORK/flow-train.log" 2>&1; code=$?
check flow_train_local_exits_0 sh -c "[ $code -eq 0 ] && [ -s '$WORK/flow/model/model.json' ]"
fport=$(free_port)
fname=optml-image-test-flow-$$
track_container "$fname"
OPTML_TEST_DIR=$WORK/flow OPTML_PORT=$fport OPTML_CONTAINER_NAME=$fname \
  local_test/serve_local.sh "$IMAGE" >"$WORK/flow-serve.log" 2>&1 &
check flow_serve_local_answers_without_settings wait_ping "$fport" 150
if docker network inspect bridge >/dev/null 2>&1; then
  check flow_says_it_publishes_the_port grep -q "^local_test: publishing port $fport" "$WORK/flow-serve.log"
else
  echo "this Docker has no default bridge network"
  check flow_no_bridge_says_host_networking grep -q "^local_test: Docker has no default bridge network.*host networking, port $fport" "$WORK/flow-serve.log"
fi
OPTML_PORT=$fport local_test/predict.sh local_test/linear-learner/payload.csv text/csv >"$WORK/flow-predict.out" 2>"$WORK/flow-predict.err"; code=$?
check flow_predict_exits_0 test "$code" -eq 0
check flow_predict_one_prediction_per_row test "$(grep -o '"predicted_label"' "$WORK/flow-predict.out" | wc -l)" -eq 10
OPTML_PORT=$fport local_test/predict.sh local_test/linear-learner/payload.csv application/x-nothing >/dev/null 2>"$WORK/flow-415.err"; code=$?
check flow_predict_415_exits_1 sh -c "[ $code -eq 1 ] && grep -q 'HTTP 415' '$WORK/flow-415.err'"
docker stop -t 10 "$fname" >/dev/null 2>&1
OPTML_PORT=$fport local_test/predict.sh local_test/linear-learner/payload.csv >/dev/null 2>"$WORK/flow-dead.err"; code=$?
check flow_predict_without_server_says_what_to_do sh -c "[ $code -eq 1 ] && grep -q 'serve_local.sh' '$WORK/flow-dead.err'"

# -e NAME=value and OPTML_DOCKER_ENV reach the container.
eport=$(free_port)
ename=optml-image-test-flow-env-$$
track_container "$ename"
OPTML_TEST_DIR=$WORK/flow OPTML_PORT=$eport OPTML_CONTAINER_NAME=$ename \
  local_test/serve_local.sh -e SAGEMAKER_MODEL_SERVER_WORKERS=1 "$IMAGE" >"$WORK/flow-serve-env.log" 2>&1 &
wait_ping "$eport" 150
check flow_serve_local_dash_e_reaches_the_container grep -q ', 1 workers,' "$WORK/flow-serve-env.log"
docker stop -t 10 "$ename" >/dev/null 2>&1
# An unknown OPTML_ALGORITHM is the job's ClientError.
OPTML_TEST_DIR=$WORK/flow timeout 120 local_test/train_local.sh -e OPTML_ALGORITHM=no-such-module "$IMAGE" \
  >"$WORK/flow-env.log" 2>&1; code=$?
check flow_train_local_dash_e_reaches_the_container sh -c \
  "[ $code -eq 2 ] && grep -q \"OPTML_ALGORITHM='no-such-module'\" '$WORK/flow/output/failure'"
OPTML_TEST_DIR=$WORK/flow OPTML_DOCKER_ENV='OPTML_ALGORITHM=other-module' timeout 120 local_test/train_local.sh "$IMAGE" \
  >"$WORK/flow-env2.log" 2>&1; code=$?
check flow_optml_docker_env_reaches_the_container sh -c \
  "[ $code -eq 2 ] && grep -q \"OPTML_ALGORITHM='other-module'\" '$WORK/flow/output/failure'"
# OPTML_CONTAINER_NAME names train_local.sh's container: a name in use is refused.
tname=optml-image-test-flow-name-$$
track_container "$tname"
docker create --name "$tname" "$IMAGE" version >/dev/null
OPTML_TEST_DIR=$WORK/flow OPTML_CONTAINER_NAME=$tname timeout 60 local_test/train_local.sh "$IMAGE" >"$WORK/flow-name.log" 2>&1; code=$?
check flow_train_local_takes_optml_container_name sh -c "[ $code -ne 0 ] && grep -q '$tname' '$WORK/flow-name.log'"
docker rm -f "$tname" >/dev/null 2>&1
