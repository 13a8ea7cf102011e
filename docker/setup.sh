#!/usr/bin/env bash
# Installs Docker, debootstrap (docker/base-image.sh) and docker-registry
# (the push test, tests/images/scripts/push.sh) from Debian's archive and
# makes sure a daemon answers.  Where no init system started one (containers, CI
# sandboxes), it starts dockerd without a bridge: the local_test scripts then
# use host networking (OPTML_DOCKER_NETWORK=host).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if ! command -v docker >/dev/null || ! command -v debootstrap >/dev/null || ! [ -x /usr/bin/docker-registry ]; then
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends docker.io debootstrap docker-registry curl
  # Only the binary is used, started by the test on 127.0.0.1 with its own
  # config; where an init system started the packaged service, leave it be.
fi
if ! docker info >/dev/null 2>&1; then
  # A dockerd that died (VM restart, OOM kill) leaves its pid files behind and
  # a new one refuses to start: remove them only when that process is gone.
  for pf in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    if [ -f "$pf" ] && ! kill -0 "$(cat "$pf" 2>/dev/null)" 2>/dev/null; then
      echo "setup: removing stale $pf (process $(cat "$pf" 2>/dev/null) is gone)"
      $SUDO rm -f "$pf"
    fi
  done
  echo "setup: starting dockerd (no bridge; logs in /tmp/optml-dockerd.log)"
  $SUDO sh -c 'nohup dockerd --bridge=none --iptables=false --ip-masq=false >/tmp/optml-dockerd.log 2>&1 &'
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start" >&2; tail -n 20 /tmp/optml-dockerd.log >&2; exit 1; }
fi
