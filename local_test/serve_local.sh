#!/usr/bin/env bash
# Serve the model in IMAGE's local test_dir on port 8080 (or $OPTML_PORT), as
# SageMaker would: the tree is mounted at /opt/ml and the container runs
# `serve`.  Ctrl-C (or `docker stop`) stops it.
#   Usage: serve_local.sh [-e NAME=value]... IMAGE
# -e NAME=value (or NAME, taken from this environment; also --env) passes a
# variable into the container, as `docker run -e` does; so do the words of
# $OPTML_DOCKER_ENV.  OPTML_CONTAINER_NAME names the container.  The port
# reaches 127.0.0.1 through Docker's bridge (-p), or host networking when
# Docker has no default bridge; OPTML_DOCKER_NETWORK=host|bridge|<network>
# chooses (local_test/common.sh).
set -euo pipefail
# shellcheck source=local_test/common.sh
. "$(dirname "$0")/common.sh"
usage="usage: serve_local.sh [-e NAME=value]... IMAGE   (port \$OPTML_PORT, default 8080)"
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) echo "$usage"; exit 0 ;;
    -e|--env) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; env_opt "$2"; shift 2 ;;
    --env=*) env_opt "${1#--env=}"; shift ;;
    --) shift; break ;;
    -*) echo "serve_local.sh: unknown option '$1'" >&2; echo "$usage" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || { echo "$usage" >&2; exit 2; }
image=$1
dir=$(test_dir_for "$image")
net_args
exec docker run --rm --user "$(docker_user)" -v "$dir:/opt/ml" "${NET_ARGS[@]}" "${ENV_ARGS[@]}" \
  ${OPTML_CONTAINER_NAME:+--name "$OPTML_CONTAINER_NAME"} "$image" serve
