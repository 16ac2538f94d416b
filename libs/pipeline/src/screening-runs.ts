import {
  DocumentRepository,
  DomainRepository,
  PostingRepository,
  ScreeningRepository,
  type Database,
  type Posting,
  type ScreeningRun,
} from '@shortlist/db';
import {
  CARD_DOMAINS,
  CARD_DOMAIN_SET_ID,
  InvalidScoreParamsError,
  resolveParams,
  type ScoreOverrides,
} from '@shortlist/scoring';

/** Why a screening cannot start; the API answers each with its own status. */

/** The most results a run keeps (`top`) and quotes evidence for: the API's and `shortlist screen`'s bounds. */
export const SCREENING_LIMITS = { top: 10_000, evidence: 1_000 } as const;

export class ScreeningRequestError extends Error {
  override readonly name = 'ScreeningRequestError';
  constructor(
    readonly code: 'invalid_params' | 'no_applicants' | 'no_models' | 'unknown_domain' | 'posting_failed',
    message: string,
  ) {
    super(message);
  }
}

export interface ScreeningRequest {
  posting: Posting;
  scope: 'applicants' | 'pool';
  trigger: ScreeningRun['trigger'];
  top?: number | null;
  overrides?: ScoreOverrides;
  /** Rank only candidates classified into one of these domains (keys of the tenant's domain set). */
  domains?: string[] | undefined;
  /** Evidence (passages most similar to the posting) for this many of the best results; default 0. */
  evidence?: number;
  /** One run per posting and key (the nightly re-score uses `nightly:<day>`). */
  idempotencyKey?: string;
}

/**
 * A new screening run of a posting: parameters resolved (defaults, the posting's, the request's) and recorded;
 * for each role the model whose vectors cover the posting's documents best (so a model upgrade switches runs
 * over only once the new vectors are there). The caller enqueues its rank job.
 */
export async function createScreeningRun(
  db: Database,
  request: ScreeningRequest,
): Promise<{ run: ScreeningRun }> {
  const { posting } = request;
  let params;
  try {
    params = resolveParams(posting.params, request.overrides);
  } catch (error) {
    if (error instanceof InvalidScoreParamsError)
      throw new ScreeningRequestError('invalid_params', error.message);
    throw error;
  }
  const postingDocument = await new DocumentRepository(db).findById(posting.tenantId, posting.documentId);
  if (postingDocument?.status === 'failed') {
    throw new ScreeningRequestError(
      'posting_failed',
      `the posting's document ${postingDocument.id} failed (${postingDocument.failureReason ?? 'failed'}): there is nothing to screen against`,
    );
  }
  if (
    request.scope === 'applicants' &&
    (await new PostingRepository(db).countApplicants(posting.tenantId, posting.id)) === 0
  ) {
    throw new ScreeningRequestError(
      'no_applicants',
      'the posting has no applicants: add some (POST /v1/postings/:id/applicants) or screen the pool',
    );
  }
  const domains = request.domains ? [...new Set(request.domains)] : null;
  if (domains) {
    const repository = new DomainRepository(db);
    const setId = await repository.activeSetId(posting.tenantId);
    // The card's labels reach the database with the first process that embeds: its keys are known before.
    const known = new Set(
      setId === CARD_DOMAIN_SET_ID
        ? CARD_DOMAINS.map((d) => d.key)
        : (await repository.findSet(posting.tenantId, setId))?.domains.map((d) => d.key),
    );
    const unknown = domains.filter((d) => !known.has(d));
    if (unknown.length > 0) {
      throw new ScreeningRequestError(
        'unknown_domain',
        `domains: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the domain set (GET /v1/domain-sets)`,
      );
    }
  }
  const screenings = new ScreeningRepository(db);
  const models = await screenings.coveringModels(posting.tenantId, posting.id);
  if (!models) {
    throw new ScreeningRequestError(
      'no_models',
      'no models registered yet: start a worker, which registers its models',
    );
  }
  const run = await screenings.createRun({
    tenantId: posting.tenantId,
    postingId: posting.id,
    scope: request.scope,
    trigger: request.trigger,
    params,
    top: request.top ?? (request.scope === 'pool' ? 50 : null),
    semanticModelId: models.semantic,
    domainModelId: models.domain,
    domains,
    evidenceTop: request.evidence ?? 0,
    ...(request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {}),
  });
  return { run };
}
