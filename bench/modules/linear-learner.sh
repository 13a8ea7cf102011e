# shellcheck shell=bash
# Bench hook for the linear-learner module (algorithms/linear_learner/), sourced by
# bench/serving.sh when OPTML_BENCH_MODULE=linear-learner.  The contract is in
# bench/modules/echo.sh.
#
# Trains a regressor on 2,000 rows of label + 25 standard-normal-ish features
# (label = a fixed linear function of them + noise), so the serving bench's
# 25-float CSV bodies are valid requests; every request then costs a real
# parse of 25 floats per row, one matrix product and a JSON answer
# {"predictions": [{"score": ...}, ...]}, as the built-in answers.

BENCH_MODULE_PATH=$BUILD/lib/optml
BENCH_ALGORITHM=linear-learner

bench_prepare_tree() {
  local dir=$1
  mkdir -p "$dir/input/config" "$dir/input/data/train"
  awk 'BEGIN { srand(1); for (i = 0; i < 2000; i++) { y = 0; s = "";
        for (j = 0; j < 25; j++) { x = rand() * 2 - 1; y += x * (j % 5 - 2); s = s sprintf(",%.6f", x) }
        printf "%.6f%s\n", y + 0.1 * (rand() - 0.5), s } }' > "$dir/input/data/train/train.csv"
  printf '{"predictor_type": "regressor", "feature_dim": "25", "epochs": "10", "mini_batch_size": "100"}\n' \
    > "$dir/input/config/hyperparameters.json"
  SAGEMAKER_BASE_DIR=$dir OPTML_MODULE_PATH=$BENCH_MODULE_PATH OPTML_ALGORITHM=$BENCH_ALGORITHM \
    "$OPTML" train
}

bench_check_answer() {
  local file=$1 rows=$2 n
  n=$(grep -o '{"score": *-\{0,1\}[0-9][0-9.eE+-]*}' "$file" | wc -l)
  echo "CHECK linear-learner rows=$rows predictions=$n"
  [ "$n" -eq "$rows" ]
}
