import pino from 'pino';
import { coerceError, loadSections, requireSetting, runMain } from '@shortlist/config';
import { openPostgres, withoutQueryParameters } from '@shortlist/db';
import { EmbeddingEngine } from '@shortlist/embedding';
import {
  dispatchWebhookEvents,
  registerEngineModels,
  sweepStaleDocuments,
  type PipelineDependencies,
} from '@shortlist/pipeline';
import { JobQueues, checkRedis, createRedisConnection } from '@shortlist/queue';
import { S3ObjectStore, createS3Client } from '@shortlist/storage';
import { EgressPolicy, WebhookSender } from '@shortlist/webhooks';
import { startHealthServer } from './health-server';
import { WorkerMetrics } from './metrics';
import { startStageWorkers } from './stage-workers';

/**
 * The pipeline worker: BullMQ workers for every queue of the job catalogue (extract, embed, rank, nightly and
 * its report) over the shared stage handlers, a sweeper for documents stranded by crashes, and /healthz +
 * /metrics on WORKER_HEALTH_PORT. SIGTERM finishes the jobs in hand within a deadline and exits.
 */
async function main(): Promise<void> {
  const config = loadSections([
    'database',
    'redis',
    's3',
    'models',
    'embed',
    'worker',
    'extract',
    'ingest',
    'webhooks',
    'log',
  ]);
  const log = pino({ level: config.log.level, base: { service: 'shortlist-worker' } });
  const databaseUrl = requireSetting(config.database.url, 'DATABASE_URL');
  const redisUrl = requireSetting(config.redis.url, 'REDIS_URL');
  const bucket = requireSetting(config.s3.bucket, 'S3_BUCKET');

  const connection = createRedisConnection(redisUrl, { role: 'worker' });
  await checkRedis(connection, redisUrl); // refuses to start unless maxmemory-policy is noeviction
  const database = await openPostgres(databaseUrl);
  const store = new S3ObjectStore(createS3Client(config.s3), bucket);
  await store.ensureReady(); // made if missing, as the API does: either may start first
  const engine = await EmbeddingEngine.open({ modelsDir: config.models.dir, ...config.embed });
  for (const warning of engine.fusedCopyWarnings) log.warn(warning);
  const modelIds = await registerEngineModels(database.db, engine.models);
  const queues = new JobQueues(connection, config.redis.prefix);

  const sender = new WebhookSender(
    new EgressPolicy(config.webhooks.allowlist),
    config.webhooks.timeoutSeconds * 1000,
  );
  const stopNow = new AbortController();
  const deps: PipelineDependencies = {
    db: database.db,
    store,
    enqueue: (name, payload) => queues.enqueue(name, payload),
    extract: { ...config.extract, maxDocumentBytes: config.ingest.maxDocumentBytes },
    embedding: { embedder: engine, modelIds },
    screening: { waitSeconds: config.worker.screeningWaitSeconds },
    shutdown: stopNow.signal,
    webhooks: {
      send: (request) => sender.send(request),
      attempts: config.webhooks.attempts,
      backoffSeconds: config.webhooks.backoffSeconds,
      disableAfter: config.webhooks.disableAfter,
      retentionDays: config.webhooks.retentionDays,
    },
  };
  const metrics = new WorkerMetrics();
  metrics.observe(engine);
  const workers = startStageWorkers({
    connection,
    prefix: config.redis.prefix,
    deps,
    concurrency: {
      extract: config.worker.extractConcurrency,
      embed: config.worker.concurrency,
      rank: 2,
      nightly: 1,
      nightlyReport: 1,
      classify: 1,
      webhook: 8,
    },
    lockSeconds: config.worker.lockSeconds,
    log,
    metrics,
  });

  // One scheduler however many workers upsert it (BullMQ makes one job per tick). NIGHTLY_CRON=off: this worker
  // leaves the scheduler alone (pools that should not own it); `shortlist rescore --unschedule` removes it.
  if (config.worker.nightlyCron) {
    await queues
      .queue('nightly')
      .upsertJobScheduler(
        'nightly',
        { pattern: config.worker.nightlyCron, tz: 'UTC' },
        { name: 'nightly', data: {}, opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 } } },
      );
  }

  const sweepEveryMs = Math.min(30, config.worker.sweepStaleSeconds / 2) * 1000;
  const sweeper = setInterval(() => {
    sweepStaleDocuments(deps, config.worker.sweepStaleSeconds).then(
      (count) => count > 0 && log.info({ count }, 're-enqueued stale documents'),
      (error: unknown) =>
        log.warn(
          { err: coerceError(withoutQueryParameters(error)).message },
          'sweep failed; next one retries',
        ),
    );
  }, sweepEveryMs);

  // Events the database recorded (documents ready or failed, runs finished) become batched webhook deliveries.
  let dispatching = false;
  const dispatcher = setInterval(() => {
    if (dispatching) return;
    dispatching = true;
    dispatchWebhookEvents(deps)
      .catch((error: unknown) =>
        log.warn(
          { err: coerceError(withoutQueryParameters(error)).message },
          'webhook dispatch failed; next one retries',
        ),
      )
      .finally(() => (dispatching = false));
  }, 1000);

  const health = config.worker.healthPort
    ? await startHealthServer(config.worker.healthPort, config.worker.host, {
        workers,
        queues,
        metrics,
        stuckAfterMs: Math.max(60_000, config.worker.lockSeconds * 4000),
        startedAt: Date.now(),
      })
    : undefined;

  /** The jobs this worker holds now, by queue (for the drain's log lines). */
  const inHand = () => Object.fromEntries([...metrics.active].filter(([, n]) => n > 0));
  let stopping = false;
  /**
   * SIGTERM: take no new job and finish the jobs in hand — for at most WORKER_DRAIN_SECONDS (default: the lock
   * time), logging what it waits for every 5 s. Past that, parsers are killed and the jobs left unfinished (never
   * marked failed): their locks lapse and other workers take them over, as after a crash. So a drain ends within
   * that deadline plus the time to stop the inference thread, however long the jobs in hand would have run.
   */
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadlineMs = config.worker.drainSeconds * 1000;
    log.info(
      { signal, inHand: inHand(), deadlineSeconds: config.worker.drainSeconds },
      'finishing jobs in hand',
    );
    clearInterval(sweeper);
    clearInterval(dispatcher);
    const closed = Promise.all(workers.map((w) => w.close())).then(() => true);
    const started = Date.now();
    const progress = setInterval(
      () =>
        log.info(
          { waitingFor: inHand(), secondsLeft: Math.round((deadlineMs - (Date.now() - started)) / 1000) },
          'still finishing jobs in hand',
        ),
      5000,
    );
    let deadline: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      closed,
      new Promise<false>((resolve) => (deadline = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearInterval(progress);
    clearTimeout(deadline);
    if (!drained) {
      log.warn(
        { left: inHand(), deadlineSeconds: config.worker.drainSeconds },
        'drain deadline passed: leaving the jobs in hand to other workers (retried, or taken over once their locks lapse); stopping after the inference batch in hand',
      );
      stopNow.abort();
      await Promise.all(workers.map((w) => w.close(true)));
    }
    health?.close();
    await queues.close();
    await engine.close();
    await sender.close();
    await database.close();
    connection.disconnect();
    log.info('stopped');
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  log.info(
    { models: modelIds, concurrency: config.worker.concurrency, provider: config.embed.provider },
    'worker started',
  );
}

runMain('shortlist-worker', main);
