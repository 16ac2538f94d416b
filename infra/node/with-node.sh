#!/usr/bin/env bash
# Runs a command with another Node.js release first on PATH, taken from the npm registry: the node-linux-<arch>
# package holds the official `node` binary, so no host but the registry is needed (CI runs the test suite on the
# maintained LTS this way, beside the machine's own Node.js). The binary is kept under .shortlist/node/<version>.
#   infra/node/with-node.sh [VERSION] COMMAND [ARG...]    # VERSION defaults to the one in .node-version
#   npm run test:lts                                       # = infra/node/with-node.sh npm test
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ ${1:-} =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  version=$1
  shift
else
  version=$(tr -d '[:space:]' <"$ROOT/.node-version")
fi
[ $# -gt 0 ] || { echo "usage: with-node.sh [VERSION] COMMAND [ARG...]" >&2; exit 64; }

case "$(uname -m)" in
x86_64) arch=x64 ;;
aarch64 | arm64) arch=arm64 ;;
*) echo "with-node: no Node.js package for $(uname -m)" >&2; exit 69 ;;
esac
[ "$(uname -s)" = Linux ] || { echo "with-node: Linux only (node-linux-$arch)" >&2; exit 69; }

dir=$ROOT/.shortlist/node/$version
if [ ! -x "$dir/bin/node" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "with-node: fetching node-linux-$arch@$version from the npm registry" >&2
  # npm pack checks the tarball against the registry's integrity hash.
  (cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  tar -xzf "$work"/node-linux-*.tgz -C "$work"
  mkdir -p "$dir"
  rm -rf "$dir/bin"
  mv "$work/package/bin" "$dir/bin"
fi
echo "with-node: $("$dir/bin/node" --version) from $dir" >&2
PATH="$dir/bin:$PATH" exec "$@"
