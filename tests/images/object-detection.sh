# shellcheck shell=bash
# Sourced by tests/images/run.sh (helpers in tests/images/lib.sh): the
# optml/object-detection image through the local_test flow: train_local.sh
# IMAGE on the shipped Fashion-MNIST scenes (RecordIO train and validation,
# as a non-root user, 4 epochs instead of the sample's 8), the built-in's
# validation:mAP metric definition matched on the log, the artifact
# (hyperparams.json, the model, the drawn validation images); serve_local.sh
# IMAGE, then predict.sh with a JPEG and a PNG gives prediction rows, the
# annotation layout and a PNG with the boxes drawn; bad image bytes, an
# empty body and a 20,000 x 20,000 PNG header are a 400; batch_local.sh with
# one image per file; a bad hyperparameter is a ClientError.  Talks only to
# 127.0.0.1; every container it starts is stopped by name.  About 60 s with
# the image built.
need_image object-detection || return 0
OD=local_test/object-detection

size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
echo "image size: $((size / 1000000)) MB"
check od_image_under_250_mb test "$size" -lt 250000000
check od_image_runs_as_any_user sh -c "docker run --rm --user 12345:12345 $IMAGE version | grep -q 'object-detection'"

# --- train_local.sh IMAGE, as a user the test creates (files stay theirs)
user=optml-image-test
id "$user" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$user"
uid=$(id -u "$user") gid=$(id -g "$user")
cp -r "$OD/test_dir" "$WORK/od"
sed 's/"epochs": "[0-9]*"/"epochs": "4"/' "$OD/test_dir/input/config/hyperparameters.json" \
  >"$WORK/od/input/config/hyperparameters.json"
chown -R "$uid:$gid" "$WORK/od"
export OPTML_DOCKER_NETWORK=host
OPTML_TEST_DIR=$WORK/od SUDO_UID=$uid SUDO_GID=$gid timeout 300 \
  bash local_test/train_local.sh "$IMAGE" >"$WORK/od-train.log" 2>&1; code=$?
check od_train_local_exits_0 test "$code" -eq 0
check od_train_writes_the_model test -s "$WORK/od/model/object-detection.model"
check od_train_writes_hyperparams_json grep -q '"num_classes": *"3"' "$WORK/od/model/hyperparams.json"
check od_train_leaves_no_failure test ! -e "$WORK/od/output/failure"
check od_train_draws_validation_images test -s "$WORK/od/output/data/validation_0.png"
owner=$(stat -c %u "$WORK/od/model/object-detection.model" 2>/dev/null)
check od_train_files_belong_to_the_invoking_user test "${owner:-x}" = "$uid"
# The built-in's validation:mAP metric definition (D.4), in POSIX spelling:
# #quality_metric: host=\S+, epoch=\S+, validation mAP <score>=\((\S+)\)
re='#quality_metric: host=[^ ]+, epoch=[^ ]+, validation mAP <score>=\(([^ ]+)\)'
check od_train_log_matches_the_builtins_map_regex sh -c "[ \$(grep -Ec '$re' '$WORK/od-train.log') -eq 4 ]"
map=$(sed -En "s/.*$re.*/\\1/p" "$WORK/od-train.log" | tail -1)
echo "object-detection validation mAP after 4 epochs of the 400-scene sample: ${map:-none}"
check od_map_is_a_fraction awk -v m="${map:-x}" 'BEGIN { exit !(m ~ /^[0-9.eE+-]+$/ && m + 0 >= 0 && m + 0 <= 1) }'
check od_train_loss_lines grep -Eq '#quality_metric: host=[^ ]+, epoch=[^ ]+, batch=[^ ]+ train cross_entropy <loss>=[^ ]+' "$WORK/od-train.log"

# --- serve_local.sh IMAGE, then predict.sh with images
port=$(free_port)
name=optml-image-test-od-serve-$$
track_container "$name"
OPTML_TEST_DIR=$WORK/od OPTML_PORT=$port OPTML_CONTAINER_NAME=$name \
  bash local_test/serve_local.sh "$IMAGE" >"$WORK/od-serve.log" 2>&1 &
check od_serve_local_pings_200 wait_ping "$port" 200
# rows: [class_id, score, xmin, ymin, xmax, ymax], classes 0..2, corners in [0, 1]
rows_ok='
import json, sys
p = json.load(open(sys.argv[1]))["prediction"]
sys.exit(not (len(p) > 0 and all(len(r) == 6 and r[0] in (0, 1, 2) and 0 <= r[1] <= 1
                                 and all(-0.01 <= v <= 1.01 for v in r[2:]) for r in p)))'
