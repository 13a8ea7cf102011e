#!/usr/bin/env bash
# Installs everything optml needs to build and test on Debian 12, as root
# (or through sudo).  Used by the README's commands and by .ci/run.
set -euo pipefail
packages=(
  build-essential pkg-config clang libclang-rt-14-dev   # compilers; libFuzzer and sanitizer runtimes
  libmicrohttpd-dev libjansson-dev libopenblas-dev libarchive-dev zlib1g-dev
  curl ca-certificates
  python3-sklearn dataset-fashion-mnist                  # real data and the reference models in the linear-learner tests
  chromium                                               # renders the training report in tests/report/render.sh
)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${packages[@]}"
