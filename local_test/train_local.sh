#!/usr/bin/env bash
# Train IMAGE on its local test_dir, as SageMaker would: the tree is mounted
# at /opt/ml and the container runs `train`.
#   Usage: train_local.sh [--pipe | --hosts N [--sharded]] [-e NAME=value]... IMAGE
# -e NAME=value (or NAME, taken from this environment; also --env) passes a
# variable into the container, as `docker run -e` does; so do the words of
# $OPTML_DOCKER_ENV.  OPTML_CONTAINER_NAME names the container;
# OPTML_DOCKER_NETWORK=<network> runs it on that network.
# --pipe feeds every channel through FIFOs exactly as SageMaker's Pipe mode
# does: /opt/ml/input/data/<channel>_<epoch> (epoch from 0), one FIFO per pass
# the algorithm opens, the next one created only after the reader closed the
# previous one, and TrainingInputMode "Pipe" in the inputdataconfig.json the
# container sees.  The test_dir is not modified: the config and the FIFOs
# live in a temp dir mounted over input/config and input/data, and the
# feeders stop (and the temp dir goes) when the container exits.
# --hosts N runs one multi-host job as SageMaker does with InstanceCount N:
# N containers (hostnames algo-1 .. algo-N) on a Docker network the script
# creates and removes, each with its own /opt/ml tree and resourceconfig.json
# (network_interface_name eth0); algo-1's model/ and output/ are the
# test_dir's, the others' go with the temp dir.  Every channel is
# FullyReplicated (every host gets every file) unless --sharded: then the
# train channel's files (sorted by path) are dealt out across the hosts,
# file k to algo-(k mod N + 1), as S3 shards by key, and its
# S3DistributionType is ShardedByS3Key (validation stays FullyReplicated).
# Waits for every host, prints each host's exit code and algo-1's model
# path, and exits with the first non-zero code (0 when all succeeded).
set -euo pipefail
# shellcheck source=local_test/common.sh
. "$(dirname "$0")/common.sh"
usage="usage: train_local.sh [--pipe | --hosts N [--sharded]] [-e NAME=value]... IMAGE"
pipe=0 hosts=1 sharded=0
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) echo "$usage"; exit 0 ;;
    --pipe) pipe=1; shift ;;
    --hosts) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; hosts=$2; shift 2 ;;
    --hosts=*) hosts=${1#--hosts=}; shift ;;
    --sharded) sharded=1; shift ;;
    -e|--env) [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }; env_opt "$2"; shift 2 ;;
    --env=*) env_opt "${1#--env=}"; shift ;;
    --) shift; break ;;
    -*) echo "train_local.sh: unknown option '$1'" >&2; echo "$usage" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || { echo "$usage" >&2; exit 2; }
case $hosts in ''|*[!0-9]*|0) echo "train_local.sh: --hosts needs a number of hosts from 1 to 64, not '$hosts'" >&2; exit 2 ;; esac
[ "$hosts" -le 64 ] || { echo "train_local.sh: --hosts needs a number of hosts from 1 to 64, not '$hosts'" >&2; exit 2; }
[ "$sharded" -eq 0 ] || [ "$hosts" -gt 1 ] || { echo "train_local.sh: --sharded needs --hosts N with N > 1" >&2; exit 2; }
[ "$pipe" -eq 0 ] || [ "$hosts" -eq 1 ] || { echo "train_local.sh: --pipe and --hosts cannot be combined" >&2; exit 2; }
image=$1
dir=$(test_dir_for "$image")
# Clear what an earlier run left; the container itself creates model/ and
# output/ as the invoking user, so the files stay theirs.
rm -rf "${dir:?}"/model/* "${dir:?}"/output/*
# net: the container's network and environment options of docker run.
net=()
[ -z "${OPTML_DOCKER_NETWORK:-}" ] || net=(--network "$OPTML_DOCKER_NETWORK")
net+=("${ENV_ARGS[@]}")

if [ "$hosts" -gt 1 ]; then
  # local_test/train_hosts.sh: the N containers, their trees and network.
  exec bash "$(dirname "$0")/train_hosts.sh" "$hosts" "$sharded" "$image" "$dir" "${ENV_ARGS[@]}"
fi

if [ "$pipe" -eq 0 ]; then
  code=0
  docker run --rm --user "$(docker_user)" -v "$dir:/opt/ml" \
    ${OPTML_CONTAINER_NAME:+--name "$OPTML_CONTAINER_NAME"} "${net[@]}" "$image" train || code=$?
  [ ! -f "$dir/output/data/report.html" ] || echo "train_local: training report: $dir/output/data/report.html" >&2
  exit "$code"
fi

# ---- Pipe mode
command -v python3 >/dev/null || { echo "train_local.sh --pipe: needs python3 (to write inputdataconfig.json)" >&2; exit 2; }
[ -d "$dir/input/data" ] || { echo "train_local.sh --pipe: no channels: $dir/input/data does not exist" >&2; exit 2; }
channels=()
for c in "$dir"/input/data/*/; do
  [ -d "$c" ] && channels+=("$(basename "$c")")
