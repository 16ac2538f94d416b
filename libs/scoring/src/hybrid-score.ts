import { z } from 'zod';

/**
 * The hybrid score of the nbk domain model card:
 *
 *   base      = semantic × 100                      (semantic: cosine of the semantic vectors, −1..1)
 *   unclipped = base × (domain > threshold ? boost : penalty)
 *   final     = clip(unclipped, 0, 100)
 *
 * `unclipped` breaks ties on `final` (every in-domain candidate with semantic ≥ 0.834 clips to 100). With the
 * hard gate on, out-of-domain candidates are excluded. The SQL of libs/db (shortlist_unclipped_score,
 * shortlist_rank_applicants) computes the same thing in the database; tests hold the two equal.
 */

export interface ScoreParams {
  threshold: number;
  boost: number;
  penalty: number;
  hardGate: boolean;
}

export const DEFAULT_PARAMS: ScoreParams = { threshold: 0.5, boost: 1.2, penalty: 0.6, hardGate: false };

/** Overrides as a client may send them; every field optional, each checked against its range. */
export const scoreParamsSchema = z
  .object({
    threshold: z.number().min(-1).max(1),
    boost: z.number().min(0).max(10),
    penalty: z.number().min(0).max(10),
    hardGate: z.boolean(),
  })
  .partial()
  .strict();

export type ScoreOverrides = z.infer<typeof scoreParamsSchema>;

export class InvalidScoreParamsError extends Error {
  override readonly name = 'InvalidScoreParamsError';
}

/** Defaults, then the posting's overrides, then the request's: the full parameters a run records. */
export function resolveParams(...layers: (Partial<ScoreParams> | undefined)[]): ScoreParams {
  const merged: ScoreParams = { ...DEFAULT_PARAMS };
  for (const layer of layers) {
    if (!layer) continue;
    const result = scoreParamsSchema.safeParse(layer);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new InvalidScoreParamsError(`params.${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    Object.assign(merged, Object.fromEntries(Object.entries(result.data).filter(([, v]) => v !== undefined)));
  }
  return merged;
}

export interface Scored {
  semantic: number;
  domain: number;
  sameDomain: boolean;
  unclipped: number;
  final: number;
}

export function hybridScore(semantic: number, domain: number, params: ScoreParams = DEFAULT_PARAMS): Scored {
  const sameDomain = domain > params.threshold;
  const unclipped = semantic * 100 * (sameDomain ? params.boost : params.penalty);
  return { semantic, domain, sameDomain, unclipped, final: Math.min(100, Math.max(0, unclipped)) };
}

export interface Candidate {
  documentId: string;
  semantic: number;
  domain: number;
}

export type Ranked = Scored & { rank: number; documentId: string };

/**
 * Candidates in rank order: final, then unclipped, then semantic, then domain similarity (all descending: among
 * equal scores, the closer in meaning first — with --penalty 0 every penalised score is 0), then document id (so
 * equal scores still give one order). The hard gate drops out-of-domain candidates. The ranking SQL orders alike.
 */
export function rankCandidates(candidates: Candidate[], params: ScoreParams = DEFAULT_PARAMS): Ranked[] {
  return candidates
    .map((c) => ({ documentId: c.documentId, ...hybridScore(c.semantic, c.domain, params) }))
    .filter((c) => c.sameDomain || !params.hardGate)
    .sort(
      (a, b) =>
        b.final - a.final ||
        b.unclipped - a.unclipped ||
        b.semantic - a.semantic ||
        b.domain - a.domain ||
        (a.documentId < b.documentId ? -1 : a.documentId > b.documentId ? 1 : 0),
    )
    .map((c, i) => ({ rank: i + 1, ...c }));
}
