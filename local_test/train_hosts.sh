#!/usr/bin/env bash
# The multi-host part of train_local.sh (`train_local.sh --hosts N
# [--sharded] IMAGE`, which calls this with what it parsed):
#   train_hosts.sh N SHARDED(0|1) IMAGE TEST_DIR [docker run -e options...]
# Starts N containers of IMAGE, hostnames algo-1 .. algo-N, on a Docker
# network of its own (created here, removed at the end with the containers
# and the temp dir), each with its own /opt/ml tree: input/config is
# TEST_DIR's plus a resourceconfig.json naming the host, input/data holds
# every channel (hard links or copies of TEST_DIR's files), except that with
# SHARDED=1 the train channel's files, sorted by path, are dealt out file k
# to algo-(k mod N + 1) and inputdataconfig.json says ShardedByS3Key for it.
# algo-1's model/ and output/ are TEST_DIR's.  Each host's name resolves
# through --add-host on a fixed address of the network (no dependence on
# Docker's embedded DNS, which a dockerd without iptables lacks).  Waits for
# every container, prints every host's exit code and algo-1's model path,
# and exits with the first non-zero code in host order (0: all succeeded).
set -euo pipefail
# shellcheck source=local_test/common.sh
. "$(dirname "$0")/common.sh"
[ $# -ge 4 ] || { echo "usage: train_hosts.sh N SHARDED IMAGE TEST_DIR [-e NAME=value]..." >&2; exit 2; }
hosts=$1 sharded=$2 image=$3 dir=$4
shift 4
env_args=("$@")
command -v python3 >/dev/null || { echo "train_local.sh --hosts: needs python3 (to write the configuration files)" >&2; exit 2; }
[ -d "$dir/input/data" ] || { echo "train_local.sh --hosts: no channels: $dir/input/data does not exist" >&2; exit 2; }

tmp=$(mktemp -d /tmp/optml-hosts.XXXXXX)
chmod 0755 "$tmp"
tag=optml-hosts-$$
network=
names=()
loggers=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local n p
  for n in "${names[@]}"; do docker rm -f "$n" >/dev/null 2>&1 || true; done
  for p in "${loggers[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -z "$network" ] || docker network rm "$network" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A network of its own with a subnet this script picks (so that each host's
# address is known before it starts); a subnet another network has is
# refused by Docker: the next one is tried (bounded).
subnet=
for try in $(seq 0 19); do
  b=$(( ($$ + try * 37) % 200 + 20 ))
  if docker network create --driver bridge --subnet "10.213.$b.0/24" "$tag" >/dev/null 2>"$tmp/net.err"; then
    network=$tag subnet=10.213.$b
    break
  fi
done
[ -n "$network" ] || { echo "train_local.sh --hosts: cannot create a Docker network: $(cat "$tmp/net.err")" >&2; exit 1; }

# Every host's tree.
user=$(docker_user)
list=$(for i in $(seq 1 "$hosts"); do printf '"algo-%d",' "$i"; done)
list=[${list%,}]
add_hosts=()
for i in $(seq 1 "$hosts"); do add_hosts+=(--add-host "algo-$i:$subnet.$((i + 9))"); done
train_files=()
if [ -d "$dir/input/data/train" ]; then
  while IFS= read -r -d '' f; do train_files+=("${f#./}"); done < <(
    cd "$dir/input/data/train" && find . -type f ! -path '*/.*' -print0 | LC_ALL=C sort -z)
fi
# link_or_copy SRC DST: a hard link when the two are on one file system.
link_or_copy() { mkdir -p "$(dirname "$2")"; ln "$1" "$2" 2>/dev/null || cp -p "$1" "$2"; }
for i in $(seq 1 "$hosts"); do
  t=$tmp/algo-$i
  mkdir -p "$t/input/config" "$t/input/data" "$t/model" "$t/output"
  [ ! -d "$dir/input/config" ] || cp -r "$dir/input/config/." "$t/input/config/"
  printf '{"current_host": "algo-%d", "hosts": %s, "network_interface_name": "eth0"}\n' "$i" "$list" \
    >"$t/input/config/resourceconfig.json"
  for c in "$dir"/input/data/*/; do
    [ -d "$c" ] || continue
    ch=$(basename "$c")
    mkdir -p "$t/input/data/$ch"
    if [ "$sharded" -eq 1 ] && [ "$ch" = train ]; then
      k=0
      for f in "${train_files[@]}"; do
        [ $((k % hosts + 1)) -ne "$i" ] || link_or_copy "$dir/input/data/train/$f" "$t/input/data/train/$f"
        k=$((k + 1))
      done
    else
      (cd "$c" && find . -type f ! -path '*/.*' -print0) | while IFS= read -r -d '' f; do
        link_or_copy "$c/${f#./}" "$t/input/data/$ch/${f#./}"
      done
    fi
  done
  # The channels of inputdataconfig.json (or every channel directory), the
  # train channel ShardedByS3Key with --sharded.
  python3 - "$t/input/config/inputdataconfig.json" "$sharded" "$t/input/data" <<'PY'
import json, os, sys
path, sharded, data = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
cfg = {}
if os.path.exists(path):
    with open(path) as f:
        cfg = json.load(f)
else:
    for ch in sorted(os.listdir(data)):
        if os.path.isdir(os.path.join(data, ch)):
            cfg[ch] = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"}
if sharded and "train" in cfg:
    cfg["train"]["S3DistributionType"] = "ShardedByS3Key"
with open(path, "w") as f:
    json.dump(cfg, f, indent=1)
PY
  chown -R "$user" "$t" 2>/dev/null || true
done
if [ "$sharded" -eq 1 ]; then
  echo "train_local: ${#train_files[@]} train file(s) sharded over $hosts hosts (ShardedByS3Key)" >&2
  [ "${#train_files[@]}" -ge "$hosts" ] ||
    echo "train_local: WARNING: fewer train files than hosts: some hosts have no train data" >&2
fi

# algo-1's model/ and output/ are the test_dir's: created here, as the
# user the containers run as (a mount point Docker creates is root's).
mkdir -p "$dir/model" "$dir/output"
chown "$user" "$dir/model" "$dir/output" 2>/dev/null || true

# Start every host (algo-1's model/ and output/ are the test_dir's), then
# follow their logs, each line prefixed by the host's name.
for i in $(seq 1 "$hosts"); do
  t=$tmp/algo-$i
  name=$tag-algo-$i
  mounts=(-v "$t:/opt/ml")
  [ "$i" -ne 1 ] || mounts+=(-v "$dir/model:/opt/ml/model" -v "$dir/output:/opt/ml/output")
  docker run -d --name "$name" --hostname "algo-$i" --network "$network" --ip "$subnet.$((i + 9))" \
    "${add_hosts[@]}" --user "$user" "${mounts[@]}" "${env_args[@]}" "$image" train >/dev/null
  names+=("$name")
done
echo "train_local: $hosts hosts on network $network: ${names[*]}" >&2
for i in $(seq 1 "$hosts"); do
  (docker logs -f "$tag-algo-$i" 2>&1 | sed -u "s/^/algo-$i | /" >&2) &
  loggers+=($!)
done

code=0
codes=()
for i in $(seq 1 "$hosts"); do
  c=$(docker wait "$tag-algo-$i" 2>/dev/null || echo 125)
  codes+=("algo-$i=$c")
  [ "$code" -ne 0 ] || code=$c
done
for p in "${loggers[@]}"; do wait "$p" 2>/dev/null || true; done
loggers=()
echo "train_local: exit codes: ${codes[*]}" >&2
if [ -f "$dir/model/model.json" ] || [ -n "$(ls -A "$dir/model" 2>/dev/null)" ]; then
  echo "train_local: model of algo-1: $dir/model" >&2
fi
[ ! -f "$dir/output/data/report.html" ] || echo "train_local: training report: $dir/output/data/report.html" >&2
exit "$code"
