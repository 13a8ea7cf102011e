#!/usr/bin/env bash
# Installs the Debian 12 packages optml needs, with apt-get: as root
# directly, otherwise through sudo.  Used by the README's commands and by
# .ci/run.
#   Usage: .ci/deps.sh [demo]
#   (no argument)  everything to build and test (`make check`): compilers,
#                  clang and the sanitizer runtimes, the -dev libraries, the
#                  real data and reference models of the linear-learner tests
#   demo           only what `make demo` needs on the host: make and curl (the
#                  image is compiled inside Docker; the demo installs and starts
#                  Docker itself through docker/setup.sh)
set -euo pipefail
usage="usage: .ci/deps.sh [demo]   (no argument: everything for make check; demo: only what make demo needs)"
case ${1:-all} in
  -h|--help) echo "$usage"; exit 0 ;;
  all)
    packages=(
      build-essential pkg-config clang libclang-rt-14-dev   # compilers; libFuzzer and sanitizer runtimes
      libmicrohttpd-dev libjansson-dev libopenblas-dev libarchive-dev zlib1g-dev
      libpng-dev libjpeg62-turbo-dev                         # image requests (algorithms/codec/image_decode.c)
      libdnnl-dev                                            # the oneDNN convolution engine (algorithms/nn/conv_dnnl.c)
      openmpi-bin libopenmpi-dev                             # multi-host training: mpirun/orted and the MPI plugin (runtime/dist/)
      curl ca-certificates python3
      python3-sklearn dataset-fashion-mnist                  # real data and the reference models in the linear-learner tests
      chromium                                               # renders the training report in tests/report/render.sh
    ) ;;
  demo) packages=(make curl ca-certificates) ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "$usage" >&2; exit 2; }
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: not root and no sudo: run it as root" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
