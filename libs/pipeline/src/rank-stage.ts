import { DocumentRepository, PostingRepository, ScreeningRepository, type ScreeningRun } from '@shortlist/db';
import type { JobPayload } from '@shortlist/queue';
import type { PipelineDependencies } from './dependencies';
import { addEvidence } from './evidence';
import { PermanentFailure, done, skipped, type StageOutcome } from './outcome';

const RECHECK_MS = 2000;

/**
 * Ranks a screening run. While the posting lacks vectors for the run's models, or documents it would rank are
 * still in the pipeline, the run waits (deferred, rechecked every few seconds) up to `screening.waitSeconds`; then
 * it completes with the documents it could not rank listed in `pendingDocumentIds` — never a silently partial
 * ranking. Failed documents are listed at once, never waited for. The ranking itself is SQL (libs/db), appended
 * in one transaction, and is its own readiness check; a redelivered job appends nothing twice.
 */
export async function handleRank(
  { tenantId, runId }: JobPayload<'rank'>,
  deps: PipelineDependencies,
): Promise<StageOutcome> {
  const screenings = new ScreeningRepository(deps.db);
  const run = await screenings.findRun(tenantId, runId);
  if (!run) return skipped('run_erased');
  if (run.status === 'completed') {
    // A job redelivered after the ranking was stored: the evidence may still be missing.
    return (await evidenceOf(run, deps)) > 0 ? done : skipped('already_completed');
  }
  if (run.status === 'failed') return skipped('already_failed');
  await screenings.markRunning(tenantId, runId);
  const withinWait = Date.now() - run.createdAt.getTime() < deps.screening.waitSeconds * 1000;
  const ranked = await screenings.complete(run, { waitForPending: withinWait });
  switch (ranked.status) {
    case 'completed':
      await evidenceOf(run, deps);
      return done;
    case 'gone':
      return skipped('run_completed_or_erased');
    case 'waiting':
      return {
        outcome: 'deferred',
        reason: `${ranked.pending} documents still in the pipeline`,
        retryInMs: RECHECK_MS,
      };
    case 'posting_not_ready': {
      // A posting whose document failed will never have vectors: fail now rather than after the wait.
      const posting = await new PostingRepository(deps.db).findById(tenantId, run.postingId);
      const document =
        posting && (await new DocumentRepository(deps.db).findById(tenantId, posting.documentId));
      if (document?.status === 'failed') {
        const reason = 'posting_failed';
        await screenings.failRun(tenantId, runId, reason);
        throw new PermanentFailure(
          reason,
          `the posting's document failed (${document.failureReason ?? 'failed'})`,
        );
      }
      if (withinWait)
        return { outcome: 'deferred', reason: 'posting not embedded yet', retryInMs: RECHECK_MS };
      const reason = 'posting_not_ready';
      await screenings.failRun(tenantId, runId, reason);
      throw new PermanentFailure(reason, `the posting has no vectors after ${deps.screening.waitSeconds} s`);
    }
  }
}

/** Evidence for the run's best results (a failure leaves the ranking stored; the job's retry adds it). */
async function evidenceOf(run: ScreeningRun, deps: PipelineDependencies): Promise<number> {
  if (run.evidenceTop <= 0 || !deps.embedding) return 0;
  const posting = await new PostingRepository(deps.db).findById(run.tenantId, run.postingId);
  return posting ? addEvidence(run, posting.documentId, deps) : 0;
}
