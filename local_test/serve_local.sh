#!/usr/bin/env bash
# Serve the model in IMAGE's local test_dir on port 8080 (or $OPTML_PORT), as
# SageMaker would: the tree is mounted at /opt/ml and the container runs
# `serve`.  Ctrl-C (or `docker stop`) stops it.   Usage: serve_local.sh IMAGE
set -euo pipefail
# shellcheck source=local_test/common.sh
. "$(dirname "$0")/common.sh"
image=${1:?usage: serve_local.sh IMAGE}
dir=$(test_dir_for "$image")
# shellcheck disable=SC2046
exec docker run --rm --user "$(docker_user)" -v "$dir:/opt/ml" $(docker_net_args) ${OPTML_CONTAINER_NAME:+--name "$OPTML_CONTAINER_NAME"} "$image" serve
