# shellcheck shell=bash
# Sourced by tests/images/run.sh: `train_local.sh --pipe` against a stand-in
# algorithm (tests/images/pipe-reader) that makes several passes, closes one
# early and records what it saw: one FIFO per pass, <channel>_<k+1> only
# after <channel>_<k> was closed, Pipe in the config the container sees, the
# test_dir's own config untouched, nothing left running or on disk.
pr_image=optml-test/pipe-reader
if ! docker build --network host -q -t "$pr_image" tests/images/pipe-reader >"$WORK/pipe-reader-build.log" 2>&1; then
  bad build_pipe_reader_image "$(tail -n 5 "$WORK/pipe-reader-build.log")"
  return 0
fi
pd=$WORK/pipe_dir
mkdir -p "$pd/input/config" "$pd/input/data/train" "$pd/input/data/validation"
seq 1 5000 >"$pd/input/data/train/part-b.csv"
seq 1 300 >"$pd/input/data/train/part-a.csv"
seq 1 7 >"$pd/input/data/validation/v.csv"
echo '{}' >"$pd/input/config/hyperparameters.json"
echo '{"train": {"ContentType": "text/csv", "TrainingInputMode": "File"}, "validation": {"TrainingInputMode": "File"}}' \
  >"$pd/input/config/inputdataconfig.json"
cp "$pd/input/config/inputdataconfig.json" "$WORK/pipe_idc.orig"
# Its own session, so anything it left running would be found by session id.
OPTML_TEST_DIR=$pd OPTML_DOCKER_NETWORK=host timeout 120 setsid bash local_test/train_local.sh --pipe "$pr_image" \
  >"$WORK/pipe.log" 2>&1 &
sid=$!
wait "$sid"; code=$?
check pipe_train_local_exits_0 test "$code" -eq 0
passes=$(cat "$pd/model/passes.txt" 2>/dev/null)
sed "s/^/  pipe-reader: /" "$pd/model/passes.txt" 2>/dev/null
check pipe_one_fifo_per_pass_whole_channel grep -qx 'train_0 5300' <<<"$passes"
check pipe_reader_may_close_early grep -qx 'train_1 1' <<<"$passes"
check pipe_pass_after_early_close_is_whole grep -qx 'train_2 5300' <<<"$passes"
check pipe_next_fifo_offered grep -qx 'train_3 offered' <<<"$passes"
check pipe_next_fifo_only_after_close sh -c "! grep -q 'existed before train_' '$pd/model/passes.txt'"
check pipe_second_channel grep -qx 'validation_0 7' <<<"$passes"
check pipe_container_sees_pipe_mode python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert set(c) == {"train", "validation"} and all(v["TrainingInputMode"] == "Pipe" for v in c.values())
assert c["train"]["ContentType"] == "text/csv"' "$pd/model/seen-inputdataconfig.json"
check pipe_test_dir_config_untouched cmp -s "$WORK/pipe_idc.orig" "$pd/input/config/inputdataconfig.json"
check pipe_leaves_no_process sh -c "! pgrep -s $sid >/dev/null"
fifo_dir=$(sed -n 's/.*(FIFOs in \(.*\))$/\1/p' "$WORK/pipe.log")
check pipe_removes_its_temp_dir test -n "$fifo_dir" -a ! -e "${fifo_dir:-/nonexistent}"
check pipe_leaves_no_fifo_in_test_dir sh -c "! find '$pd' -type p | grep -q ."
OPTML_TEST_DIR=$WORK/nowhere bash local_test/train_local.sh --pipe "$pr_image" >"$WORK/pipe-bad.log" 2>&1; code=$?
check pipe_missing_test_dir_is_a_clear_error sh -c "[ $code -ne 0 ] && grep -q 'nowhere' '$WORK/pipe-bad.log'"
