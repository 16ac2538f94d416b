#!/usr/bin/env bash
# Builds the Dockerfile's base image, node:24-bookworm-slim, without Docker Hub: a Debian bookworm root file
# system from Debian's own mirror (debootstrap) plus Node.js 24 (the release in .node-version, from the npm
# registry's node-linux-<arch> package) and this machine's npm, laid out as the official image is
# (/usr/local/bin/node, npm under /usr/local/lib/node_modules, user `node` uid/gid 1000). For build hosts that
# reach Debian's mirror and the npm registry but not Docker Hub (air-gapped CI; this project's own sandbox).
# Where Docker Hub is reachable, do not run this: `docker build` pulls the real image. A host whose egress goes
# through a TLS-inspecting proxy passes its CA bundle (CA_FILE, default $NODE_EXTRA_CA_CERTS): it is trusted by
# Node.js in the image (NODE_EXTRA_CA_CERTS), as on the host.
#   infra/docker/base-image-offline.sh            # tags node:24-bookworm-slim
set -euo pipefail

TAG=${BASE_TAG:-node:24-bookworm-slim}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

node_bin=$("$ROOT/infra/node/with-node.sh" sh -c 'command -v node')
command -v npm >/dev/null || { echo "base-image-offline: npm is needed on this machine" >&2; exit 69; }
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
command -v debootstrap >/dev/null || apt-get install -y debootstrap >/dev/null

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$MIRROR" >/dev/null
install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
ca_change=()
ca_file=${CA_FILE:-${NODE_EXTRA_CA_CERTS:-}}
if [ -n "$ca_file" ]; then
  install -D -m 0644 "$ca_file" "$root/usr/local/share/ca-certificates/build-host.crt"
  ca_change=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/build-host.crt')
fi
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$("$node_bin" -p process.versions.node)" \
  "${ca_change[@]}" --change 'CMD ["node"]' - "$TAG" >/dev/null
echo "base-image-offline: $TAG from Debian bookworm and Node.js $("$node_bin" -v)"
