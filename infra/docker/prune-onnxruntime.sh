#!/bin/sh
# onnxruntime-node ships its native binaries for every platform (~290 MB); an image needs only its own:
# keep bin/napi-v*/linux/<this arch>, drop darwin, win32 and the other Linux architecture (~220 MB).
set -eu
arch=$(node -p process.arch)
for napi in node_modules/onnxruntime-node/bin/napi-v*; do
  for dir in "$napi"/*/*; do
    [ "$dir" = "$napi/linux/$arch" ] || rm -rf "$dir"
  done
  [ -d "$napi/linux/$arch" ] || { echo "prune-onnxruntime: no binaries for linux/$arch in $napi" >&2; exit 1; }
done
