#!/usr/bin/env bash
# `make bench` runs this after building build/bin/optml and the test modules.
# Each benchmark is its own script under bench/ and writes bench/results/<name>.txt.
# Today: serving (optml serve vs nginx + gunicorn + Flask), then linear
# (the linear-learner module vs scikit-learn fed by NumPy's parser), then
# images (image sizes and layers, build times, docker run ... serve cold start),
# then news (the news-classifier vs fastText / scikit-learn / PyTorch on two
# corpora, and its serving vs the Flask stack), then report (what writing
# the training report costs a job), then conv (the conv engine
# micro-benchmark: im2col + OpenBLAS vs oneDNN), then cifar_cnn (the
# cifar-cnn module's training and serving speed against PyTorch), then
# object_detection (the object-detection module's training, latency and mAP
# per minute against torchvision's SSDLite), then multi_host (the
# workshop's 5-host experiment) and multi_host_scaling (allreduce and
# start-up measured, scaling projected).  bench/README.md
# says how to run them and what each figure means; bench/deps.sh installs
# what they need.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
export OPTML_BUILD=${OPTML_BUILD:-build}
rc=0
bash bench/serving.sh || rc=$?
bash bench/linear.sh || rc=$?
bash bench/images.sh || rc=$?
bash bench/news.sh || rc=$?
bash bench/report.sh || rc=$?
bash bench/conv.sh || rc=$?
bash bench/cifar_cnn.sh || rc=$?
bash bench/multi_host.sh || rc=$?
bash bench/object_detection.sh || rc=$?
bash bench/multi_host_scaling.sh || rc=$?
exit $rc
