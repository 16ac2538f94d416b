import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/**
 * The job catalogue: every queue, its job's payload schema, and the options it is enqueued with. Producers and
 * workers import these, so a payload is typed where it is made and checked (zod) where it is picked up — jobs
 * outlive the code that queued them.
 *
 * One queue per pipeline stage; the job id is the document id, so enqueueing a document twice is a no-op while
 * its job exists. Payloads carry ids only, never document bodies.
 */
const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD');
/**
 * A document's extraction or embedding; `posting`: a job description, which screenings wait for (below); `turn`:
 * how many of its tenant's documents were waiting to be read before it (below).
 */
const documentJob = z.object({
  tenantId: z.uuid(),
  documentId: z.uuid(),
  posting: z.literal(true).optional(),
  turn: z.number().int().nonnegative().optional(),
});
const runJob = z.object({ tenantId: z.uuid(), runId: z.uuid() });

const JOB_PAYLOADS = {
  extract: documentJob,
  embed: documentJob,
  /** Ranks a screening run (waits for its documents' vectors, then appends its results). */
  rank: runJob,
  /**
   * The nightly re-score (a job scheduler starts it; `shortlist rescore --now` too): embeds documents lacking
   * vectors for the active models, then re-scores every open posting as a new run. `day` (UTC) defaults to the
   * day it runs; one run per posting and day, however often it runs.
   */
  nightly: z.object({ day: DAY.optional() }),
  /** Waits for the night's runs and reports when they are all finished. */
  nightlyReport: z.object({ day: DAY }),
  /**
   * Classifies a tenant's documents into its domain set again (the set changed, or the nightly sweep found
   * documents without a domain). `setId` is the set that asked for it: a job per set change, never swallowed by
   * one still running for the previous set.
   */
  classify: z.object({ tenantId: z.uuid(), setId: z.uuid() }),
  /** Sends one webhook delivery (a batch of events), attempt after attempt with backoff, each one recorded. */
  webhook: z.object({ tenantId: z.uuid(), deliveryId: z.uuid() }),
} as const;

export type JobName = keyof typeof JOB_PAYLOADS;

/**
 * The payload of a document's extract or embed job, marked when the document is a job description; `turn`: how
 * many of its tenant's documents wait to be read before it (an intake knows).
 */
export const documentJobOf = (document: { tenantId: string; id: string; kind: string }, turn?: number) => ({
  tenantId: document.tenantId,
  documentId: document.id,
  ...(document.kind === 'posting' ? { posting: true as const } : {}),
  ...(turn ? { turn } : {}),
});
export type JobPayload<N extends JobName> = z.infer<(typeof JOB_PAYLOADS)[N]>;
export const JOB_NAMES = Object.keys(JOB_PAYLOADS) as JobName[];

/**
 * The job id of a payload: the document, the run, or the night (BullMQ ignores an add whose id already exists, so
 * enqueueing the same work twice is a no-op while its job exists).
 */
export function jobIdOf<N extends JobName>(name: N, payload: JobPayload<N>): string {
  if ('documentId' in payload) return payload.documentId;
  if ('runId' in payload) return payload.runId;
  if ('deliveryId' in payload) return `${name}-${payload.deliveryId}`;
  if ('setId' in payload) return `${name}-${payload.tenantId}-${payload.setId}`;
  return `${name}-${payload.day ?? new Date().toISOString().slice(0, 10)}`;
}

class InvalidJobPayloadError extends Error {
  override readonly name = 'InvalidJobPayloadError';
}

export function parseJobPayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  const result = JOB_PAYLOADS[name].safeParse(data);
  if (!result.success) {
    throw new InvalidJobPayloadError(
      `invalid ${name} job payload: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data as JobPayload<N>;
}

/** Retries with exponential backoff (1 s, 2 s, 4 s, ... ~4 min in all) ride out a service restart. */
const JOB_ATTEMPTS = 9;

const JOB_OPTIONS: JobsOptions = {
  attempts: JOB_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000 },
  // Done jobs leave at once (the database holds the outcome, and a re-enqueue of the same id must not be
  // swallowed by a finished job); failed ones stay a week for inspection, capped.
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/** BullMQ's highest priority is 2^21; turns beyond this share the last one (still in their order). */
const MAX_TURN = 2_000_000;

/**
 * The options of a job. A night's report stays a week once done: its id is the day, so a second nightly run the
 * same day (`rescore --now` twice, two schedulers) adds nothing, and the night is reported once (it was reported
 * twice when the first report had finished, and been removed, before the second run queued its own).
 *
 * A resume's extraction and embedding take a priority, a job description's none: BullMQ takes jobs without one
 * first, so a posting created during a bulk load of resumes is read in seconds, not after the whole backlog (its
 * screening, which waits for it, failed `posting_not_ready` behind 1,000 resumes).
 *
 * Among resumes, the priority is 1 + the job's `turn` (lower first; equal ones in the order they came): each
 * tenant's n-th waiting document is read beside the other tenants' n-th, so one tenant's bulk load does not hold up
 * another's few documents (10,000 references of one tenant delayed another's one document two minutes). A tenant's
 * own documents keep their order.
 */
export function jobOptionsOf<N extends JobName>(name: N, payload: JobPayload<N>): JobsOptions {
  if (name === 'nightlyReport') return { ...JOB_OPTIONS, removeOnComplete: { age: 7 * 24 * 3600 } };
  if ((name === 'extract' || name === 'embed') && !('posting' in payload && payload.posting)) {
    const turn = 'turn' in payload ? (payload.turn ?? 0) : 0;
    return { ...JOB_OPTIONS, priority: 1 + Math.min(turn, MAX_TURN) };
  }
  return JOB_OPTIONS;
}
