#!/usr/bin/env bash
# Run a batch transform with IMAGE as SageMaker does (SplitType=Line):
# start `serve` on the model in IMAGE's test_dir, wait for /ping, read
# /execution-parameters, split every file under INPUT_DIR by line, POST
# MultiRecord batches that fit in MaxPayloadInMB (one record per request with
# SingleRecord), up to MaxConcurrentTransforms at a time, and write
# OUTPUT_DIR/<file>.out with the responses in input order; then stop the
# server.  With SplitType=None (OPTML_SPLIT_TYPE, or SPLIT_TYPE in batch.env:
# object-detection's one image per file) each file is one request, unsplit.
#   Usage: batch_local.sh [-e NAME=value]... IMAGE INPUT_DIR OUTPUT_DIR [CONTENT_TYPE]
# -e NAME=value (or NAME; also --env) and the words of $OPTML_DOCKER_ENV pass
# variables into the container, as `docker run -e` does.
# Settings (environment):
#   CONTENT_TYPE / OPTML_CONTENT_TYPE  request type; default from
#                         local_test/<module>/batch.env (text/csv for linear-learner)
#   OPTML_ACCEPT          Accept header; default from batch.env (application/jsonlines
#                         for linear-learner: one output line per input line)
#   SAGEMAKER_BATCH_STRATEGY (MULTI_RECORD|SINGLE_RECORD), SAGEMAKER_MAX_PAYLOAD_IN_MB,
#   SAGEMAKER_MAX_CONCURRENT_TRANSFORMS   the transform job's own values: passed
#                         to the container and preferred over /execution-parameters
#   OPTML_ASSEMBLE_WITH   None (default: responses concatenated) or Line (a newline
#                         after each response)
#   OPTML_SPLIT_TYPE      Line (default) or None (each file one request, as a
#                         whole: binary files such as images); default from batch.env
#   OPTML_TEST_DIR, OPTML_PORT, OPTML_DOCKER_NETWORK   as for serve_local.sh
#                         (local_test/common.sh)
# Exit status: 0 all files transformed; 1 a file failed (its .out is not
# written, the others are); 2 usage or setup error.
set -euo pipefail
# shellcheck source=local_test/common.sh
. "$(dirname "$0")/common.sh"
usage="usage: batch_local.sh [-e NAME=value]... IMAGE INPUT_DIR OUTPUT_DIR [CONTENT_TYPE]"
die() { echo "batch_local.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) echo "$usage"; exit 0 ;;
    -e|--env) [ $# -ge 2 ] || die "$usage"; env_opt "$2"; shift 2 ;;
    --env=*) env_opt "${1#--env=}"; shift ;;
    --) shift; break ;;
    -*) die "unknown option '$1'; $usage" ;;
    *) break ;;
  esac
done
if [ $# -lt 3 ] || [ $# -gt 4 ]; then die "$usage"; fi
image=$1 in_dir=$2 out_dir=$3
[ -d "$in_dir" ] || die "INPUT_DIR '$in_dir' is not a directory"
in_dir=$(cd "$in_dir" && pwd)
dir=$(test_dir_for "$image") || exit 2
module=${image%%:*}; module=${module##*/}

# Defaults of the module: KEY=value lines in local_test/<module>/batch.env.
batch_default() {
  local f=$LOCAL_TEST_DIR/$module/batch.env
  [ -f "$f" ] && sed -n "s/^$1=//p" "$f" | head -n 1
}
content_type=${4:-${OPTML_CONTENT_TYPE:-$(batch_default CONTENT_TYPE || true)}}
[ -n "$content_type" ] || die "no default content type for module '$module' (no $LOCAL_TEST_DIR/$module/batch.env): pass CONTENT_TYPE"
accept=${OPTML_ACCEPT:-$(batch_default ACCEPT || true)}
assemble=${OPTML_ASSEMBLE_WITH:-None}
case $assemble in None|Line) ;; *) die "OPTML_ASSEMBLE_WITH='$assemble' must be None or Line";; esac
split_type=${OPTML_SPLIT_TYPE:-$(batch_default SPLIT_TYPE || true)}
split_type=${split_type:-Line}
case $split_type in None|Line) ;; *) die "OPTML_SPLIT_TYPE='$split_type' must be Line or None";; esac
ls "$dir"/model/* >/dev/null 2>&1 || die "no model in $dir/model: train first (train_local.sh $image)"

# The job's own values, checked as CreateTransformJob checks them.
user_strategy="" user_payload="" user_conc=""
if [ -n "${SAGEMAKER_BATCH_STRATEGY:-}" ]; then
  case $SAGEMAKER_BATCH_STRATEGY in
    MULTI_RECORD) user_strategy=MultiRecord;; SINGLE_RECORD) user_strategy=SingleRecord;;
    *) die "SAGEMAKER_BATCH_STRATEGY='$SAGEMAKER_BATCH_STRATEGY' must be MULTI_RECORD or SINGLE_RECORD";;
  esac
fi
if [ -n "${SAGEMAKER_MAX_PAYLOAD_IN_MB:-}" ]; then
  if ! [[ $SAGEMAKER_MAX_PAYLOAD_IN_MB =~ ^[0-9]+$ ]] || [ "$SAGEMAKER_MAX_PAYLOAD_IN_MB" -lt 1 ] || [ "$SAGEMAKER_MAX_PAYLOAD_IN_MB" -gt 100 ]; then
    die "SAGEMAKER_MAX_PAYLOAD_IN_MB='$SAGEMAKER_MAX_PAYLOAD_IN_MB' must be 1 to 100 (0, unbounded chunked bodies, is not supported)"
  fi
  user_payload=$SAGEMAKER_MAX_PAYLOAD_IN_MB
fi
if [ -n "${SAGEMAKER_MAX_CONCURRENT_TRANSFORMS:-}" ]; then
  if ! [[ $SAGEMAKER_MAX_CONCURRENT_TRANSFORMS =~ ^[0-9]+$ ]] || [ "$SAGEMAKER_MAX_CONCURRENT_TRANSFORMS" -lt 1 ]; then
    die "SAGEMAKER_MAX_CONCURRENT_TRANSFORMS='$SAGEMAKER_MAX_CONCURRENT_TRANSFORMS' must be a positive integer"
  fi
  user_conc=$SAGEMAKER_MAX_CONCURRENT_TRANSFORMS
fi

# Input files: regular, non-hidden, in byte order of their relative path.
files=()
while IFS= read -r -d '' f; do files+=("${f#./}"); done < <(
  cd "$in_dir" && find . -type f ! -path '*/.*' -print0 | LC_ALL=C sort -z)
