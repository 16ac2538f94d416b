/**
 * Pooling arithmetic, shared by the inference thread and the engine. Pure functions over flat Float32Arrays.
 */

/** Mean of the hidden states of each row's real tokens: hidden is [rows, length, dims], lengths per row. */
export function meanPool(
  hidden: Float32Array,
  rows: number,
  length: number,
  dims: number,
  lengths: number[],
): Float32Array {
  const out = new Float32Array(rows * dims);
  for (let r = 0; r < rows; r++) {
    const n = lengths[r]!;
    const target = out.subarray(r * dims, (r + 1) * dims);
    for (let t = 0; t < n; t++) {
      const offset = (r * length + t) * dims;
      for (let d = 0; d < dims; d++) target[d]! += hidden[offset + d]!;
    }
    for (let d = 0; d < dims; d++) target[d]! /= n;
  }
  return out;
}

/**
 * The document vector from its passes' pooled vectors: their mean weighted by each pass's content tokens
 * (so every token weighs the same however the document was split into windows), L2-normalised.
 */
export function combinePasses(passVectors: Float32Array[], weights: number[]): Float32Array {
  const dims = passVectors[0]!.length;
  const sum = new Float64Array(dims);
  let total = 0;
  passVectors.forEach((v, i) => {
    const w = weights[i]!;
    total += w;
    for (let d = 0; d < dims; d++) sum[d]! += v[d]! * w;
  });
  const mean = sum.map((x) => x / total);
  return l2Normalise(mean);
}

export function l2Normalise(v: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(v, (x) => x / norm);
}
