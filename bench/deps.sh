#!/usr/bin/env bash
# Installs what `make bench` needs on Debian 12, as root (or through sudo):
#   - the load generator and probe: wrk, curl, time
#   - the peer serving stack that ../shared/peers/05-serving.sh runs:
#     nginx, gunicorn, python3-flask, python3-gevent, python3-numpy
#   - the linear-learner peer (bench/linear.sh, ../shared/peers/03-linear.sh):
#     python3-sklearn, python3-pandas, dataset-fashion-mnist
#   - the news-classifier peers (bench/news.sh, ../shared/peers/01-text.sh):
#     fasttext, python3-sklearn, python3-torch, python3-numpy
#   - the object-detection peer (bench/object_detection.sh,
#     ../shared/peers/04-ssd.sh): python3-torchvision
#   - the conv engine benchmark's peer (bench/conv.sh): libdnnl-dev (oneDNN 2.6)
#   - libopenblas0-pthread, so Debian's numpy uses OpenBLAS as the peer scripts
#     assume (../shared/peers/install-deps.sh installs it too)
# Building optml itself needs .ci/deps.sh (compilers and -dev packages).
# Debian starts no nginx service here (no systemd); the bench runs its own
# nginx on 127.0.0.1 with its own config either way.
set -euo pipefail
packages=(
  wrk curl time ca-certificates
  nginx gunicorn python3-flask python3-gevent python3-numpy libopenblas0-pthread
  python3-sklearn python3-pandas dataset-fashion-mnist
  fasttext python3-torch python3-torchvision
  libdnnl-dev
)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${packages[@]}"
