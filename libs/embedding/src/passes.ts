/** What the model runs on: a document's tokens, or a window of them, framed by the tokenizer's special tokens. */
export interface Pass {
  /** [CLS] + content + [SEP] (whatever the tokenizer's specials are). */
  ids: number[];
  /** Content tokens in the pass: its weight in the document's mean. */
  weight: number;
}

export interface PassPolicy {
  /** Most tokens one pass may hold, specials included: the single-pass limit. */
  maxTokens: number;
  /** Content tokens repeated at the start of the next window, so no sentence loses its context at a cut. */
  overlap: number;
}

/**
 * A document's content tokens (no specials) as model passes: one pass when they fit the single-pass limit (the
 * model card's embedding), else overlapping windows of that limit, whose vectors the engine averages weighted
 * by their tokens. Every token lands in at least one pass.
 */
export function splitIntoPasses(
  content: number[],
  prefix: number[],
  suffix: number[],
  policy: PassPolicy,
): Pass[] {
  const window = policy.maxTokens - prefix.length - suffix.length;
  if (window < 1)
    throw new Error(`single-pass limit ${policy.maxTokens} leaves no room between the special tokens`);
  if (policy.overlap < 0 || policy.overlap >= window) {
    throw new Error(`window overlap ${policy.overlap} must be at least 0 and below ${window}`);
  }
  const stride = window - policy.overlap;
  const passes: Pass[] = [];
  for (let start = 0; ; start += stride) {
    const piece = content.slice(start, start + window);
    passes.push({ ids: [...prefix, ...piece, ...suffix], weight: piece.length });
    if (start + window >= content.length) break;
  }
  return passes;
}
