#!/usr/bin/env bash
# Build a local stand-in for the official Node base image from Debian packages, for machines
# that reach a Debian mirror but no container registry. Usage:
#   scripts/offline-base-image.sh [TAG]        (default tag: p2plab/node-base:bookworm)
# then: docker build --build-arg BASE_IMAGE=p2plab/node-base:bookworm -t p2plab/peer .
set -euo pipefail

tag="${1:-p2plab/node-base:bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite="${DEBIAN_SUITE:-bookworm}"

log() { printf 'offline-base-image: %s\n' "$*" >&2; }

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag already present"
  exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    log "debootstrap is missing; install it (apt-get install debootstrap) or run as root"
    exit 3
  fi
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

rootfs="$(mktemp -d /tmp/p2plab-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT

log "debootstrap $suite from $mirror (a few minutes)"
debootstrap --variant=minbase --include=nodejs,ca-certificates "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 30 "$rootfs.log" >&2
  exit 1
}
rm -f "$rootfs.log"
# Same trimming as the official slim images: no apt caches or lists in the layer.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

log "importing as $tag"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
log "built $tag ($(docker run --rm "$tag" node --version))"
