#!/usr/bin/env bash
# Installs Docker, debootstrap (docker/base-image.sh) and docker-registry
# (the push test, tests/images/scripts/push.sh) from Debian's archive and
# makes sure a daemon answers.  Where no init system started one (containers, CI
# sandboxes), it starts dockerd without a bridge: the local_test scripts
# notice and use host networking.  apt-get and dockerd run directly as
# root, through sudo otherwise.
#   Usage: docker/setup.sh [demo]     (demo: without docker-registry, as make demo runs it)
set -euo pipefail
usage="usage: docker/setup.sh [demo]   (install Docker + debootstrap (+ docker-registry unless demo); start dockerd if none answers)"
case ${1:-} in
  -h|--help) echo "$usage"; exit 0 ;;
  '') packages=(docker.io debootstrap docker-registry curl) ;;
  demo) packages=(docker.io debootstrap curl) ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: not root and no sudo: run it as root" >&2; exit 1; }
  SUDO=(sudo)
fi
missing=0
command -v docker >/dev/null || missing=1
command -v debootstrap >/dev/null || missing=1
[ "${1:-}" = demo ] || [ -x /usr/bin/docker-registry ] || missing=1
if [ "$missing" -eq 1 ]; then
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
  # docker-registry: only the binary is used, started by the test on
  # 127.0.0.1 with its own config; where an init system started the
  # packaged service, leave it be.
fi
if ! docker info >/dev/null 2>&1; then
  # A dockerd that died (VM restart, OOM kill) leaves its pid files behind and
  # a new one refuses to start: remove them only when that process is gone.
  for pf in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
    if [ -f "$pf" ] && ! kill -0 "$(cat "$pf" 2>/dev/null)" 2>/dev/null; then
      echo "setup: removing stale $pf (process $(cat "$pf" 2>/dev/null) is gone)"
      "${SUDO[@]}" rm -f "$pf"
    fi
  done
  # As a user, Docker may answer through sudo only (no docker group): then
  # a daemon runs and nothing is started.
  if [ "${#SUDO[@]}" -gt 0 ] && sudo docker info >/dev/null 2>&1; then
    exit 0
  fi
  echo "setup: starting dockerd (no bridge; logs in /tmp/optml-dockerd.log)"
  "${SUDO[@]}" sh -c 'nohup dockerd --bridge=none --iptables=false --ip-masq=false >/tmp/optml-dockerd.log 2>&1 &'
  for _ in $(seq 60); do docker info >/dev/null 2>&1 || "${SUDO[@]}" docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || "${SUDO[@]}" docker info >/dev/null 2>&1 ||
    { echo "setup: dockerd did not start" >&2; tail -n 20 /tmp/optml-dockerd.log >&2; exit 1; }
fi
