#!/usr/bin/env bash
# Renders a kustomization of infra/k8s (default: overlays/production) to stdout with `kubectl kustomize`,
# installing Debian's kubectl if there is none. Used by the manifest test; handy before `kubectl apply -k`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=${1:-$here/overlays/production}
if ! command -v kubectl >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "render.sh: installing kubectl (Debian package kubernetes-client)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubernetes-client >&2
  else
    echo "render.sh: kubectl is needed to render the manifests (install kubectl or Debian's kubernetes-client)" >&2
    exit 69
  fi
fi
# Deprecation notes of newer kustomize versions go to stderr; the manifests to stdout.
kubectl kustomize "$target"