[ "${#files[@]}" -gt 0 ] || die "no input files under $in_dir"

# Output directory and files belong to the invoking user (also under sudo).
owner=$(docker_user)
give() { if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_UID:-}" ]; then chown "$owner" "$@"; fi; }
if [ ! -d "$out_dir" ]; then mkdir -p "$out_dir"; give "$out_dir"; fi
out_dir=$(cd "$out_dir" && pwd)

work=$(mktemp -d /tmp/optml-batch.XXXXXX)
name=optml-batch-$$
base=http://127.0.0.1:$OPTML_PORT
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  docker stop -t 30 "$name" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

envs=(-e SAGEMAKER_BATCH=true "${ENV_ARGS[@]}")
for v in SAGEMAKER_BATCH_STRATEGY SAGEMAKER_MAX_PAYLOAD_IN_MB SAGEMAKER_MAX_CONCURRENT_TRANSFORMS; do
  [ -z "${!v:-}" ] || envs+=(-e "$v=${!v}")
done
net_args
docker run -d --rm --name "$name" --user "$owner" -v "$dir:/opt/ml" "${NET_ARGS[@]}" "${envs[@]}" \
  "$image" serve >/dev/null || die "could not start $image serve"
up=0 code=000
for _ in $(seq 600); do   # 60 s at most
  code=$(curl -s -o "$work/ping" -w '%{http_code}' "$base/ping" 2>/dev/null || true)
  [ "$code" = 200 ] && { up=1; break; }
  [ "$code" = 500 ] && break
  docker inspect "$name" >/dev/null 2>&1 || break
  sleep 0.1
done
if [ "$up" -ne 1 ]; then
  echo "batch_local.sh: the server did not become healthy (last /ping: HTTP $code $(cat "$work/ping" 2>/dev/null))" >&2
  docker logs "$name" 2>&1 | tail -n 20 >&2 || true
  exit 2
fi

# /execution-parameters, then the defaults (MultiRecord, 6 MB, 1).
strategy=MultiRecord payload=6 conc=1
if [ "$(curl -s -o "$work/params" -w '%{http_code}' "$base/execution-parameters")" = 200 ]; then
  p=$(tr -d ' \n' <"$work/params")
  v=$(sed -n 's/.*"BatchStrategy":"\([A-Za-z]*\)".*/\1/p' <<<"$p"); [ -z "$v" ] || strategy=$v
  v=$(sed -n 's/.*"MaxPayloadInMB":\([0-9]*\).*/\1/p' <<<"$p"); [ -z "$v" ] || payload=$v
  v=$(sed -n 's/.*"MaxConcurrentTransforms":\([0-9]*\).*/\1/p' <<<"$p"); [ -z "$v" ] || conc=$v
