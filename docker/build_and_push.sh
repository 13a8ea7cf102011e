#!/usr/bin/env bash
# Build optml/<module> (make image MODULE=<module>) and push it to Amazon
# ECR as SageMaker's example build_and_push.sh does: the account from
# `aws sts get-caller-identity`, the region from `aws configure get region`
# (default us-west-2), the repository optml-<module> created when missing,
# `aws ecr get-login-password | docker login`, tag, push.  Prints the image
# URI to use in a training job or model, as the last line of stdout.  The
# AWS account is looked up before the build, so missing credentials fail at
# once (exit 255, as the example script) with what to set.
#   Usage: docker/build_and_push.sh MODULE [TAG]     (TAG default: latest)
# OPTML_REGISTRY=host:port skips every AWS step and pushes to
# $OPTML_REGISTRY/optml-<module>:<tag> (a private or local registry).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { echo "build_and_push: $*" >&2; }
die() { say "$1"; exit "${2:-2}"; }
modules=$(cd "$root/containers" && for d in */; do printf '%s ' "${d%/}"; done)
case ${1:-} in
  -h|--help) echo "usage: docker/build_and_push.sh MODULE [TAG]   (modules: ${modules% }; TAG default latest;" \
                  "OPTML_REGISTRY=host:port pushes to that registry instead of Amazon ECR)"; exit 0 ;;
esac
if [ $# -lt 1 ] || [ $# -gt 2 ] || [ -z "$1" ]; then
  die "usage: docker/build_and_push.sh MODULE [TAG]   (modules: ${modules% })"
fi
module=$1 tag=${2:-latest}
[ -d "$root/containers/$module" ] || die "no module '$module' (containers/$module/); modules: ${modules% }"
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "'$tag' is not a valid image tag"
repo=optml-$module

if [ -n "${OPTML_REGISTRY:-}" ]; then
  [[ $OPTML_REGISTRY =~ ^[A-Za-z0-9.-]+(:[0-9]+)?$ ]] || die "OPTML_REGISTRY='$OPTML_REGISTRY' must be host or host:port"
  registry=$OPTML_REGISTRY
else
  command -v aws >/dev/null || die "the AWS CLI is not installed (or set OPTML_REGISTRY=host:port for another registry)"
  # As the example script: no account, exit 255.
  account=$(aws sts get-caller-identity --query Account --output text) ||
    die "aws sts get-caller-identity failed (its error is above): no usable AWS credentials. Set
  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials),
  or AWS_PROFILE=<a profile in ~/.aws/credentials>, or run \`aws configure\`; the region comes from
  AWS_DEFAULT_REGION or \`aws configure get region\` (default us-west-2).  To push to another
  registry instead of Amazon ECR: OPTML_REGISTRY=host:port." 255
  region=${AWS_DEFAULT_REGION:-${AWS_REGION:-$(aws configure get region || true)}}
  region=${region:-us-west-2}
  registry=$account.dkr.ecr.$region.amazonaws.com
fi

make -C "$root" --no-print-directory image MODULE="$module" >&2

if [ -z "${OPTML_REGISTRY:-}" ]; then
  if ! aws ecr describe-repositories --region "$region" --repository-names "$repo" >/dev/null 2>&1; then
    say "creating the ECR repository $repo in $region"
    aws ecr create-repository --region "$region" --repository-name "$repo" >/dev/null
  fi
  aws ecr get-login-password --region "$region" |
    docker login --username AWS --password-stdin "$registry" >&2
fi

uri=$registry/$repo:$tag
docker tag "optml/$module:latest" "$uri"
say "pushing $uri"
docker push "$uri" >&2
echo "$uri"
