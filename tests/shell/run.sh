#!/usr/bin/env bash
# The repository's shell scripts without Docker (`make test-shell`, part of
# `make check`): the README's commands and the scripts it names, run the way
# a user runs them, with stand-ins on PATH for what would change the machine
# or needs a daemon (apt-get, sudo, docker, aws, make) that record how they
# were called.  predict.sh talks to a real `build/bin/optml serve` (the echo
# test module) on 127.0.0.1.  Prints PASS/FAIL per check and closes with
# "N passed, N failed"; exit 1 on any failure.
#   Usage: tests/shell/run.sh        (needs `make all` and build/tests/modules/echo.so)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$PWD
BUILD=${OPTML_BUILD:-build}
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
# check NAME COMMAND...: PASS when the command succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "$*"; fi; }

WORK=$(mktemp -d /tmp/optml-shell-test.XXXXXX)
_pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local p
  for p in "${_pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---- a PATH without sudo (and without the tools the stand-ins replace):
# every command of the system's bin folders but those, as symlinks.
SYS=$WORK/sys
mkdir -p "$SYS"
for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    n=${f##*/}
    case $n in sudo|apt-get|docker|dockerd|debootstrap|aws|make|id) continue ;; esac
    [ -e "$SYS/$n" ] || ln -s "$f" "$SYS/$n" 2>/dev/null
  done
done
REAL_ID=$(command -v id)

# stubs DIR: the stand-ins.  Each appends "NAME ARGS" to $STUB_LOG.
#   id        -u: $STUB_UID (default the real uid); anything else: the real id
#   sudo      records, then runs its command as "root" (STUB_UID=0); -E and
#             --preserve-env=... are accepted
#   apt-get   records; `install` of docker.io creates a docker stand-in
#   docker    `info`: exit $STUB_DOCKER_INFO (0); `network inspect bridge`:
#             exit $STUB_BRIDGE (0); anything else: exit 0
#   aws       `sts ...`: the CLI's no-credentials error, exit 255
#   make      exit 0
stubs() {
  local d=$1
  mkdir -p "$d"
  cat >"$d/id" <<EOF
#!/bin/bash
if [ "\${1:-}" = -u ] && [ -n "\${STUB_UID:-}" ]; then echo "\$STUB_UID"; exit 0; fi
exec $REAL_ID "\$@"
EOF
  cat >"$d/sudo" <<'EOF'
#!/bin/bash
echo "sudo $*" >>"$STUB_LOG"
while [ $# -gt 0 ]; do case $1 in -E|--preserve-env*) shift ;; *) break ;; esac; done
STUB_UID=0 exec "$@"
EOF
  cat >"$d/apt-get" <<'EOF'
#!/bin/bash
echo "apt-get $*" >>"$STUB_LOG"
if [ "${1:-}" = install ] && [[ " $* " == *" docker.io "* ]]; then
  here=$(dirname "$0")
  cat "$here/docker.stub" >"$here/docker" && chmod +x "$here/docker"
  printf '#!/bin/sh\nexit 0\n' >"$here/debootstrap" && chmod +x "$here/debootstrap"
fi
exit 0
EOF
  cat >"$d/docker.stub" <<'EOF'
#!/bin/bash
echo "docker $*" >>"$STUB_LOG"
case "$1 ${2:-} ${3:-}" in
  "info "*) exit "${STUB_DOCKER_INFO:-0}" ;;
  "network inspect bridge") exit "${STUB_BRIDGE:-0}" ;;
esac
exit 0
EOF
  cp "$d/docker.stub" "$d/docker"
  cat >"$d/aws" <<'EOF'
#!/bin/bash
echo "aws $*" >>"$STUB_LOG"
case $1 in
  sts) echo "Unable to locate credentials. You can configure credentials by running \"aws configure\"." >&2; exit 255 ;;
  configure) exit 1 ;;
