import pino from 'pino';
import { loadConfig, requireSetting, runMain } from '@shortlist/config';
import { openPostgres } from '@shortlist/db';
import { EmbeddingEngine } from '@shortlist/embedding';
import { registerEngineModels, sweepStaleDocuments, type PipelineDependencies } from '@shortlist/pipeline';
import { JobQueues, checkRedis, createRedisConnection } from '@shortlist/queue';
import { S3ObjectStore, createS3Client } from '@shortlist/storage';
import { startHealthServer } from './health-server';
import { WorkerMetrics } from './metrics';
import { startStageWorkers } from './stage-workers';

/**
 * The pipeline worker: BullMQ workers for the extract and embed stages over the shared stage handlers, a sweeper
 * for documents stranded by crashes, and /healthz + /metrics on WORKER_HEALTH_PORT. SIGTERM finishes the jobs
 * in hand (BullMQ's close waits for them) and exits; nothing is left stalled.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.log.level, base: { service: 'shortlist-worker' } });
  const databaseUrl = requireSetting(config.database.url, 'DATABASE_URL');
  const redisUrl = requireSetting(config.redis.url, 'REDIS_URL');
  const bucket = requireSetting(config.s3.bucket, 'S3_BUCKET');

  const connection = createRedisConnection(redisUrl, { role: 'worker' });
  await checkRedis(connection, redisUrl); // refuses to start unless maxmemory-policy is noeviction
  const database = await openPostgres(databaseUrl);
  const store = new S3ObjectStore(createS3Client(config.s3), bucket);
  await store.checkReachable();
  const engine = await EmbeddingEngine.open({ modelsDir: config.models.dir, ...config.embed });
  const modelIds = await registerEngineModels(database.db, engine.models);
  const queues = new JobQueues(connection, config.redis.prefix);

  const deps: PipelineDependencies = {
    db: database.db,
    store,
    enqueue: (name, payload) => queues.enqueue(name, payload),
    extract: { ...config.extract, maxDocumentBytes: config.ingest.maxDocumentBytes },
    embedding: { embedder: engine, modelIds },
    screening: { waitSeconds: config.worker.screeningWaitSeconds },
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
      (error: unknown) => log.warn({ err: (error as Error).message }, 'sweep failed; next one retries'),
    );
  }, sweepEveryMs);

  const health = config.worker.healthPort
    ? await startHealthServer(config.worker.healthPort, config.api.host, {
        workers,
        queues,
        metrics,
        stuckAfterMs: Math.max(60_000, config.worker.lockSeconds * 4000),
        startedAt: Date.now(),
      })
    : undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'finishing jobs in hand, then exiting');
    clearInterval(sweeper);
    await Promise.all(workers.map((w) => w.close()));
    health?.close();
    await queues.close();
    await engine.close();
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
