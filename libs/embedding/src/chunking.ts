/** A piece of a document's token sequence, framed by the tokenizer's special tokens, ready for the model. */
export interface Chunk {
  /** [CLS] + content + [SEP] (whatever the tokenizer's specials are). */
  ids: number[];
  /** Content tokens in the chunk: its weight in the document's mean. */
  weight: number;
}

export interface ChunkPolicy {
  /** Most tokens a chunk may hold, specials included (the model's context, or less to bound memory). */
  maxTokens: number;
  /** Content tokens repeated at the start of the next chunk, so no sentence loses its context at a cut. */
  overlap: number;
}

/**
 * Splits a document's content tokens (no specials) into chunks of at most `maxTokens` with `overlap`; every
 * token lands in at least one chunk — nothing is truncated.
 */
export function chunkTokens(
  content: number[],
  prefix: number[],
  suffix: number[],
  policy: ChunkPolicy,
): Chunk[] {
  const window = policy.maxTokens - prefix.length - suffix.length;
  if (window < 1)
    throw new Error(`chunk limit ${policy.maxTokens} leaves no room between the special tokens`);
  if (policy.overlap < 0 || policy.overlap >= window) {
    throw new Error(`chunk overlap ${policy.overlap} must be at least 0 and below ${window}`);
  }
  const stride = window - policy.overlap;
  const chunks: Chunk[] = [];
  for (let start = 0; ; start += stride) {
    const piece = content.slice(start, start + window);
    chunks.push({ ids: [...prefix, ...piece, ...suffix], weight: piece.length });
    if (start + window >= content.length) break;
  }
  return chunks;
}