fi
strategy=${user_strategy:-$strategy} payload=${user_payload:-$payload} conc=${user_conc:-$conc}
case $strategy in MultiRecord|SingleRecord) ;; *) die "unknown BatchStrategy '$strategy'";; esac
if [ "$payload" -lt 1 ] || [ "$payload" -gt 100 ]; then die "MaxPayloadInMB=$payload: 1 to 100 supported"; fi
if [ $((conc * payload)) -gt 100 ]; then
  [ -n "$user_conc" ] && die "MaxConcurrentTransforms x MaxPayloadInMB = $conc x $payload is over 100"
  conc=$((100 / payload))   # the container's worker count: keep within the platform's limit
fi
limit=$((payload * 1048576))
echo "batch_local: ${#files[@]} file(s), SplitType=$split_type BatchStrategy=$strategy MaxPayloadInMB=$payload MaxConcurrentTransforms=$conc Content-Type=$content_type Accept=${accept:-*/*}" >&2

# post CHUNK: one request; the response goes to CHUNK.out.  Exits 255 (stops
# xargs) with the reason on a non-200 answer.
post() {
  local chunk=$1 code hdr=(-H "Content-Type: $content_type")
  [ -z "$accept" ] || hdr+=(-H "Accept: $accept")
  code=$(curl -s -o "$chunk.out" -w '%{http_code}' "${hdr[@]}" --data-binary @"$chunk" "$base/invocations" 2>"$chunk.err") || code=000
  [ "$code" = 200 ] && return 0
  { echo "HTTP $code"; head -c 500 "$chunk.out" 2>/dev/null; cat "$chunk.err"; } >"$chunk.fail"
  exit 255
}
export -f post
export content_type accept base

failed=0 records=0 requests=0
for rel in "${files[@]}"; do
  src=$in_dir/$rel
  if [ "$split_type" = None ]; then
    # The file is the record: it must fit in MaxPayloadInMB as a whole.
    size=$(stat -c %s "$src")
    if [ "$size" -gt "$limit" ]; then
      echo "batch_local.sh: $rel: $size bytes, over MaxPayloadInMB=$payload ($limit bytes); with SplitType=None a file is one request" >&2
      failed=$((failed + 1)); continue
    fi
  else
    # A single record must fit in MaxPayloadInMB (SageMaker fails the file).
    big=$(LC_ALL=C awk -v max="$limit" 'length($0) + 1 > max { print NR " " length($0) + 1; exit }' "$src")
    if [ -n "$big" ]; then
      echo "batch_local.sh: $rel: record ${big% *} is ${big#* } bytes, over MaxPayloadInMB=$payload ($limit bytes); a record must fit in one request" >&2
      failed=$((failed + 1)); continue
    fi
  fi
  rm -rf "$work/c"; mkdir "$work/c"
  if [ "$split_type" = None ]; then
    cp "$src" "$work/c/r.00000000"
  elif [ "$strategy" = SingleRecord ]; then
    split -l 1 -a 8 -d "$src" "$work/c/r."
  else
    split -C "$limit" -a 8 -d "$src" "$work/c/r."
  fi
  n=$(find "$work/c" -name 'r.*' | wc -l)
  # shellcheck disable=SC2016  # $1 is post's argument inside bash -c
  if [ "$n" -gt 0 ] && ! find "$work/c" -name 'r.*' ! -name 'r.*.*' -print0 | LC_ALL=C sort -z |
       xargs -0 -n 1 -P "$conc" bash -c 'post "$1"' _ 2>/dev/null; then
    fail=$(find "$work/c" -name '*.fail' | LC_ALL=C sort | head -n 1)
    chunk=${fail%.fail}
    first=$(( $(find "$work/c" -name 'r.*' ! -name 'r.*.*' | LC_ALL=C sort | awk -v c="$chunk" '$0 < c' | xargs -r cat | wc -l) + 1 ))
    echo "batch_local.sh: $rel: the request with records from line $first failed: $(tr '\n' ' ' <"$fail")" >&2
    failed=$((failed + 1)); continue
  fi
  out=$out_dir/$rel.out
  if [ ! -d "$(dirname "$out")" ]; then mkdir -p "$(dirname "$out")"; give "$(dirname "$out")"; fi
  find "$work/c" -name 'r.*.out' | LC_ALL=C sort | while IFS= read -r c; do
    cat "$c"
    [ "$assemble" = None ] || echo
  done >"$out.tmp"
  mv "$out.tmp" "$out"
  give "$out"
  if [ "$split_type" = None ]; then records=$((records + 1)); else records=$((records + $(wc -l <"$src"))); fi
  requests=$((requests + n))
  echo "batch_local: $rel -> ${out#"$out_dir"/} ($n request(s))" >&2
done
echo "batch_local: $((${#files[@]} - failed)) of ${#files[@]} file(s) transformed, $records record(s) in $requests request(s)" >&2
[ "$failed" -eq 0 ] || exit 1
