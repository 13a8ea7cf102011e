# shellcheck shell=bash
# Bench hook for the news-classifier module (algorithms/news_classifier/),
# sourced by bench/serving.sh when OPTML_BENCH_MODULE=news-classifier (from
# bench/news.sh).  The contract is in bench/modules/echo.sh.
#
# Trains the default model (architecture ngram, empty hyperparameters.json) on
# the shipped Debian-descriptions corpus (local_test/news-classifier/test_dir:
# training/ and validation/), then every request is what the workshop's
# client sends: POST application/json {"input": "<one headline>"} (ROWS > 1:
# {"input": [ROWS headlines]}), answered {"result": "<label name>"} (a list
# of names for a list).  The headlines are the first rows of the validation
# file.

BENCH_MODULE_PATH=$BUILD/lib/optml
BENCH_ALGORITHM=news-classifier
# shellcheck disable=SC2034  # read by bench/serving.sh, which sources this file
BENCH_CONTENT_TYPE=application/json
# shellcheck disable=SC2034
BENCH_BODY_DESC='{"input": <headline>} (ROWS > 1: a list of headlines) from the validation rows'
NEWS_DATA=${NEWS_DATA:-$REPO/local_test/news-classifier/test_dir/input/data}

bench_prepare_tree() {
  local dir=$1
  mkdir -p "$dir/input/config" "$dir/input/data"
  cp -r "$NEWS_DATA/training" "$NEWS_DATA/validation" "$dir/input/data/"
  echo '{}' > "$dir/input/config/hyperparameters.json"
  SAGEMAKER_BASE_DIR=$dir OPTML_MODULE_PATH=$BENCH_MODULE_PATH OPTML_ALGORITHM=$BENCH_ALGORITHM \
    "$OPTML" train
}

bench_body() {
  "${PY:-/usr/bin/python3}" - "$1" "$NEWS_DATA/validation" <<'PY'
import glob, json, sys
n = int(sys.argv[1])
titles = []
for f in sorted(glob.glob(sys.argv[2] + "/*")):
    for line in open(f, encoding="utf-8"):
        titles.append(line.split("\t")[1])
        if len(titles) == n:
            break
print(json.dumps({"input": titles[0] if n == 1 else titles[:n]}))
PY
}

bench_check_answer() {
  local file=$1 rows=$2 n
  n=$("${PY:-/usr/bin/python3}" -c '
import json, sys
r = json.load(open(sys.argv[1]))["result"]
print(1 if isinstance(r, str) else len(r))' "$file" 2>/dev/null || echo 0)
  echo "CHECK news-classifier rows=$rows results=$n ($(head -c 120 "$file"))"
  [ "$n" -eq "$rows" ]
}
