#!/usr/bin/env bash
# POST a payload to the local endpoint, as SageMaker's local_test kit does.
# Usage: predict.sh PAYLOAD [CONTENT_TYPE]   (default text/csv; $OPTML_PORT, default 8080)
set -euo pipefail
# shellcheck source=local_test/common.sh
. "$(dirname "$0")/common.sh"
payload=${1:?usage: predict.sh PAYLOAD [CONTENT_TYPE]}
content=${2:-text/csv}
curl -sS --data-binary @"$payload" -H "Content-Type: ${content}" -H "Accept: ${OPTML_ACCEPT:-application/json}" \
  "http://127.0.0.1:${OPTML_PORT}/invocations"
echo
