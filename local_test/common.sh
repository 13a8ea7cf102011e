# shellcheck shell=bash
# Sourced by the local_test scripts: where things are and how docker runs.
#   OPTML_TEST_DIR         the /opt/ml tree to mount (default: local_test/<module>/test_dir,
#                          <module> taken from an image named optml/<module>[:tag])
#   OPTML_DOCKER_NETWORK   "host": `docker run --network host` instead of -p 8080:8080
#   OPTML_PORT             the port to serve and predict on (default 8080)
LOCAL_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OPTML_PORT=${OPTML_PORT:-8080}

# test_dir_for IMAGE: the tree for that image.
test_dir_for() {
  if [ -n "${OPTML_TEST_DIR:-}" ]; then
    (cd "$OPTML_TEST_DIR" && pwd)
    return
  fi
  local name=${1%%:*}
  local module=${name##*/}
  local dir=$LOCAL_TEST_DIR/$module/test_dir
  [ -d "$dir" ] || { echo "no test_dir for image '$1' ($dir); set OPTML_TEST_DIR" >&2; return 1; }
  echo "$dir"
}

# Files written into the test_dir belong to the invoking user, also under sudo.
docker_user() { echo "${SUDO_UID:-$(id -u)}:${SUDO_GID:-$(id -g)}"; }

docker_net_args() {
  if [ "${OPTML_DOCKER_NETWORK:-}" = host ]; then
    echo "--network host -e SAGEMAKER_BIND_TO_PORT=$OPTML_PORT"
  else
    echo "-p $OPTML_PORT:8080"
  fi
}
