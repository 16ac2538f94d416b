import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { JobName } from '@shortlist/queue';

/** What a worker reports on /metrics, and what its health check reads. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: 'shortlist_worker_jobs_total',
    help: 'Jobs handled, by queue and outcome (done, skipped, failed, retry).',
    labelNames: ['queue', 'outcome'],
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'shortlist_worker_job_duration_seconds',
    help: 'Time from pick-up to outcome, by queue.',
    labelNames: ['queue'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly embeddedTokens = new Counter({
    name: 'shortlist_worker_embedded_tokens_total',
    help: 'Tokens embedded (both models run on each); rate() of it is the embedding throughput.',
    registers: [this.registry],
  });
  /** The last nightly re-score this worker reported (the worker that ran its report job; max() across workers). */
  readonly nightFinished = new Gauge({
    name: 'shortlist_nightly_finished_timestamp_seconds',
    help: 'When the last nightly re-score this worker reported had all its runs finished (Unix seconds).',
    registers: [this.registry],
  });
  readonly nightRuns = new Gauge({
    name: 'shortlist_nightly_runs',
    help: 'Runs of the last nightly re-score this worker reported, by outcome (completed, failed).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  /** When each queue last handed this worker a job (ms since epoch). */
  readonly lastPicked = new Map<JobName, number>();
  /** Jobs this worker is running now, per queue. */
  readonly active = new Map<JobName, number>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'shortlist_worker_' });
  }
}
