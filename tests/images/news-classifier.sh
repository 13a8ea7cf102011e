# shellcheck shell=bash
# Sourced by tests/images/run.sh (helpers in tests/images/lib.sh): the
# optml/news-classifier image through the Keras news-headline workshop's own
# flow (ALGORITHMS.md A.6): train_local.sh IMAGE, serve_local.sh IMAGE, then
# `predict.sh input.json application/json` from the module's local_test
# directory, on the shipped Debian-descriptions corpus (training/ = first
# 80 %, validation/ = last 20 %).  Talks only to 127.0.0.1; every container
# it starts is stopped by name.  About 20 s with the image built.
need_image news-classifier || return 0
NC=local_test/news-classifier

# --- the image itself
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
echo "image size: $((size / 1000000)) MB"
check nc_image_under_200_mb test "$size" -lt 200000000
labels=$(docker image inspect -f '{{json .Config.Labels}}' "$IMAGE")
check nc_image_has_sagemaker_labels grep -q 'accept-bind-to-port":"true".*multi-models":"true"' <<<"$labels"
check nc_image_runs_as_any_user sh -c "docker run --rm --user 12345:12345 $IMAGE version | grep -q 'news-classifier'"

# nc_json FILE EXPR: evaluate a Python expression on the JSON document in FILE
# (bound to d; `labels` = the served names in $NC_MODEL_JSON's model); prints
# a non-boolean value; exit 1 when FILE is not JSON, the expression fails or
# is False / None.
nc_json() {
  python3 - "$1" "$2" "${NC_MODEL_JSON:-/dev/null}" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    try:
        labels = [l["name"] for l in json.load(open(sys.argv[3]))["labels"]]
    except Exception:
        labels = []
    v = eval(sys.argv[2])
except Exception as e:
    print("nc_json: %s" % e, file=sys.stderr)
    sys.exit(1)
if not isinstance(v, bool):
    print(v)
sys.exit(0 if v not in (False, None) else 1)
PY
}

# --- train_local.sh IMAGE, as a user the test creates (files stay theirs)
user=optml-image-test
id "$user" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$user"
uid=$(id -u "$user") gid=$(id -g "$user")
cp -r "$NC/test_dir" "$WORK/nc"
chown -R "$uid:$gid" "$WORK/nc"
export OPTML_DOCKER_NETWORK=host
OPTML_TEST_DIR=$WORK/nc SUDO_UID=$uid SUDO_GID=$gid timeout 120 \
  bash local_test/train_local.sh "$IMAGE" >"$WORK/nc-train.log" 2>&1; code=$?
check nc_train_local_exits_0 test "$code" -eq 0
check nc_train_writes_model_files sh -c "test -s '$WORK/nc/model/news-classifier.model' && test -s '$WORK/nc/model/model.json'"
check nc_train_leaves_no_failure test ! -e "$WORK/nc/output/failure"
owner=$(stat -c %u "$WORK/nc/model/news-classifier.model" 2>/dev/null)
check nc_train_files_belong_to_the_invoking_user test "${owner:-x}" = "$uid"
NC_MODEL_JSON=$WORK/nc/model/model.json
acc=$(nc_json "$NC_MODEL_JSON" 'd["validation_accuracy"]')
echo "news-classifier validation accuracy (default architecture): ${acc:-none}"
check nc_validation_accuracy_at_least_0.90 nc_json "$NC_MODEL_JSON" 'd["architecture"] == "ngram" and d["validation_accuracy"] >= 0.90'
check nc_train_log_keras_epoch_lines grep -Eq '^ - [0-9.]+s - loss: [0-9.]+ - acc: [0-9.]+ - val_loss: [0-9.]+ - val_acc: [0-9.]+$' "$WORK/nc-train.log"
check nc_train_log_metric_lines grep -q '#quality_metric: host=algo-1, validation accuracy <score>=' "$WORK/nc-train.log"

# --- serve_local.sh IMAGE, then predict.sh as the workshop README runs it
port=$(free_port)
name=optml-image-test-nc-serve-$$
track_container "$name"
OPTML_TEST_DIR=$WORK/nc OPTML_PORT=$port OPTML_CONTAINER_NAME=$name \
  bash local_test/serve_local.sh "$IMAGE" >"$WORK/nc-serve.log" 2>&1 &
check nc_serve_local_pings_200 wait_ping "$port"
# predict.sh PAYLOAD [CONTENT_TYPE] from local_test/news-classifier, into
# FILE (its stderr into FILE.err); returns predict.sh's exit status.
nc_predict() {
  local out=$1; shift
  (cd "$NC" && OPTML_PORT=$port bash ../predict.sh "$@") >"$out" 2>"$out.err"
}
nc_predict "$WORK/p1.json" input.json application/json
check nc_predict_input_json_answers_a_label_name nc_json "$WORK/p1.json" 'list(d) == ["result"] and d["result"] in labels'
# The workshop's predict.sh default (text/csv) and any other type: 415 with
# the workshop's message in a JSON body.
nc_predict "$WORK/p415.json" input.json text/csv; code=$?
check nc_predict_415_exits_1_naming_the_status sh -c "[ $code -eq 1 ] && grep -q 'HTTP 415' '$WORK/p415.json.err'"
check nc_predict_text_csv_workshop_message nc_json "$WORK/p415.json" \
  '"This predictor only supports JSON format" in d["error"] and d["code"] == 415'
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/csv' --data-binary @"$NC/input.json" \
       "http://127.0.0.1:$port/invocations")
