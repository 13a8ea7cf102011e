#!/usr/bin/env bash
# Image tests with a real Docker engine (`make test-images`, part of `make
# check`).  Sources tests/images/lib.sh, then every tests/images/<module>.sh
# whose containers/<module>/ exists (each builds its image once, from
# docker/Dockerfile and containers/<module>/image.env, through need_image), then the tests of the module-independent scripts in
# tests/images/scripts/ (train_local.sh --pipe, the flow with nothing set,
# make demo on a taken port, build_and_push.sh).  Prints
# exactly one "N passed, N failed" line; exit 1 on any failure.
#   Usage: tests/images/run.sh [MODULE...]     (default: every module)
# Docker that does not answer: a failure in CI (CI=1 or OPTML_CI=1), a skip
# elsewhere.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
# shellcheck source=tests/images/lib.sh
. tests/images/lib.sh

if ! docker_ready; then
  if in_ci; then
    bad docker_answers "docker info fails (CI: a failure, not a skip; see docker/setup.sh)"
  else
    echo "SKIP image tests: Docker does not answer (sudo bash docker/setup.sh installs and starts it)"
  fi
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit
fi

modules=("$@")
if [ "${#modules[@]}" -eq 0 ]; then
  for f in tests/images/*.sh; do
    m=$(basename "$f" .sh)
    [ -d "containers/$m" ] && modules+=("$m")
  done
fi
PUSH_MODULE=
for m in "${modules[@]}"; do
  if [ ! -d "containers/$m" ] || [ ! -f "tests/images/$m.sh" ]; then
    bad "module_$m" "needs containers/$m/ and tests/images/$m.sh"
    continue
  fi
  echo "== $m"
  # shellcheck source=/dev/null
  . "tests/images/$m.sh"
  [ -n "$PUSH_MODULE" ] || [ "${_built[$m]:-}" != ok ] || PUSH_MODULE=$m
done

echo "== scripts"
# shellcheck source=tests/images/scripts/pipe.sh
. tests/images/scripts/pipe.sh
# shellcheck source=tests/images/scripts/flow.sh
. tests/images/scripts/flow.sh
# shellcheck source=tests/images/scripts/demo.sh
. tests/images/scripts/demo.sh
if [ -n "$PUSH_MODULE" ]; then
  # shellcheck source=tests/images/scripts/push.sh
  . tests/images/scripts/push.sh
else
  bad build_and_push "no module image built, nothing to push"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
