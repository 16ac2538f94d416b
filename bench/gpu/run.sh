#!/usr/bin/env bash
# The GPU comparison of issue 3, run on a GPU machine from the repository root after bench/gpu/pack.sh:
# Shortlist (onnxruntime-node) on WebGPU (through Vulkan) and on the CPU, against sentence-transformers-style
# PyTorch fp16 and fp32 on the same GPU, same weights, same texts and chunks. One JSON line per engine goes to
# $OUT/gpu-results.jsonl (or ./gpu-results.jsonl).
set -uo pipefail
out=${OUT:-.}
results=$out/gpu-results.jsonl
: >"$results"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
mkdir -p /tmp/gpu && xz -dc .gpu/node.xz >/tmp/gpu/node && chmod +x /tmp/gpu/node && tar -C /tmp/gpu -xJf .gpu/app.tar.xz
models=/tmp/gpu/models
python3 tools/make_test_models.py --size full --out "$models" >/dev/null || exit 1
corpus=.gpu/corpus.jsonl
head -100 "$corpus" >/tmp/gpu/corpus-100.jsonl # the CPU runs take a quarter: they are the slow ones
ls /usr/local/nvidia/share/vulkan/icd.d/ 2>&1
run() { # label, command...
  local label=$1; shift
  echo "== $label"
  if timeout 150 "$@" >/tmp/gpu/line 2>/tmp/gpu/err; then cat /tmp/gpu/line | tee -a "$results"
  else echo "FAILED: $label"; tail -20 /tmp/gpu/err; fi
}
# The references embed 512-token windows overlapping by 64 (bench_reference.py's defaults): so does Shortlist here.
windows=(--pass-tokens 512 --overlap 64)
runner=(/tmp/gpu/node /tmp/gpu/app/embed-runner.js --models "$models" --in "$corpus" "${windows[@]}")
# Warm-up pass for each GPU engine so one-time kernel compilation is not timed; then the measured pass.
run "PyTorch cuda fp16 (warm-up)" python3 tools/bench_reference.py --engine torch --device cuda --dtype fp16 --models "$models" --in "$corpus"
run "PyTorch cuda fp16" python3 tools/bench_reference.py --engine torch --device cuda --dtype fp16 --models "$models" --in "$corpus"
run "PyTorch cuda fp32" python3 tools/bench_reference.py --engine torch --device cuda --dtype fp32 --models "$models" --in "$corpus"
run "Shortlist webgpu fp32" "${runner[@]}" --provider webgpu
run "Shortlist webgpu fp32, 32k-token batches" "${runner[@]}" --provider webgpu --batch-tokens 32768
run "Shortlist cpu fp32, 100 docs" /tmp/gpu/node /tmp/gpu/app/embed-runner.js --models "$models" --in /tmp/gpu/corpus-100.jsonl "${windows[@]}" --provider cpu
run "Python onnxruntime cpu fp32, 100 docs" python3 tools/bench_reference.py --engine onnx --models "$models" --in /tmp/gpu/corpus-100.jsonl
run "PyTorch cuda fp16, 100 docs" python3 tools/bench_reference.py --engine torch --device cuda --dtype fp16 --models "$models" --in /tmp/gpu/corpus-100.jsonl
