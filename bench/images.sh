#!/usr/bin/env bash
# Images benchmark: for every optml/<module> image (each containers/<module>/,
# built by `make image` from docker/Dockerfile) the `docker image ls` size,
# what each layer costs (`docker history`), the build time cold (--no-cache,
# apt downloads included) and cached, and the cold start of `docker run
# IMAGE serve` to its first healthy /ping (median of STARTS runs, each
# bounded to 30 s by bench/tools/startprobe.c).
# Writes bench/results/images.txt (OUT).  Run by bench/run.sh; alone:
#   bash bench/images.sh            (as root: docker/setup.sh starts dockerd)
# Settings: STARTS (default 7), COLD_BUILD=0 skips the --no-cache build,
# MODULES (default: every containers/<module>).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-bench/results/images.txt}
STARTS=${STARTS:-7}
if ! [[ $STARTS =~ ^[0-9]+$ ]] || [ "$STARTS" -lt 1 ] || [ "$STARTS" -gt 50 ]; then echo "images.sh: STARTS must be 1..50" >&2; exit 2; fi
die() { echo "images.sh: $*" >&2; exit 1; }
docker info >/dev/null 2>&1 || bash docker/setup.sh >&2 || die "Docker does not answer"
W=$(mktemp -d /tmp/optml-bench-images.XXXXXX)
names=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local n
  for n in "${names[@]}"; do docker rm -f "$n" >/dev/null 2>&1 || true; done
  rm -rf "$W"
}
trap cleanup EXIT
cc -std=gnu11 -O2 -o "$W/startprobe" bench/tools/startprobe.c || die "cannot build bench/tools/startprobe.c"
read -r -a modules <<<"${MODULES:-$(cd containers && for d in */; do printf '%s ' "${d%/}"; done)}"
version=$(sed -n 's/^VERSION *:= *//p' Makefile)

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

bash docker/base-image.sh >&2
{
  echo "# bench/images.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(docker version -f '{{.Server.Version}}' 2>/dev/null | sed 's/^/Docker /')"
  echo "# base image: debian:bookworm-slim $(docker image inspect -f '{{.Size}}' debian:bookworm-slim | awk '{ printf "%.1f MB", $1 / 1e6 }')"
  echo
} >"$W/out"

for m in "${modules[@]}"; do
  [ -d "containers/$m" ] || die "no containers/$m/"
  img=optml/$m
  echo "== $m" >&2
  # Build times under a bench tag, so optml/<module> is not replaced.
  cold=skipped
  if [ "${COLD_BUILD:-1}" = 1 ]; then
    t=$(date +%s%N)
    make --no-print-directory image MODULE="$m" IMAGE_TAGS="optml-bench/$m:cold" DOCKER_BUILD_FLAGS="--no-cache -q" >"$W/cold.log" 2>&1 ||
      { tail -n 20 "$W/cold.log" >&2; die "cold build of $m failed"; }
    cold="$(ms "$t") ms"
  fi
  make --no-print-directory image MODULE="$m" >"$W/build.log" 2>&1 || { tail -n 20 "$W/build.log" >&2; die "make image MODULE=$m failed"; }
  t=$(date +%s%N)
  make --no-print-directory image MODULE="$m" IMAGE_TAGS="optml-bench/$m:cached" DOCKER_BUILD_FLAGS=-q >"$W/cached.log" 2>&1 ||
    die "cached build of $m failed"
  cached="$(ms "$t") ms"
  docker rmi "optml-bench/$m:cold" "optml-bench/$m:cached" >/dev/null 2>&1 || true

  # A model to serve: the module's local_test sample, trained once.
  td=$W/test_dir-$m
  cp -r "local_test/$m/test_dir" "$td" 2>/dev/null || die "no local_test/$m/test_dir to train a model for the cold start"
  OPTML_TEST_DIR=$td OPTML_DOCKER_NETWORK=host timeout 300 bash local_test/train_local.sh "$img" >"$W/train.log" 2>&1 ||
    { tail -n 20 "$W/train.log" >&2; die "training $m for the cold start failed"; }
  : >"$W/starts"
  for i in $(seq "$STARTS"); do
    port=$("$W/startprobe" port)
    name=optml-bench-images-$$-$i
    names+=("$name")
    if s=$("$W/startprobe" time "$port" "$W/start.log" -- docker run --rm --name "$name" --network host \
             -e SAGEMAKER_BIND_TO_PORT="$port" -e OPTML_ACCESS_LOG=0 -v "$td:/opt/ml" "$img" serve); then
      sed -n 's/.*ping200_ms=\([0-9.]*\).*/\1/p' <<<"$s" >>"$W/starts"
    else
      echo "images.sh: start $i of $m did not answer /ping" >&2
    fi
    docker rm -f "$name" >/dev/null 2>&1 || true
  done
  n_ok=$(wc -l <"$W/starts")
  {
    echo "## optml/$m:$version"
    echo
    echo "docker image ls:"
    docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' "$img"
    echo "  exact: $(docker image inspect -f '{{.Size}}' "$img") bytes"
    echo
    echo "layers (docker history, newest first; 0B rows are metadata):"
    docker history --no-trunc --format '{{.Size}}\t{{.CreatedBy}}' "$img" |
      awk -F'\t' '{ c = $2; if (c == "") c = "(the base image, debian:bookworm-slim)"; gsub(/[ \t]+/, " ", c); if (length(c) > 110) c = substr(c, 1, 107) "..."; printf "  %9s  %s\n", $1, c }'
    echo
    echo "build: cold (--no-cache, apt downloads from the local mirror) $cold; cached (no change) $cached"
    echo "cold start, docker run ... serve to first 200 /ping: median $(median <"$W/starts") ms of $n_ok runs" \
         "(min $(sort -n "$W/starts" | head -n 1) ms, max $(sort -n "$W/starts" | tail -n 1) ms)"
    echo
  } >>"$W/out"
done
mkdir -p "$(dirname "$OUT")"
cp "$W/out" "$OUT"
cat "$OUT"
