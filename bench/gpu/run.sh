#!/usr/bin/env bash
# The GPU comparison of issue 19, run on a GPU machine from the repository root after bench/gpu/pack.sh: Shortlist
# (onnxruntime-node) on WebGPU (through Vulkan) with the fused fp16 copy (tools/fuse_model.py's
# model_fused_gpu.onnx), the fused fp32 copy and the model as it is, against sentence-transformers-style PyTorch
# fp16 and fp32 on the same GPU, same weights, same texts and 512/64 windows; batch shapes swept; parity of each GPU
# variant against Shortlist's CPU fp32 vectors. One JSON line per engine goes to $OUT/gpu-results.jsonl (or
# ./gpu-results.jsonl); `BENCH_GPU_STEPS` (words, see below) runs some steps only, `BENCH_GPU_SIZE=tiny` and
# `BENCH_GPU_DOCS=20` try the script out (Mesa's software Vulkan runs the WebGPU rows, slowly).
set -uo pipefail
out=${OUT:-.}
results=$out/gpu-results.jsonl
: >"$results"
started=$(date +%s)
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader
nproc
work=/tmp/gpu
mkdir -p $work && rm -f $work/v-*.jsonl && xz -dc .gpu/node.xz >$work/node && chmod +x $work/node && tar -C $work -xJf .gpu/app.tar.xz
node=$work/node
app=$work/app
corpus=$work/corpus.jsonl
head -"${BENCH_GPU_DOCS:-400}" .gpu/corpus.jsonl >"$corpus"
head -100 "$corpus" >$work/corpus-100.jsonl
steps=${BENCH_GPU_STEPS:-models torch webgpu parity sweep long cpu}
want() { [[ " $steps " == *" $1 "* ]]; }
elapsed() { echo "[$(($(date +%s) - started)) s]"; }
run() { # label, seconds, command...
  local label=$1 limit=$2; shift 2
  echo "== $label $(elapsed)"
  if timeout "$limit" "$@" >$work/line 2>$work/err; then
    tail -1 $work/line | sed "s/^{/{\"label\":\"$label\",/" | tee -a "$results"
  else
    echo "FAILED ($?): $label"; grep -v -E '^\s+at |VerifyEachNode' $work/err | head -12 | cut -c1-600
  fi
}

# Models: the full-size random jina-v2-shaped pair (its ONNX files are too big to carry), then the fused copies:
# `models` gets the CPU copy and the fp16 GPU copy (the product's files), `models-fp32` the same GPU copy in fp32.
models=$work/models
if want models && [ ! -s "$models/domain/model_fused_gpu.onnx" ]; then
  echo "== models $(elapsed)"
  python3 tools/make_test_models.py --size "${BENCH_GPU_SIZE:-full}" --out "$models" >$work/models.log 2>&1 || { tail -20 $work/models.log; exit 1; }
  echo "== fuse $(elapsed)"
  python3 tools/fuse_model.py "$models/semantic" "$models/domain" 2>&1 | grep -v -i warn
  mkdir -p $work/models-fp32 && for role in semantic domain; do
    mkdir -p $work/models-fp32/$role && cp "$models/$role"/{config.json,tokenizer.json,model.onnx} $work/models-fp32/$role/
  done
  python3 tools/fuse_model.py --attention-block 0 --gpu-precision fp32 $work/models-fp32/semantic $work/models-fp32/domain 2>&1 | grep model_fused_gpu
  rm -f $work/models-fp32/*/model_fused.* $work/models-fp32/*/model_quantized*
fi

windows=(--pass-tokens 512 --overlap 64)
shortlist=("$node" "$app/embed-runner.js" --in "$corpus")

if want torch; then
  # A warm-up pass so that one-time kernel selection is not timed; then the measured passes.
  run "PyTorch cuda fp16 (warm-up)" 120 python3 tools/bench_reference.py --engine torch --device cuda --dtype fp16 --models "$models" --in $work/corpus-100.jsonl
  run "PyTorch cuda fp16, batch 32" 120 python3 tools/bench_reference.py --engine torch --device cuda --dtype fp16 --models "$models" --in "$corpus"
  run "PyTorch cuda fp16, batch 16" 120 python3 tools/bench_reference.py --engine torch --device cuda --dtype fp16 --batch-size 16 --models "$models" --in "$corpus"
  run "PyTorch cuda fp32, batch 32" 120 python3 tools/bench_reference.py --engine torch --device cuda --dtype fp32 --models "$models" --in "$corpus"
fi

if want webgpu; then
  # Each configuration twice, interleaved; the first run of a process compiles its shaders.
  for round in 1 2; do
    run "Shortlist webgpu fp16 fused, round $round" 120 "${shortlist[@]}" --models "$models" "${windows[@]}" --provider webgpu --vectors $work/v-fp16.jsonl
    run "Shortlist webgpu fp32 fused, round $round" 120 "${shortlist[@]}" --models $work/models-fp32 "${windows[@]}" --provider webgpu --vectors $work/v-fp32-fused.jsonl
    run "Shortlist webgpu fp32 unfused, round $round" 120 "${shortlist[@]}" --models "$models" "${windows[@]}" --provider webgpu --unfused --vectors $work/v-unfused.jsonl
  done
fi

if want parity; then
  run "Shortlist cpu fp32 unfused, 100 docs (parity reference)" 150 $node $app/embed-runner.js --in $work/corpus-100.jsonl --models "$models" "${windows[@]}" --provider cpu --unfused --vectors $work/v-cpu.jsonl
  for v in fp16 fp32-fused unfused; do
    [ -s $work/v-$v.jsonl ] && $node $app/parity.js "webgpu $v vs cpu fp32" $work/v-$v.jsonl $work/v-cpu.jsonl | tee -a "$results"
  done
fi

if want sweep; then
  for tokens in 4096 16384 32768 65536; do
    run "Shortlist webgpu fp16 fused, $tokens-token batches" 120 "${shortlist[@]}" --models "$models" "${windows[@]}" --provider webgpu --batch-tokens $tokens
  done
  # The product's default on a GPU: each document in one pass up to 8,192 tokens.
  run "Shortlist webgpu fp16 fused, one pass (default)" 120 "${shortlist[@]}" --models "$models" --provider webgpu
  run "Shortlist webgpu fp32 unfused, one pass (default)" 120 "${shortlist[@]}" --models "$models" --provider webgpu --unfused
fi

if want long; then
  for length in 2048 8192; do
    run "Shortlist webgpu fp16 fused, one $length-token pass" 120 $node $app/embed-runner.js --models "$models" --provider webgpu --length $length --reps 3 --pass-tokens $length
    run "Shortlist webgpu fp32 unfused, one $length-token pass" 120 $node $app/embed-runner.js --models "$models" --provider webgpu --unfused --length $length --reps 3 --pass-tokens $length
  done
fi

if want cpu; then
  run "Shortlist cpu fp32 fused, 100 docs" 150 $node $app/embed-runner.js --in $work/corpus-100.jsonl --models "$models" "${windows[@]}" --provider cpu
  run "Python onnxruntime cpu fp32, 100 docs" 150 python3 tools/bench_reference.py --engine onnx --models "$models" --in $work/corpus-100.jsonl
fi
echo "== done $(elapsed)"
