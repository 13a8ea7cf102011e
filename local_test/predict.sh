#!/usr/bin/env bash
# POST a payload to the local endpoint, as SageMaker's local_test kit does,
# and print the answer.
#   Usage: predict.sh PAYLOAD [CONTENT_TYPE]     (default text/csv)
# Settings (environment): OPTML_PORT (default 8080); OPTML_ACCEPT, the Accept
# header (default application/json); OPTML_CUSTOM_ATTRIBUTES, sent as
# X-Amzn-SageMaker-Custom-Attributes.
# Exit status: 0 the server answered 2xx; 1 it answered another status (its
# body is still printed, the status on stderr) or could not be reached; 2
# usage error or no such payload file.
set -euo pipefail
# shellcheck source=local_test/common.sh
. "$(dirname "$0")/common.sh"
usage="usage: predict.sh PAYLOAD [CONTENT_TYPE]   (default text/csv; port \$OPTML_PORT, default 8080; Accept \$OPTML_ACCEPT)"
case ${1:-} in -h|--help) echo "$usage"; exit 0 ;; esac
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "$usage" >&2; exit 2; fi
payload=$1 content=${2:-text/csv}
if [ ! -f "$payload" ] || [ ! -r "$payload" ]; then
  echo "predict.sh: no payload file '$payload' (run from $(pwd))" >&2
  exit 2
fi
hdr=(-H "Content-Type: $content" -H "Accept: ${OPTML_ACCEPT:-application/json}")
[ -z "${OPTML_CUSTOM_ATTRIBUTES:-}" ] || hdr+=(-H "X-Amzn-SageMaker-Custom-Attributes: $OPTML_CUSTOM_ATTRIBUTES")
url=http://127.0.0.1:$OPTML_PORT/invocations
body=$(mktemp /tmp/optml-predict.XXXXXX)
trap 'rm -f "$body"' EXIT
rc=0
code=$(curl -sS -o "$body" -w '%{http_code}' "${hdr[@]}" --data-binary @"$payload" "$url") || rc=$?
if [ "$rc" -ne 0 ]; then
  if [ "$rc" -eq 7 ]; then
    echo "predict.sh: nothing answers on 127.0.0.1:$OPTML_PORT. Start the server first" \
         "(local_test/serve_local.sh IMAGE &, then wait for its /ping), or set OPTML_PORT to the port it" \
         "serves on. Where Docker has no default bridge network (dockerd --bridge=none), -p publishes" \
         "nothing: serve_local.sh then uses host networking by itself, or force it with" \
         "OPTML_DOCKER_NETWORK=host." >&2
  else
    echo "predict.sh: POST $url failed (curl exit $rc)" >&2
  fi
  exit 1
fi
cat "$body"
echo
case $code in
  2??) exit 0 ;;
  *) echo "predict.sh: HTTP $code from POST $url" >&2; exit 1 ;;
esac
