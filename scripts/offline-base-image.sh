#!/usr/bin/env bash
# Build a local stand-in for the official Node base image (node:22-bookworm-slim) for machines
# that reach a Debian mirror and the npm registry but no container registry: Debian bookworm from
# debootstrap, and the same Node 22 release line as the official image, from the npm registry's
# node-linux-<arch> package (the official build, as a registry package). Usage:
#   scripts/offline-base-image.sh [TAG]        (default tag: p2plab/node-base:22-bookworm)
# `lab up` picks that tag up by itself, and runs this script itself when it can (as root).
set -euo pipefail

tag="${1:-p2plab/node-base:22-bookworm}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite="${DEBIAN_SUITE:-bookworm}"
node_major="${NODE_MAJOR:-22}"

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
  # A fresh machine may have no package lists yet.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
fi

case "$(uname -m)" in
  x86_64) node_arch=x64 ;;
  aarch64) node_arch=arm64 ;;
  *) log "no Node package for $(uname -m) on the npm registry"; exit 3 ;;
esac
if ! command -v npm >/dev/null 2>&1; then
  log "npm is missing: it fetches Node for the image (install Node.js 20 or later)"
  exit 3
fi

rootfs="$(mktemp -d /tmp/p2plab-rootfs.XXXXXX)"
node_pack="$(mktemp -d /tmp/p2plab-node.XXXXXX)"
trap 'rm -rf "$rootfs" "$node_pack" "$rootfs.log"' EXIT

log "fetching Node $node_major (node-linux-$node_arch) from the npm registry"
(cd "$node_pack" && npm pack --silent "node-linux-$node_arch@$node_major" >/dev/null)

log "debootstrap $suite from $mirror (a few minutes)"
# libstdc++6: the official Node build links it; Debian's minbase does not carry it.
debootstrap --variant=minbase --include=ca-certificates,libstdc++6 "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 30 "$rootfs.log" >&2
  exit 1
}
tar -xzf "$node_pack"/node-linux-*.tgz -C "$node_pack" package/bin/node
install -m 0755 "$node_pack/package/bin/node" "$rootfs/usr/local/bin/node"
# Same trimming as the official slim images: no apt caches or lists in the layer.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

log "importing as $tag"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
log "built $tag ($(docker run --rm "$tag" node --version))"