done
[ "${#channels[@]}" -gt 0 ] || { echo "train_local.sh --pipe: no channel directories under $dir/input/data" >&2; exit 2; }

tmp=$(mktemp -d /tmp/optml-pipe.XXXXXX)
container=${OPTML_CONTAINER_NAME:-optml-train-pipe-$$}
feeders=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local p
  for p in "${feeders[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${feeders[@]}"; do wait "$p" 2>/dev/null || true; done
  docker rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/config" "$tmp/data"
[ -d "$dir/input/config" ] && cp -r "$dir/input/config/." "$tmp/config/"
# The channels of the user's inputdataconfig.json (or, without one, every
# channel directory, as the runtime itself does), each switched to Pipe.
piped_list=$(python3 - "$tmp/config/inputdataconfig.json" "${channels[@]}" <<'PY'
import json, os, sys
path, dirs = sys.argv[1], sys.argv[2:]
cfg = {}
if os.path.exists(path):
    try:
        with open(path) as f:
            cfg = json.load(f)
    except ValueError as e:
        sys.exit("train_local.sh --pipe: %s is not valid JSON: %s" % (path, e))
    if not isinstance(cfg, dict):
        sys.exit("train_local.sh --pipe: %s must be a JSON object" % path)
    missing = [c for c in cfg if c not in dirs]
    if missing:
        sys.exit("train_local.sh --pipe: channel(s) %s in inputdataconfig.json have no directory under input/data"
                 % ", ".join(missing))
else:
    cfg = {c: {} for c in dirs}
for c in cfg:
    if not isinstance(cfg[c], dict):
        sys.exit("train_local.sh --pipe: channel '%s' in inputdataconfig.json must be an object" % c)
    cfg[c]["TrainingInputMode"] = "Pipe"
with open(path, "w") as f:
    json.dump(cfg, f, indent=1)
print(" ".join(cfg))
PY
)
read -r -a piped <<<"$piped_list"
[ "${#piped[@]}" -gt 0 ] || { echo "train_local.sh --pipe: inputdataconfig.json lists no channel" >&2; exit 2; }
user=$(docker_user)
chmod 0755 "$tmp" "$tmp/config" "$tmp/data"
chmod -R a+rX "$tmp/config"

# feed CHANNEL: one pass over the channel's files (regular, non-hidden, in
# byte order of their relative path, as File mode reads them) per FIFO, for
# as long as the container runs.
feed() {
  local ch=$1 epoch=0 fifo child='' rc
  trap '[ -z "$child" ] || kill "$child" 2>/dev/null; exit 0' TERM
  local files=()
  while IFS= read -r -d '' f; do files+=("$f"); done < <(
    cd "$dir/input/data/$ch" && find . -type f ! -path '*/.*' -print0 | LC_ALL=C sort -z)
  [ "${#files[@]}" -gt 0 ] || files=(/dev/null)
  while :; do
    fifo=$tmp/data/${ch}_$epoch
    mkfifo -m 0644 "$fifo"
    chown "$user" "$fifo" 2>/dev/null || true
    # The open blocks until the algorithm opens this pass; SIGPIPE (the
    # reader stopped early) is a legal end of the pass.
    (cd "$dir/input/data/$ch" && exec cat -- "${files[@]}" >"$fifo") &
    child=$!
    rc=0; wait "$child" || rc=$?
    case $rc in
      0) echo "train_local: fed ${ch}_$epoch" >&2;;
      141) echo "train_local: fed ${ch}_$epoch (the reader closed it early)" >&2;;
      *) echo "train_local: feeding ${ch}_$epoch failed (cat exit $rc)" >&2;;
    esac
    child=
    # Wait for the reader to close it: a non-blocking open for writing
    # fails (ENXIO) once no reader has the FIFO open.
    while dd if=/dev/null of="$fifo" oflag=nonblock conv=notrunc status=none 2>/dev/null; do sleep 0.05; done
    rm -f "$fifo"
    epoch=$((epoch + 1))
  done
}
for ch in "${piped[@]}"; do
  feed "$ch" &
  feeders+=($!)
done
echo "train_local: Pipe mode, channels ${piped[*]} (FIFOs in $tmp/data)" >&2
code=0
docker run --rm --name "$container" --user "$user" -v "$dir:/opt/ml" \
  -v "$tmp/config:/opt/ml/input/config:ro" -v "$tmp/data:/opt/ml/input/data" \
  "${net[@]}" "$image" train || code=$?
[ ! -f "$dir/output/data/report.html" ] || echo "train_local: training report: $dir/output/data/report.html" >&2
exit "$code"
