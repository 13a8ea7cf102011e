# shellcheck shell=bash
# Sourced by tests/images/run.sh: docker/build_and_push.sh with
# OPTML_REGISTRY against a real registry (Debian's docker-registry, started
# here on 127.0.0.1 with its own config and storage in $WORK, stopped by
# PID): push, drop the local tag, pull back by digest, run the pulled image.
# Needs PUSH_MODULE (a module whose image built).
if ! [ -x /usr/bin/docker-registry ]; then
  bad push_registry_available "/usr/bin/docker-registry missing: apt-get install docker-registry (docker/setup.sh does)"
  return 0
fi
check dockerd_allows_plain_http_to_127_0_0_1 sh -c \
  "docker info --format '{{json .RegistryConfig.InsecureRegistryCIDRs}}' | grep -q '127.0.0.0/8'"
rport=$(free_port)
mkdir -p "$WORK/registry/storage"
cat >"$WORK/registry/config.yml" <<CFG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry/storage
http:
  addr: 127.0.0.1:$rport
CFG
/usr/bin/docker-registry serve "$WORK/registry/config.yml" >"$WORK/registry/log" 2>&1 &
track_pid $!
up=0
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$rport/v2/" >/dev/null 2>&1 && { up=1; break; }; sleep 0.1; done
check push_registry_starts test "$up" -eq 1
tag=t$$
OPTML_REGISTRY=127.0.0.1:$rport timeout 300 bash docker/build_and_push.sh "$PUSH_MODULE" "$tag" \
  >"$WORK/push.out" 2>"$WORK/push.err"; code=$?
uri=$(tail -n 1 "$WORK/push.out")
check build_and_push_exits_0 test "$code" -eq 0
check build_and_push_prints_the_uri test "$uri" = "127.0.0.1:$rport/optml-$PUSH_MODULE:$tag"
check push_registry_lists_the_tag sh -c \
  "curl -fs http://127.0.0.1:$rport/v2/optml-$PUSH_MODULE/tags/list | grep -q '\"$tag\"'"
digest=$(docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$uri" 2>/dev/null |
         grep "^127.0.0.1:$rport/" | head -n 1)
check push_gives_a_digest grep -q '@sha256:[0-9a-f]\{64\}$' <<<"$digest"
docker rmi "$uri" >/dev/null 2>&1
check push_local_tag_removed sh -c "! docker image inspect '$uri' >/dev/null 2>&1"
docker rmi "$digest" >/dev/null 2>&1   # so the pull below fetches the manifest again
check pull_by_digest sh -c "docker pull '$digest' >'$WORK/pull.log' 2>&1"
check pulled_image_runs sh -c "docker run --rm '$digest' version | grep -q '^  $PUSH_MODULE '"
docker rmi "$digest" >/dev/null 2>&1
OPTML_REGISTRY=127.0.0.1:$rport bash docker/build_and_push.sh no-such-module >/dev/null 2>"$WORK/push-bad.err"; code=$?
check build_and_push_unknown_module_is_a_clear_error sh -c "[ $code -eq 2 ] && grep -q \"no module 'no-such-module'\" '$WORK/push-bad.err'"
