/** Deterministic vectors for tests: a seeded generator, so every run sees the same data. */
/** Uniform in [0, 1) from a seed (xorshift32): the same sequence on every run. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/** Uniform in [-1, 1) from a seed. */
export function seededRandom(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => uniform() * 2 - 1;
}

export function normalise(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

export function randomUnitVector(dims: number, random: () => number): number[] {
  return normalise(Array.from({ length: dims }, random));
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
}
