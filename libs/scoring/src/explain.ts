import type { ScoreParams } from './hybrid-score';

/**
 * Why a candidate ranks where it does, and the gate audit of a run: what the domain gate did to each candidate,
 * and to the run as a whole (the model card's "Ethical considerations": check that domain penalties do not
 * disproportionately hit career changers). Pure; the SQL of libs/db computes the run's audit the same way.
 */

/** A candidate within this distance of the threshold (either side, inclusive) is flagged `borderline`. */
const BORDERLINE_MARGIN = 0.05;
/** Share of a run's candidates, by semantic score, that counts as its top decile (the `review` flag). */
const REVIEW_TOP_SHARE = 0.1;

export type Flag = 'borderline' | 'review';

/** What the gate did to one candidate: its domain cosine against the threshold, the factor, whether clipped. */
export interface GateDecision {
  /** Cosine of the resume's and the posting's domain vectors. */
  domain: number;
  threshold: number;
  /** `boost` when domain > threshold, else `penalty`. */
  factor: number;
  /** The unclipped score lay outside 0..100. */
  clipped: boolean;
  /** The same in words, e.g. "domain 0.62 > threshold 0.50: boosted ×1.2; 119.40 clipped to 100". */
  explanation: string;
}

export interface GatedScore {
  semantic: number;
  domain: number;
  unclipped: number;
  final: number;
  sameDomain: boolean;
}

/** The run's audit of the gate; counts over every candidate the run scored (before its hard gate and top N). */
export interface GateAudit {
  /** Candidates scored (with vectors for both models). */
  candidates: number;
  /** Above the threshold: multiplied by `boost`. */
  boosted: number;
  /** At or below it and kept: multiplied by `penalty`. */
  penalised: number;
  /** At or below it and excluded by the hard gate. */
  removedByGate: number;
  /** Within ±BORDERLINE_MARGIN of the threshold. */
  borderline: number;
  /** Semantic score in the run's top decile, but at or below the threshold (possible career changers). */
  review: number;
  /** The semantic score from which a candidate is in the run's top decile (null: no candidates). */
  reviewCutoff: number | null;
}

const two = (n: number) => n.toFixed(2);

/** A threshold as the user gave it: two decimals, or all of its own when it has more (0.991 is not 0.99). */
const asGiven = (threshold: number) =>
  Number(threshold.toFixed(2)) === threshold ? two(threshold) : String(threshold);

/**
 * A domain similarity beside the threshold, with as many decimals as the threshold shows at least, and more when
 * it takes more for the printed numbers to say what the gate decided: 0.5004 against 0.5 is "0.5004 > 0.50",
 * never "0.50 > 0.50".
 */
function beside(domain: number, threshold: number): string {
  const above = domain > threshold;
  for (let decimals = asGiven(threshold).split('.')[1]?.length ?? 2; decimals < 12; decimals++) {
    const shown = Number(domain.toFixed(decimals));
    if (shown === threshold ? domain === threshold : shown > threshold === above)
      return domain.toFixed(decimals);
  }
  return String(domain);
}

/** The gate's decision for one scored candidate, in numbers and words. */
export function gateDecision(score: GatedScore, params: ScoreParams): GateDecision {
  const factor = score.sameDomain ? params.boost : params.penalty;
  const clipped = score.unclipped !== score.final;
  const comparison = score.sameDomain ? '>' : '≤';
  const effect = score.sameDomain
    ? `boosted ×${factor}`
    : params.hardGate
      ? 'removed by the hard gate'
      : `penalised ×${factor}`;
  const clip = clipped ? `; ${two(score.unclipped)} clipped to ${score.final < 1 ? 0 : 100}` : '';
  return {
    domain: score.domain,
    threshold: params.threshold,
    factor,
    clipped,
    explanation: `domain ${beside(score.domain, params.threshold)} ${comparison} threshold ${asGiven(params.threshold)}: ${effect}${clip}`,
  };
}

/**
 * The 90th percentile of a run's semantic scores (linear interpolation, as PostgreSQL's `percentile_cont(0.9)`):
 * a candidate at or above it is in the run's top decile.
 */
export function reviewCutoff(semantics: readonly number[]): number | null {
  if (semantics.length === 0) return null;
  const sorted = [...semantics].sort((a, b) => a - b);
  const position = (1 - REVIEW_TOP_SHARE) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** A candidate's flags: `borderline` near the threshold, `review` when in the top decile yet penalised. */
export function flagsOf(
  score: Pick<GatedScore, 'semantic' | 'domain' | 'sameDomain'>,
  params: Pick<ScoreParams, 'threshold'>,
  cutoff: number | null,
): Flag[] {
  const flags: Flag[] = [];
  // A small epsilon: 0.55 - 0.5 is 0.05000000000000004 in floating point.
  if (Math.abs(score.domain - params.threshold) <= BORDERLINE_MARGIN + 1e-9) flags.push('borderline');
  if (cutoff !== null && !score.sameDomain && score.semantic >= cutoff) flags.push('review');
  return flags;
}

/** The audit of a run from every candidate it scored (what libs/db computes in SQL; tests hold the two equal). */
export function auditCandidates(
  candidates: readonly Pick<GatedScore, 'semantic' | 'domain'>[],
  params: ScoreParams,
): GateAudit {
  const cutoff = reviewCutoff(candidates.map((c) => c.semantic));
  const audit: GateAudit = {
    candidates: candidates.length,
    boosted: 0,
    penalised: 0,
    removedByGate: 0,
    borderline: 0,
    review: 0,
    reviewCutoff: cutoff,
  };
  for (const c of candidates) {
    const sameDomain = c.domain > params.threshold;
    if (sameDomain) audit.boosted++;
    else if (params.hardGate) audit.removedByGate++;
    else audit.penalised++;
    const flags = flagsOf({ ...c, sameDomain }, params, cutoff);
    if (flags.includes('borderline')) audit.borderline++;
    if (flags.includes('review')) audit.review++;
  }
  return audit;
}

/** Failure reasons and other skip codes in words, for people (the codes stay in JSON and CSV). */
const REASON_TEXT: Readonly<Record<string, string>> = {
  no_text: 'no text to read (an empty file, or a scanned image without a text layer)',
  unsupported_format: 'not a format Shortlist reads (PDF, DOCX, HTML or plain text)',
  corrupt_file: 'the file is damaged and could not be opened',
  encrypted: 'the file is password-protected',
  too_large: 'the file is larger than the size limit',
  name_not_utf8: 'the file name is not UTF-8 (an older system wrote it): rename the file to have it read',
  extract_timeout: 'reading the file took too long',
  extract_memory: 'reading the file needed too much memory',
  extract_crashed: 'the reader crashed on this file',
  source_missing: 'the referenced object no longer exists',
  retries_exhausted: 'a service stayed unavailable while this file was processed',
  scratch_space_full: "the worker's scratch space was full (not the file's fault)",
  pending: 'still being processed when the run finished',
  failed: 'could not be processed',
};

/** A reason code in words; an unknown code is shown as it is. */
export const reasonText = (code: string): string => REASON_TEXT[code] ?? code;
