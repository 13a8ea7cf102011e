# Bench hook for the test module `echo` (tests/modules/echo.c), sourced by
# bench/serving.sh when OPTML_BENCH_MODULE=echo (the default).
#
# A hook file bench/modules/<module>.sh sets:
#   BENCH_MODULE_PATH   the directory holding <module>.so (OPTML_MODULE_PATH)
#   BENCH_ALGORITHM     the OPTML_ALGORITHM value
# and defines:
#   bench_prepare_tree DIR   lay out a SageMaker tree under DIR (input/config,
#                            input/data/train) and train a model into DIR/model
#                            with `$OPTML train`; output goes to stdout
#   bench_check_answer FILE ROWS   FILE holds the answer to a ROWS-row text/csv
#                            request of 25 floats per row; print one line
#                            saying whether it looks right, return non-zero if not
# and may define (default: text/csv bodies of 25 floats per row, as the peer's):
#   BENCH_CONTENT_TYPE  the requests' Content-Type
#   bench_body ROWS     print the body of a ROWS-record request
#   BENCH_BODY_DESC     what the bodies are, for the results header
# Available to hooks: $OPTML (the optml binary), $BUILD (the build directory), $REPO.
#
# echo's "prediction" splits the body into lines and answers
# {"model": ..., "predictions": [{"bytes": N}, ...]}: it measures the runtime
# (HTTP, negotiation, worker hand-off, framing, response) with next to no model
# work, so it is a floor for what a real module adds on top.

BENCH_MODULE_PATH=$BUILD/tests/modules
BENCH_ALGORITHM=echo

bench_prepare_tree() {
  local dir=$1
  mkdir -p "$dir/input/config" "$dir/input/data/train"
  # 200 rows of label + 25 features, the layout a real regressor would train on
  awk 'BEGIN { srand(1); for (i = 0; i < 200; i++) { s = sprintf("%.6f", rand());
        for (j = 0; j < 25; j++) s = s sprintf(",%.6f", rand() * 2 - 1); print s } }' \
    > "$dir/input/data/train/train.csv"
  printf '{"epochs": "1"}\n' > "$dir/input/config/hyperparameters.json"
  SAGEMAKER_BASE_DIR=$dir OPTML_MODULE_PATH=$BENCH_MODULE_PATH OPTML_ALGORITHM=$BENCH_ALGORITHM \
    "$OPTML" train
}

bench_check_answer() {
  local file=$1 rows=$2 n
  n=$(grep -o '{"bytes": [0-9]*}' "$file" | wc -l)
  echo "CHECK echo rows=$rows predictions=$n"
  [ "$n" -eq "$rows" ]
}
