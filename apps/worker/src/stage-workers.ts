import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DocumentRepository, ScreeningRepository, withoutQueryParameters } from '@shortlist/db';
import {
  PermanentFailure,
  STAGE_HANDLERS,
  type PipelineDependencies,
  type StageHandler,
} from '@shortlist/pipeline';
import { JOB_NAMES, jobIdOf, parseJobPayload, type JobName, type JobPayload } from '@shortlist/queue';
import { coerceError } from '@shortlist/config';
import type { WorkerMetrics } from './metrics';

export interface StageWorkerOptions {
  connection: Redis;
  prefix: string;
  deps: PipelineDependencies;
  concurrency: Record<JobName, number>;
  lockSeconds: number;
  log: Logger;
  metrics: WorkerMetrics;
}

/**
 * The BullMQ transport over the stage handlers: validates each payload when the job is picked up, maps
 * outcomes (a PermanentFailure or an invalid payload ends the job without retries; any other error retries with
 * backoff), and marks a document `failed` when its retries run out.
 */
export function startStageWorkers(options: StageWorkerOptions): Worker[] {
  const { deps, log, metrics } = options;
  return JOB_NAMES.map((name) => {
    const handler = STAGE_HANDLERS[name] as StageHandler<JobName>;
    const worker = new Worker(
      name,
      async (job: Job, token?: string) => {
        const stop = metrics.jobDuration.startTimer({ queue: name });
        let payload: JobPayload<JobName>;
        try {
          payload = parseJobPayload(name, job.data);
        } catch (error) {
          throw new UnrecoverableError(coerceError(error).message);
        }
        const subject = jobIdOf(name, payload);
        metrics.lastPicked.set(name, Date.now());
        metrics.active.set(name, (metrics.active.get(name) ?? 0) + 1);
        try {
          const outcome = await handler(payload, deps);
          metrics.jobs.inc({ queue: name, outcome: outcome.outcome });
          if (outcome.outcome === 'deferred') {
            // Not a failure and not an attempt: the job sleeps and comes back.
            await job.moveToDelayed(Date.now() + outcome.retryInMs, token);
            throw new DelayedError(outcome.reason);
          }
          if (outcome.outcome === 'done' && outcome.tokens) metrics.embeddedTokens.inc(outcome.tokens);
          if (outcome.outcome === 'done' && outcome.report) {
            log.info(outcome.report, 'nightly re-score finished');
            metrics.nightFinished.set(Date.now() / 1000);
            metrics.nightRuns.set({ outcome: 'completed' }, outcome.report.completed);
            metrics.nightRuns.set({ outcome: 'failed' }, outcome.report.failed);
          }
          log.debug({ queue: name, subject, ...outcome }, 'job finished');
          return outcome;
        } catch (error) {
          if (error instanceof DelayedError) throw error;
          if (error instanceof PermanentFailure) {
            metrics.jobs.inc({ queue: name, outcome: 'failed' });
            log.info({ queue: name, subject, reason: error.reason, err: error.message }, 'failed for good');
            throw new UnrecoverableError(error.message);
          }
          metrics.jobs.inc({ queue: name, outcome: 'retry' });
          // The queue keeps the message as the job's failure, and the log prints it: never a query's parameters.
          throw withoutQueryParameters(error);
        } finally {
          metrics.active.set(name, (metrics.active.get(name) ?? 1) - 1);
          stop();
        }
      },
      {
        connection: options.connection,
        prefix: options.prefix,
        concurrency: options.concurrency[name],
        lockDuration: options.lockSeconds * 1000,
        stalledInterval: Math.max(1000, (options.lockSeconds * 1000) / 2),
        // A job whose worker died twice is still retried by its attempts, not failed as "stalled".
        maxStalledCount: 3,
      },
    );
    worker.on('failed', (job, error) => {
      if (!job || error instanceof UnrecoverableError) return;
      if (job.attemptsMade < (job.opts.attempts ?? 1)) {
        log.warn(
          { queue: name, jobId: job.id, attempt: job.attemptsMade, err: error.message },
          'job will retry',
        );
        return;
      }
      const { tenantId, documentId, runId } = job.data as {
        tenantId: string;
        documentId?: string;
        runId?: string;
      };
      log.error({ queue: name, jobId: job.id, err: error.message }, 'job ran out of retries');
      if (!runId && !documentId) return; // a nightly job: the next night (or `shortlist rescore --now`) retries
      const marked = runId
        ? new ScreeningRepository(deps.db).failRun(tenantId, runId, 'retries_exhausted')
        : new DocumentRepository(deps.db).setStatus(tenantId, documentId!, 'failed', 'retries_exhausted');
      marked.catch((e: unknown) =>
        log.error(
          { err: coerceError(withoutQueryParameters(e)).message, jobId: job.id },
          'cannot mark it failed',
        ),
      );
    });
    worker.on('error', (error) => log.warn({ queue: name, err: error.message }, 'worker connection error'));
    return worker;
  });
}
