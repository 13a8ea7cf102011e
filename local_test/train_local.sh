#!/usr/bin/env bash
# Train IMAGE on its local test_dir, as SageMaker would: the tree is mounted
# at /opt/ml and the container runs `train`.   Usage: train_local.sh IMAGE
set -euo pipefail
. "$(dirname "$0")/common.sh"
image=${1:?usage: train_local.sh IMAGE}
dir=$(test_dir_for "$image")
# Clear what an earlier run left; the container itself creates model/ and
# output/ as the invoking user, so the files stay theirs.
rm -rf "${dir:?}"/model/* "${dir:?}"/output/*
docker run --rm --user "$(docker_user)" -v "$dir:/opt/ml" ${OPTML_DOCKER_NETWORK:+--network "$OPTML_DOCKER_NETWORK"} "$image" train