esac
exit 0
EOF
  # shellcheck disable=SC2016  # expanded by the stand-in
  printf '#!/bin/bash\necho "make $*" >>"$STUB_LOG"\nexit 0\n' >"$d/make"
  chmod +x "$d"/*
}

# in_sandbox NAME COMMAND...: run COMMAND with fresh stand-ins first on a
# PATH without sudo; its calls in $WORK/NAME.calls, output in $WORK/NAME.out
# and $WORK/NAME.err; returns its exit status.  Environment: STUB_* as above.
in_sandbox() {
  local name=$1; shift
  rm -rf "${WORK:?}/stub-$name"
  stubs "$WORK/stub-$name"
  : >"$WORK/$name.calls"
  STUB_LOG=$WORK/$name.calls PATH=$WORK/stub-$name:$SYS timeout 60 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
}
calls() { cat "$WORK/$1.calls"; }

# ==== 1. The README's first two commands, as root without sudo and as a user with sudo
cmds=$(awk '/^```sh/ { n++; next } n == 1 && /^```/ { exit } n == 1' README.md)
first=$(sed -n 1p <<<"$cmds") second=$(sed -n 2p <<<"$cmds")
echo "README: $first"
echo "README: $second"
check readme_first_command_is_demo_deps_then_make_demo grep -Eq '^bash \.ci/deps\.sh demo && make demo( |$)' <<<"$first"
check readme_second_command_is_deps_then_make_check grep -Eq '^bash \.ci/deps\.sh && make check( |$)' <<<"$second"
check readme_commands_do_not_call_sudo sh -c "! grep -qw sudo <<'E'
$first
$second
E"

# As root on a machine without sudo.
in_sandbox deps_demo_root bash .ci/deps.sh demo; code=$?
check deps_demo_as_root_without_sudo_exits_0 test "$code" -eq 0
check deps_demo_as_root_calls_apt_get_directly grep -q '^apt-get install .*make' "$WORK/deps_demo_root.calls"
check deps_demo_as_root_never_calls_sudo sh -c "! grep -q '^sudo' '$WORK/deps_demo_root.calls'"
check deps_demo_installs_only_what_the_demo_needs sh -c \
  "! grep -Eq 'clang|sklearn|fashion-mnist|libopenblas-dev' '$WORK/deps_demo_root.calls'"
check deps_demo_has_curl_and_make sh -c "grep '^apt-get install' '$WORK/deps_demo_root.calls' | grep -w curl | grep -qw make"
in_sandbox deps_all_root bash .ci/deps.sh; code=$?
check deps_all_as_root_without_sudo_exits_0 test "$code" -eq 0
check deps_all_installs_the_test_packages sh -c "grep -q '^apt-get install .*clang' '$WORK/deps_all_root.calls' &&
  grep -q 'python3-sklearn' '$WORK/deps_all_root.calls' && grep -q 'dataset-fashion-mnist' '$WORK/deps_all_root.calls'"
# As a user with sudo: apt-get through sudo.
STUB_UID=1000 in_sandbox deps_demo_user bash .ci/deps.sh demo; code=$?
check deps_demo_as_user_exits_0 test "$code" -eq 0
check deps_demo_as_user_calls_sudo_apt_get sh -c "grep -q '^sudo apt-get update' '$WORK/deps_demo_user.calls' &&
  grep -Eq '^sudo (env [^ ]+ )?apt-get install .*curl' '$WORK/deps_demo_user.calls'"
STUB_UID=1000 in_sandbox deps_all_user bash .ci/deps.sh; code=$?
check deps_all_as_user_calls_sudo_apt_get sh -c "[ $code -eq 0 ] && grep -Eq '^sudo (env [^ ]+ )?apt-get install .*clang' '$WORK/deps_all_user.calls'"
in_sandbox deps_bad bash .ci/deps.sh nonsense; code=$?
check deps_unknown_set_is_a_usage_error sh -c "[ $code -eq 2 ] && grep -q 'usage' '$WORK/deps_bad.err' && ! grep -q '^apt-get' '$WORK/deps_bad.calls'"

# make demo compiles nothing on the host: no pkg-config or -dev package asked for.
mkdir -p "$WORK/nopkg"
for f in "$SYS"/*; do [ "${f##*/}" = pkg-config ] || ln -s "$(readlink "$f")" "$WORK/nopkg/${f##*/}"; done
ln -s "$(command -v make)" "$WORK/nopkg/make"
PATH=$WORK/nopkg make -n demo >"$WORK/make-demo.out" 2>"$WORK/make-demo.err"; code=$?
check make_demo_needs_no_pkg_config sh -c "[ $code -eq 0 ] && [ ! -s '$WORK/make-demo.err' ] && grep -q 'local_test/demo.sh' '$WORK/make-demo.out'"

# docker/setup.sh demo (what make demo runs first): Docker and debootstrap,
# not the registry of the push test; through sudo only when not root.
# shellcheck disable=SC2016  # expanded inside the sandbox
in_sandbox setup_root bash -c 'rm -f "$(dirname "$(command -v apt-get)")/docker"; bash docker/setup.sh demo'; code=$?
check setup_demo_as_root_without_sudo_exits_0 test "$code" -eq 0
check setup_demo_as_root_installs_docker_directly grep -q '^apt-get install .*docker\.io.*debootstrap' "$WORK/setup_root.calls"
check setup_demo_skips_docker_registry sh -c "! grep -q 'docker-registry' '$WORK/setup_root.calls'"
check setup_demo_as_root_never_calls_sudo sh -c "! grep -q '^sudo' '$WORK/setup_root.calls'"
# shellcheck disable=SC2016
STUB_UID=1000 in_sandbox setup_user bash -c 'rm -f "$(dirname "$(command -v apt-get)")/docker"; bash docker/setup.sh demo'; code=$?
check setup_demo_as_user_calls_sudo_apt_get sh -c "[ $code -eq 0 ] && grep -Eq '^sudo (env [^ ]+ )?apt-get install .*docker\.io' '$WORK/setup_user.calls'"

# ==== 2. Every script the README and docs/images.md name: executable in git and
# on disk, and `--help` prints its usage, exit 0, touching nothing.
mapfile -t scripts < <(grep -ohE '(^|[^A-Za-z0-9_./-])(local_test|docker|\.ci)/[A-Za-z0-9_-]+\.sh' README.md docs/images.md |
                       sed -E 's/^[^.a-z]*//' | grep -v '/common\.sh$' | sort -u)
echo "scripts named: ${scripts[*]}"
check readme_names_the_local_test_and_docker_scripts test "${#scripts[@]}" -ge 8
for s in "${scripts[@]}"; do
  n=$(basename "$s" .sh)
  check "script_exists_$n" test -f "$s"
  mode=$(git ls-files -s -- "$s" | awk '{print $1}')
  check "script_executable_in_git_$n" test "$mode" = 100755
  check "script_executable_on_disk_$n" test -x "$s"
  # Run as the README shows (./path), from another directory too.
  in_sandbox "help_$n" env -C "$WORK" "$ROOT/$s" --help; code=$?
  check "script_help_exits_0_$n" test "$code" -eq 0
  check "script_help_prints_usage_$n" grep -qi '^usage: ' "$WORK/help_$n.out"
  check "script_help_touches_nothing_$n" test ! -s "$WORK/help_$n.calls"
  in_sandbox "h_$n" env -C "$WORK" "$ROOT/$s" -h; code=$?
  check "script_dash_h_exits_0_$n" sh -c "[ $code -eq 0 ] && [ ! -s '$WORK/h_$n.calls' ]"
done

# ==== 3. The network: host networking when Docker has no default bridge
# (dockerd --bridge=none, as docker/setup.sh starts it), -p otherwise,
# OPTML_DOCKER_NETWORK wins; one line says which.
td=$WORK/td
mkdir -p "$td/model" "$td/output" "$td/input/config"
touch "$td/model/m"
runline() { grep '^docker run' "$WORK/$1.calls"; }
STUB_BRIDGE=1 OPTML_TEST_DIR=$td in_sandbox net_nobridge local_test/serve_local.sh optml/x
check no_bridge_serves_on_host_network grep -q -- '--network host .*SAGEMAKER_BIND_TO_PORT=8080' <(runline net_nobridge)
check no_bridge_does_not_publish sh -c "! grep '^docker run' '$WORK/net_nobridge.calls' | grep -q -- ' -p '"
check no_bridge_says_so grep -q 'no default bridge.*host networking' "$WORK/net_nobridge.err"
STUB_BRIDGE=1 OPTML_PORT=9123 OPTML_TEST_DIR=$td in_sandbox net_nobridge_port local_test/serve_local.sh optml/x
check no_bridge_honours_optml_port grep -q -- 'SAGEMAKER_BIND_TO_PORT=9123' <(runline net_nobridge_port)
STUB_BRIDGE=0 OPTML_TEST_DIR=$td in_sandbox net_bridge local_test/serve_local.sh optml/x
check bridge_publishes_the_port grep -q -- '-p 8080:8080' <(runline net_bridge)
check bridge_says_so grep -q 'publishing port 8080' "$WORK/net_bridge.err"
STUB_BRIDGE=0 OPTML_DOCKER_NETWORK=host OPTML_TEST_DIR=$td in_sandbox net_host local_test/serve_local.sh optml/x
check optml_docker_network_host_wins grep -q -- '--network host' <(runline net_host)
STUB_BRIDGE=1 OPTML_DOCKER_NETWORK=bridge OPTML_TEST_DIR=$td in_sandbox net_forced local_test/serve_local.sh optml/x
check optml_docker_network_bridge_wins grep -q -- '-p 8080:8080' <(runline net_forced)

# ==== 5c. Environment into the container: -e NAME=value (as docker run -e)
# and OPTML_DOCKER_ENV; OPTML_CONTAINER_NAME for train_local.sh too.
OPTML_DOCKER_ENV='C=3 D=4' OPTML_CONTAINER_NAME=optml-t-$$ OPTML_TEST_DIR=$td \
  in_sandbox env_train local_test/train_local.sh -e A=1 -e B='two words' optml/x; code=$?
check train_local_env_exits_0 test "$code" -eq 0
check train_local_passes_dash_e sh -c "grep -q -- '-e A=1 ' '$WORK/env_train.calls' && grep -q -- '-e B=two words ' '$WORK/env_train.calls'"
check train_local_passes_optml_docker_env grep -q -- '-e C=3 -e D=4 ' "$WORK/env_train.calls"
check train_local_takes_optml_container_name grep -q -- "--name optml-t-$$ " "$WORK/env_train.calls"
check train_local_still_runs_train grep -q 'optml/x train$' "$WORK/env_train.calls"
OPTML_TEST_DIR=$td STUB_BRIDGE=0 in_sandbox env_serve local_test/serve_local.sh -e SAGEMAKER_MODEL_SERVER_WORKERS=1 optml/x
check serve_local_passes_dash_e grep -q -- '-e SAGEMAKER_MODEL_SERVER_WORKERS=1 .*optml/x serve$' "$WORK/env_serve.calls"
OPTML_TEST_DIR=$td in_sandbox env_bad local_test/train_local.sh -e optml/x; code=$?
check train_local_dash_e_without_image_is_a_usage_error sh -c "[ $code -eq 2 ] && grep -Eq 'usage|NAME=value' '$WORK/env_bad.err'"

# --hosts: bad counts and combinations are usage errors, before anything runs
# (the test_dir's model/ is not even cleared).
tdh=$WORK/td_hosts
mkdir -p "$tdh/model" "$tdh/input/config"
touch "$tdh/model/m"
for bad_hosts in "hosts0:--hosts 0" "hostsx:--hosts x" "hosts65:--hosts 65" "sharded1:--sharded" "pipehosts:--pipe --hosts 2"; do
  n=${bad_hosts%%:*}
  # shellcheck disable=SC2086  # the options, split on purpose
  OPTML_TEST_DIR=$tdh in_sandbox "$n" local_test/train_local.sh ${bad_hosts#*:} optml/x; code=$?
  check "train_local_${n}_is_a_usage_error" sh -c "[ $code -eq 2 ] && grep -q 'train_local.sh: --' '$WORK/$n.err' &&
    ! grep -q '^docker' '$WORK/$n.calls' && [ -e '$tdh/model/m' ]"
done

# ==== 6. build_and_push.sh without AWS credentials says what to set, before building
in_sandbox push_nocreds docker/build_and_push.sh linear-learner; code=$?
check build_and_push_no_credentials_exits_255 test "$code" -eq 255
check build_and_push_no_credentials_says_what_to_set sh -c \
  "grep -q 'AWS_ACCESS_KEY_ID' '$WORK/push_nocreds.err' && grep -q 'AWS_PROFILE' '$WORK/push_nocreds.err' &&
   grep -q 'aws configure' '$WORK/push_nocreds.err' && grep -q 'OPTML_REGISTRY' '$WORK/push_nocreds.err'"
check build_and_push_no_credentials_no_stray_exit_code sh -c "! grep -q '? 255' '$WORK/push_nocreds.err'"
check build_and_push_checks_credentials_before_building sh -c "! grep -q '^make' '$WORK/push_nocreds.calls'"

# ==== 5a. predict.sh against `optml serve` (the echo test module) on 127.0.0.1
if [ ! -x "$BUILD/bin/optml" ] || [ ! -f "$BUILD/tests/modules/echo.so" ]; then
  bad predict_needs_the_build "no $BUILD/bin/optml or $BUILD/tests/modules/echo.so: make all $BUILD/tests/modules/echo.so"
else
  tree=$WORK/tree
  mkdir -p "$tree/input/config" "$tree/input/data/train"
  echo '{"epochs": "1"}' >"$tree/input/config/hyperparameters.json"
  printf '1,2\n3,4\n' >"$tree/input/data/train/a.csv"
  export OPTML_MODULE_PATH=$ROOT/$BUILD/tests/modules OPTML_ALGORITHM=echo SAGEMAKER_BASE_DIR=$tree
  "$BUILD/bin/optml" train >"$WORK/echo-train.log" 2>&1
  check echo_trains test -s "$tree/model/echo.model"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  SAGEMAKER_BIND_TO_PORT=$port "$BUILD/bin/optml" serve >"$WORK/echo-serve.log" 2>&1 &
  _pids+=($!)
  up=0
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/ping" >/dev/null 2>&1 && { up=1; break; }; sleep 0.1; done
  check echo_serves test "$up" -eq 1
  unset OPTML_MODULE_PATH OPTML_ALGORITHM SAGEMAKER_BASE_DIR
  printf '1,2\n' >"$WORK/p.csv"
  predict() { local name=$1; shift; OPTML_PORT=${P_PORT:-$port} in_sandbox "$name" local_test/predict.sh "$@"; }
  predict p200 "$WORK/p.csv" text/csv; code=$?
  check predict_200_exits_0 sh -c "[ $code -eq 0 ] && [ -s '$WORK/p200.out' ]"
  predict p415 "$WORK/p.csv" application/x-nothing; code=$?
  check predict_415_exits_non_zero test "$code" -ne 0
  check predict_415_prints_the_body grep -q '"code": *415' "$WORK/p415.out"
  check predict_415_names_the_status grep -q 'HTTP 415' "$WORK/p415.err"
  OPTML_ACCEPT=text/html predict p406 "$WORK/p.csv" text/csv; code=$?
  check predict_406_exits_non_zero sh -c "[ $code -ne 0 ] && grep -q 'HTTP 406' '$WORK/p406.err'"
  OPTML_CUSTOM_ATTRIBUTES=fail=1 predict p500 "$WORK/p.csv" text/csv; code=$?
  check predict_500_exits_non_zero sh -c "[ $code -ne 0 ] && grep -q 'HTTP 5[0-9][0-9]' '$WORK/p500.err'"
  predict pmissing "$WORK/no-such.csv" text/csv; code=$?
  check predict_missing_payload_exits_2 test "$code" -eq 2
  check predict_missing_payload_names_it grep -q "no-such.csv" "$WORK/pmissing.err"
  dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  P_PORT=$dead predict pdead "$WORK/p.csv" text/csv; code=$?
  check predict_nothing_listening_exits_non_zero test "$code" -ne 0
  check predict_nothing_listening_says_what_to_do sh -c "grep -q 'serve_local.sh' '$WORK/pdead.err' && grep -q 'OPTML_PORT' '$WORK/pdead.err'"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
