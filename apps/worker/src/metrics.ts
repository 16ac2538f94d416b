import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchReport } from '@shortlist/embedding';
import type { JobName } from '@shortlist/queue';

/** What the worker's metrics read from its embedding engine (EmbeddingEngine satisfies it). */
export interface ObservedEngine {
  onBatch(listener: (report: BatchReport) => void): void;
  readonly threadRestarts: number;
}

/** The window of the tokens/s gauge. */
const RATE_WINDOW_MS = 60_000;

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
  readonly batchRows = new Histogram({
    name: 'shortlist_worker_inference_batch_rows',
    help: 'Rows (passes of documents) per inference batch.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly batchPadding = new Histogram({
    name: 'shortlist_worker_inference_batch_padding_share',
    help: 'Share of each inference batch that was padding (0: none).',
    buckets: [0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5],
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'shortlist_worker_inference_batch_seconds',
    help: 'Time of each inference batch (both models), queueing at the model included.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly inferenceTokens = new Counter({
    name: 'shortlist_worker_inference_tokens_total',
    help: 'Tokens that went through the models (padding excluded; window overlaps counted each time).',
    registers: [this.registry],
  });
  /** (time, tokens) of recent batches, for the tokens/s gauge. */
  private readonly recentBatches: { at: number; tokens: number }[] = [];
  readonly tokensPerSecond = new Gauge({
    name: 'shortlist_worker_inference_tokens_per_second',
    help: 'Tokens through the models per second over the last minute.',
    registers: [this.registry],
    collect: () => {
      const since = Date.now() - RATE_WINDOW_MS;
      while (this.recentBatches.length > 0 && this.recentBatches[0]!.at < since) this.recentBatches.shift();
      const tokens = this.recentBatches.reduce((sum, b) => sum + b.tokens, 0);
      this.tokensPerSecond.set(tokens / (RATE_WINDOW_MS / 1000));
    },
  });
  private engine: ObservedEngine | undefined;
  private restartsSeen = 0;
  readonly threadRestarts = new Counter({
    name: 'shortlist_worker_inference_thread_restarts_total',
    help: 'Times the inference thread died (crash, out-of-memory kill) and was replaced.',
    registers: [this.registry],
    collect: () => {
      const restarts = this.engine?.threadRestarts ?? 0;
      if (restarts > this.restartsSeen) this.threadRestarts.inc(restarts - this.restartsSeen);
      this.restartsSeen = restarts;
    },
  });
  /** When each queue last handed this worker a job (ms since epoch). */
  readonly lastPicked = new Map<JobName, number>();
  /** Jobs this worker is running now, per queue. */
  readonly active = new Map<JobName, number>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'shortlist_worker_' });
  }

  /** Reports the engine's batches (size, padding, time, tokens) and inference-thread restarts. */
  observe(engine: ObservedEngine): void {
    this.engine = engine;
    engine.onBatch((batch) => {
      this.batchRows.observe(batch.rows);
      this.batchPadding.observe(1 - batch.realTokens / (batch.rows * batch.paddedLength));
      this.batchSeconds.observe(batch.seconds);
      this.inferenceTokens.inc(batch.realTokens);
      this.recentBatches.push({ at: Date.now(), tokens: batch.realTokens });
    });
  }
}