check nc_text_csv_is_415 test "$code" = 415
# {"input": [...]}: a list of results, in order
printf '{"input": ["MIDI sequencer and software synthesizer", "%s", "%s"]}\n' \
  "multiplayer strategy game set in a fantasy world" "Tiny FTP server with virtual users and TLS support" >"$WORK/list.json"
nc_predict "$WORK/p-list.json" "$WORK/list.json" application/json
check nc_list_input_gives_a_list nc_json "$WORK/p-list.json" \
  'len(d["result"]) == 3 and all(r in labels for r in d["result"])'
# Accept: application/json; verbose=1 and a "verbose" field: per-class probabilities
(cd "$NC" && OPTML_PORT=$port OPTML_ACCEPT='application/json; verbose=1' bash ../predict.sh input.json application/json) \
  >"$WORK/p-verbose.json" 2>&1
check nc_verbose_accept_adds_probabilities nc_json "$WORK/p-verbose.json" \
  'sorted(d["probabilities"]) == sorted(labels) and abs(sum(d["probabilities"].values()) - 1) < 1e-3 and max(d["probabilities"], key=d["probabilities"].get) == d["result"]'
printf '{"input": "MIDI sequencer and software synthesizer", "verbose": true}\n' >"$WORK/verbose-field.json"
nc_predict "$WORK/p-vfield.json" "$WORK/verbose-field.json" application/json
check nc_verbose_field_adds_probabilities nc_json "$WORK/p-vfield.json" 'sorted(d["probabilities"]) == sorted(labels)'
# application/jsonlines in and out: one answer line per request line
printf '{"input": "%s"}\n' "MIDI sequencer and software synthesizer" "tool to align DNA sequencing reads" \
  "multiplayer strategy game" >"$WORK/req.jsonl"
(cd "$NC" && OPTML_PORT=$port OPTML_ACCEPT=application/jsonlines bash ../predict.sh "$WORK/req.jsonl" application/jsonlines) \
  >"$WORK/p.jsonl" 2>&1
check nc_jsonlines_one_line_per_request python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
labels = [l["name"] for l in json.load(open(sys.argv[2]))["labels"]]
sys.exit(not (len(lines) == 3 and all(l["result"] in labels for l in lines)))' "$WORK/p.jsonl" "$NC_MODEL_JSON"
docker stop -t 10 "$name" >/dev/null 2>&1

# --- a bad hyperparameter: exit 2 and a ClientError in output/failure
cp -r "$NC/test_dir" "$WORK/nc-bad"
echo '{"architecture": "lstm"}' >"$WORK/nc-bad/input/config/hyperparameters.json"
OPTML_TEST_DIR=$WORK/nc-bad timeout 60 bash local_test/train_local.sh "$IMAGE" >"$WORK/nc-bad.log" 2>&1; code=$?
check nc_bad_hyperparameter_exits_2 test "$code" -eq 2
check nc_bad_hyperparameter_client_error grep -q '^ClientError: .*architecture' "$WORK/nc-bad/output/failure"

# --- architecture=workshop (the workshop's network), one epoch: trains and serves
cp -r "$NC/test_dir" "$WORK/nc-ws"
echo '{"architecture": "workshop", "epochs": "1"}' >"$WORK/nc-ws/input/config/hyperparameters.json"
OPTML_TEST_DIR=$WORK/nc-ws timeout 120 bash local_test/train_local.sh "$IMAGE" >"$WORK/nc-ws.log" 2>&1; code=$?
check nc_workshop_train_exits_0 test "$code" -eq 0
check nc_workshop_model_json nc_json "$WORK/nc-ws/model/model.json" 'd["architecture"] == "workshop"'
check nc_workshop_log_prints_shapes sh -c "grep -q '^Found [0-9]* unique tokens.' '$WORK/nc-ws.log' &&
  grep -q '^Shape of data tensor: (5560, 100)' '$WORK/nc-ws.log'"
wport=$(free_port)
wname=optml-image-test-nc-ws-$$
track_container "$wname"
OPTML_TEST_DIR=$WORK/nc-ws OPTML_PORT=$wport OPTML_CONTAINER_NAME=$wname \
  bash local_test/serve_local.sh "$IMAGE" >"$WORK/nc-ws-serve.log" 2>&1 &
check nc_workshop_serve_pings_200 wait_ping "$wport"
(cd "$NC" && OPTML_PORT=$wport bash ../predict.sh input.json application/json) >"$WORK/p-ws.json" 2>&1
NC_MODEL_JSON=$WORK/nc-ws/model/model.json
check nc_workshop_predict_answers_a_label_name nc_json "$WORK/p-ws.json" 'list(d) == ["result"] and d["result"] in labels'
NC_MODEL_JSON=$WORK/nc/model/model.json
docker stop -t 10 "$wname" >/dev/null 2>&1

# --- batch_local.sh on payload.txt (batch.env: text/plain in, jsonlines out)
mkdir -p "$WORK/nc-batch-in"
cp "$NC/payload.txt" "$WORK/nc-batch-in/"
OPTML_TEST_DIR=$WORK/nc OPTML_PORT=$(free_port) timeout 60 \
  bash local_test/batch_local.sh "$IMAGE" "$WORK/nc-batch-in" "$WORK/nc-batch-out" >"$WORK/nc-batch.log" 2>&1; code=$?
check nc_batch_exits_0 test "$code" -eq 0
check nc_batch_one_line_per_input_line python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
want = sum(1 for _ in open(sys.argv[2]))
labels = [l["name"] for l in json.load(open(sys.argv[3]))["labels"]]
sys.exit(not (len(lines) == want and all(l["result"] in labels for l in lines)))' \
  "$WORK/nc-batch-out/payload.txt.out" "$NC/payload.txt" "$NC_MODEL_JSON"
