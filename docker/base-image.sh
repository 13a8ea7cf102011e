#!/usr/bin/env bash
# Builds debian:bookworm-slim locally when it cannot be pulled: debootstrap
# --variant=minbase from the mirror already configured in this machine's apt
# sources (no host name is written here), trimmed the way the official slim
# image is (no apt lists or caches, documentation, man pages or locales),
# then `docker import`.  Does nothing when the image already exists.
# Usage: docker/base-image.sh [TAG]   (default debian:bookworm-slim; as root)
set -euo pipefail
case ${1:-} in
  -h|--help) echo "usage: docker/base-image.sh [TAG]   (default debian:bookworm-slim: pulled, or built with debootstrap when it cannot be; as root)"; exit 0 ;;
esac
tag=${1:-debian:bookworm-slim}
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base-image: $tag already present"
  exit 0
fi
if docker pull "$tag" >/dev/null 2>&1; then
  echo "base-image: pulled $tag"
  exit 0
fi

# The first Debian mirror URL of the apt sources (deb822 or one-line form).
mirror=$(
  { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' || true
    grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' || true
  } | grep -v -e security -e '^$' | head -n 1 || true)
[ -n "$mirror" ] || { echo "base-image: no Debian mirror in the apt sources" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "base-image: apt-get install debootstrap" >&2; exit 1; }

root=$(mktemp -d /tmp/optml-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap --variant=minbase bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >/tmp/optml-debootstrap.log 2>&1 ||
  { tail -n 20 /tmp/optml-debootstrap.log >&2; exit 1; }

# Trim as the official slim image does.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
       "$root"/var/log/* "$root"/tmp/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
       "$root"/usr/share/info/* "$root"/usr/share/groff/* "$root"/usr/share/lintian/*
find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
# Keep dpkg from installing what was just removed (the slim image's rules).
cat > "$root"/etc/dpkg/dpkg.cfg.d/docker-slim <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > "$root"/etc/apt/apt.conf.d/99-slim
tar -C "$root" -c . | docker import - "$tag" >/dev/null
echo "base-image: imported $tag ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.1f MB", $1/1e6}'))"
