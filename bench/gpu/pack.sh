#!/usr/bin/env bash
# Packs what the GPU benchmark needs on a bare GPU machine that has Python + PyTorch but no Node.js into .gpu/
# (git-ignored): the node binary, the embedding runner bundled with esbuild (onnxruntime-node stays external:
# native), onnxruntime-node's Linux x64 binaries, and the benchmark corpus. The full-size random model is made on
# the GPU machine itself by tools/make_test_models.py (its ONNX file is too big to carry). Then run bench/gpu/run.sh
# there with .gpu and .gl (Vulkan loader debs, see bench/README.md) beside it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/.gpu
docs=${BENCH_DOCS:-400}
rm -rf "$out" && mkdir -p "$out/app/node_modules"
xz -T0 -c "$(readlink -f "$(command -v node)")" >"$out/node.xz"
npx esbuild "$root/bench/embed-runner.ts" "$root/libs/embedding/src/inference-thread.ts" \
  "$root/libs/embedding/src/tokenizer-thread.ts" "$root/bench/gpu/parity.ts" \
  --bundle --platform=node --target=node20 --format=cjs --outdir="$out/app" --entry-names=[name] \
  --external:onnxruntime-node --log-level=warning \
  --alias:@shortlist/embedding="$root/libs/embedding/src/index.ts"
ort=$root/node_modules/onnxruntime-node
mkdir -p "$out/app/node_modules/onnxruntime-node/bin/napi-v6/linux"
cp -r "$ort/package.json" "$ort/dist" "$out/app/node_modules/onnxruntime-node/"
cp -r "$ort/bin/napi-v6/linux/x64" "$out/app/node_modules/onnxruntime-node/bin/napi-v6/linux/"
cp -r "$root/node_modules/onnxruntime-common" "$out/app/node_modules/"
(cd "$root" && node --import tsx -e "
  const { benchmarkCorpus } = require('./bench/corpus.ts');
  require('node:fs').writeFileSync('$out/corpus.jsonl', benchmarkCorpus($docs).map((d) => JSON.stringify(d)).join('\n') + '\n');
")
# Compressed: the ONNX Runtime library alone is 45 MB, the carry limit 64 MiB.
tar -C "$out" -cJf "$out/app.tar.xz" app && rm -rf "$out/app"
du -sh "$out"
