# shellcheck shell=bash
# Sourced by the local_test scripts: where things are and how docker runs.
#   OPTML_TEST_DIR         the /opt/ml tree to mount (default: local_test/<module>/test_dir,
#                          <module> taken from an image named optml/<module>[:tag])
#   OPTML_DOCKER_NETWORK   how the server's port reaches 127.0.0.1 (net_args): unset,
#                          bridge, host or the name of a Docker network
#   OPTML_PORT             the port to serve and predict on (default 8080)
#   OPTML_DOCKER_ENV       "NAME=value NAME=value": passed to the container, as
#                          the -e NAME=value options of the scripts are
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

# net_args: NET_ARGS, the docker run options that make the container's
# server answer on 127.0.0.1:$OPTML_PORT, and one line on stderr saying which.
#   OPTML_DOCKER_NETWORK=host     --network host -e SAGEMAKER_BIND_TO_PORT=$OPTML_PORT
#   OPTML_DOCKER_NETWORK=bridge   -p $OPTML_PORT:8080
#   OPTML_DOCKER_NETWORK=<name>   --network <name> -p $OPTML_PORT:8080
#   unset: bridge when Docker has its default bridge network; host when it
#   has none (dockerd --bridge=none, as docker/setup.sh starts it), where -p
#   publishes nothing.
# shellcheck disable=SC2034  # NET_ARGS is read by the scripts that source this
net_args() {
  local net=${OPTML_DOCKER_NETWORK:-}
  if [ -z "$net" ]; then
    if docker network inspect bridge >/dev/null 2>&1; then
      net=bridge
    else
      net=host
      echo "local_test: Docker has no default bridge network (dockerd --bridge=none), where -p publishes nothing:" \
           "using host networking, port $OPTML_PORT (OPTML_DOCKER_NETWORK=host|bridge|<network> to choose)" >&2
      NET_ARGS=(--network host -e "SAGEMAKER_BIND_TO_PORT=$OPTML_PORT")
      return
    fi
  fi
  case $net in
    host)
      echo "local_test: host networking, port $OPTML_PORT (OPTML_DOCKER_NETWORK=host)" >&2
      NET_ARGS=(--network host -e "SAGEMAKER_BIND_TO_PORT=$OPTML_PORT") ;;
    bridge)
      echo "local_test: publishing port $OPTML_PORT from Docker's bridge network (-p $OPTML_PORT:8080;" \
           "OPTML_DOCKER_NETWORK=host for host networking)" >&2
      NET_ARGS=(-p "$OPTML_PORT:8080") ;;
    *)
      echo "local_test: publishing port $OPTML_PORT from network $net (--network $net -p $OPTML_PORT:8080)" >&2
      NET_ARGS=(--network "$net" -p "$OPTML_PORT:8080") ;;
  esac
}

# ENV_ARGS: the -e options for docker run, from $OPTML_DOCKER_ENV (split on
# blanks) and then each `-e NAME[=value]` / `--env NAME[=value]` a script
# takes (env_opt adds one).
ENV_ARGS=()
if [ -n "${OPTML_DOCKER_ENV:-}" ]; then
  read -r -a _words <<<"$OPTML_DOCKER_ENV"
  for _w in "${_words[@]}"; do ENV_ARGS+=(-e "$_w"); done
  unset _words _w
fi
env_opt() {
  [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*(=|$) ]] || { echo "$(basename "$0"): -e '$1': expected NAME=value or NAME" >&2; exit 2; }
  ENV_ARGS+=(-e "$1")
}
