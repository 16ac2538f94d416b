import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '@shortlist/config';
import { ApiKeyRepository, TenantRepository } from '@shortlist/db';
import { createRedisConnection } from '@shortlist/queue';
import type { ObjectStore } from '@shortlist/storage';
import { buildServer } from '../../apps/api/src/server';
import { apiClient, type ApiClient } from './api-client/client';
import { createTestDatabase, type TestDatabase } from './database';
import { deletePrefix, uniquePrefix } from './redis';
import { createTestBucket, type TestBucket } from './s3';
import { startWorker, type WorkerProcess } from './worker';

export interface ApiStack {
  database: TestDatabase;
  bucket: TestBucket;
  redis: Redis;
  prefix: string;
  app: FastifyInstance;
  /** http://127.0.0.1:<port> of the API. */
  base: string;
  /** http://127.0.0.1:<port> of the API's /metrics listener (METRICS_PORT). */
  metricsBase: string;
  /** API keys of two tenants, `acme` and `globex`. */
  keys: { acme: string; globex: string };
  /** The typed client of the API as the holder of `apiKey` (none: anonymous); every answer checked against the OpenAPI document. */
  client(apiKey?: string): ApiClient;
  worker: WorkerProcess;
  stop(): Promise<void>;
}

export interface ApiStackOptions {
  ingest?: (bucket: TestBucket) => Config['ingest'];
  adminToken?: string;
  /** Wraps the bucket's store (to count calls, say). */
  store?: (store: ObjectStore) => ObjectStore;
  /** WEBHOOK_ALLOWLIST of the API (the worker's comes with workerEnv). */
  webhookAllowlist?: string[];
  /** Extra environment of the worker process. */
  workerEnv?: Record<string, string>;
}

/**
 * The services a user runs, for end-to-end tests: a database, a bucket and a queue prefix of the test's own, the
 * API on a real HTTP port (in this process, so tests can reach inside) and the built worker as a child process
 * with the tiny test models.
 */
export async function startApiStack(options: ApiStackOptions = {}): Promise<ApiStack> {
  const [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
  const prefix = uniquePrefix();
  const redis = createRedisConnection(process.env.REDIS_URL!, { role: 'producer' });
  const ingest = options.ingest?.(bucket) ?? {
    maxDocumentBytes: 1024 * 1024,
    bodyReadTimeoutMs: 30_000,
    sourceAllowlist: [],
  };
  const app = await buildServer({
    logLevel: 'silent',
    database,
    redis,
    store: options.store?.(bucket.store) ?? bucket.store,
    redisPrefix: prefix,
    ingest,
    adminToken: options.adminToken,
    webhookAllowlist: options.webhookAllowlist ?? [],
    metrics: { port: 0, host: '127.0.0.1' },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const tenants = new TenantRepository(database.db);
  const issuer = new ApiKeyRepository(database.db);
  const keys = {
    acme: (await issuer.issue((await tenants.ensure('acme')).tenantId)).key,
    globex: (await issuer.issue((await tenants.ensure('globex')).tenantId)).key,
  };
  const worker = startWorker({
    DATABASE_URL: database.url,
    REDIS_PREFIX: prefix,
    S3_BUCKET: bucket.bucket,
    MODELS_DIR: join(__dirname, '..', 'fixtures', 'models', 'tiny'),
    // Process behaviour, not fidelity, is tested here: 64-token windows keep the tiny model fast on long texts.
    EMBED_PASS_TOKENS: '64',
    EMBED_PASS_OVERLAP: '16',
    MAX_DOCUMENT_BYTES: String(ingest.maxDocumentBytes),
    ...options.workerEnv,
  });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    database,
    bucket,
    redis,
    prefix,
    app,
    base,
    client: (apiKey) => apiClient(base, apiKey),
    metricsBase: `http://127.0.0.1:${(app.metricsServer!.address() as AddressInfo).port}`,
    keys,
    worker,
    stop: async () => {
      worker.child.kill('SIGKILL');
      await worker.exited;
      await app.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
      await bucket.remove();
      await database.drop();
    },
  };
}