OPTML_PORT=$port bash local_test/predict.sh "$OD/payload.jpg" image/jpeg >"$WORK/od-p.json" 2>"$WORK/od-p.err"
check od_predict_jpeg_gives_prediction_rows python3 -c "$rows_ok" "$WORK/od-p.json"
OPTML_PORT=$port bash local_test/predict.sh "$OD/payload.png" image/png >"$WORK/od-p2.json" 2>"$WORK/od-p2.err"
check od_predict_png_gives_prediction_rows python3 -c "$rows_ok" "$WORK/od-p2.json"
OPTML_PORT=$port OPTML_ACCEPT='application/json;annotation=1' \
  bash local_test/predict.sh "$OD/payload.png" image/png >"$WORK/od-a.json" 2>/dev/null
check od_predict_annotation_layout python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
sys.exit(not (a["image_size"][0]["width"] == 128 and isinstance(a["annotations"], list)))' "$WORK/od-a.json"
code=$(curl -s -o "$WORK/od-drawn.png" -w '%{http_code}' -H 'Content-Type: image/jpeg' -H 'Accept: image/png' \
       --data-binary @"$OD/payload.jpg" "http://127.0.0.1:$port/invocations")
check od_accept_png_returns_a_png sh -c "[ '$code' = 200 ] && head -c 8 '$WORK/od-drawn.png' | od -An -tx1 | grep -q '89 50 4e 47'"
# bad image bytes, an empty body, a 20,000 x 20,000 PNG header: 400 with a JSON error
printf 'not an image at all' >"$WORK/od-bad.jpg"
python3 -c '
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
sys.stdout.buffer.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
                        + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))' >"$WORK/od-huge.png"
: >"$WORK/od-empty"
for bad in od-bad.jpg:image/jpeg od-huge.png:image/png od-empty:image/jpeg; do
  f=${bad%%:*} t=${bad#*:}
  code=$(curl -s -o "$WORK/$f.out" -w '%{http_code}' -H "Content-Type: $t" \
         --data-binary @"$WORK/$f" "http://127.0.0.1:$port/invocations")
  g=${f#od-}; check "od_${g//[.-]/_}_is_400_with_an_error" sh -c "[ '$code' = 400 ] && grep -q '\"error\"' '$WORK/$f.out'"
done
check od_server_alive_after_bad_requests curl -fs "http://127.0.0.1:$port/ping" -o /dev/null
docker stop -t 10 "$name" >/dev/null 2>&1

# --- batch_local.sh: one image per file (SplitType=None from batch.env)
mkdir -p "$WORK/od_batch_in/sub"
cp "$OD/payload.jpg" "$WORK/od_batch_in/a.jpg"
cp "$OD/payload.png" "$WORK/od_batch_in/sub/b.png"
OPTML_TEST_DIR=$WORK/od OPTML_PORT=$(free_port) timeout 120 \
  bash local_test/batch_local.sh "$IMAGE" "$WORK/od_batch_in" "$WORK/od_batch_out" >"$WORK/od-batch.log" 2>&1; code=$?
check od_batch_exits_0 test "$code" -eq 0
check od_batch_one_request_per_file grep -q 'SplitType=None' "$WORK/od-batch.log"
check od_batch_jpeg_out_has_rows python3 -c "$rows_ok" "$WORK/od_batch_out/a.jpg.out"
check od_batch_png_out_has_rows python3 -c "$rows_ok" "$WORK/od_batch_out/sub/b.png.out"

# --- a bad hyperparameter: exit 2 and a ClientError in output/failure
cp -r "$OD/test_dir" "$WORK/od-bad-hp"
echo '{"num_classes": "3", "num_training_samples": "400", "optimizer": "adagrad"}' \
  >"$WORK/od-bad-hp/input/config/hyperparameters.json"
OPTML_TEST_DIR=$WORK/od-bad-hp timeout 60 bash local_test/train_local.sh "$IMAGE" >"$WORK/od-bad-hp.log" 2>&1; code=$?
check od_bad_hyperparameter_exits_2 test "$code" -eq 2
check od_bad_hyperparameter_client_error grep -q '^ClientError: .*optimizer' "$WORK/od-bad-hp/output/failure"
