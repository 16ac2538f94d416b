import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentRepository, TenantRepository, openPostgres, queryRows, type Database } from '@shortlist/db';
import { acceptDocument } from '@shortlist/pipeline';
import { JobQueues, createRedisConnection } from '@shortlist/queue';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort, waitFor } from '../support/net';
import { startOwnPostgres } from '../support/own-postgres';
import { deletePrefix, startOwnRedis, uniquePrefix } from '../support/redis';
import { createTestBucket, type TestBucket } from '../support/s3';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '@shortlist/config';
import { S3ObjectStore, createS3Client } from '@shortlist/storage';
import { seededRandom } from '../support/vectors';
import { childProcesses, processExists } from '../support/processes';
import { startWorker, type WorkerProcess } from '../support/worker';

const FIXTURES = join(__dirname, '..', 'fixtures');
const MODELS = join(FIXTURES, 'models', 'tiny');
const WORDS = [
  'kafka',
  'spark',
  'postgres',
  'mentoring',
  'roadmap',
  'latency',
  'terraform',
  'hiring',
  'budget',
];

describe('worker process on PostgreSQL, Redis and S3', () => {
  let database: TestDatabase;
  let bucket: TestBucket;
  let redis: Redis;
  let prefix: string;
  let queues: JobQueues;
  let tenantId: string;
  const running: WorkerProcess[] = [];

  beforeAll(async () => {
    [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
    tenantId = (await new TenantRepository(database.db).ensure('acme')).tenantId;
  });

  beforeEach(() => {
    prefix = uniquePrefix();
    redis = createRedisConnection(process.env.REDIS_URL!, { role: 'worker' });
    queues = new JobQueues(redis, prefix);
  });

  afterEach(async () => {
    for (const worker of running.splice(0)) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await queues.close();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  afterAll(async () => {
    await bucket?.remove();
    await database?.drop();
  });

  function worker(extra: Record<string, string> = {}, wrapper: string[] = []): WorkerProcess {
    const started = startWorker(
      {
        DATABASE_URL: database.url,
        REDIS_PREFIX: prefix,
        S3_BUCKET: bucket.bucket,
        MODELS_DIR: MODELS,
        // Many 1,500-word documents: 64-token windows keep the tiny model fast (one pass is tested elsewhere).
        EMBED_PASS_TOKENS: '64',
        EMBED_PASS_OVERLAP: '16',
        WORKER_LOCK_SECONDS: '2',
        ...extra,
      },
      wrapper,
    );
    running.push(started);
    return started;
  }

  /** Documents accepted as the API accepts them (libs/pipeline's intake): stored, a row, an extract job. */
  const accept = (bytes: Buffer | string, filename: string, db: Database = database.db, tenant = tenantId) =>
    acceptDocument(
      {
        db,
        store: bucket.store,
        enqueue: (name, payload) => queues.enqueue(name, payload),
        maxDocumentBytes: 20 * 1024 * 1024,
      },
      tenant,
      { kind: 'resume', body: Buffer.from(bytes), source: { type: 'upload', filename } },
    );

  /** `count` distinct text resumes. */
  async function ingest(count: number, db: Database = database.db, tenant = tenantId): Promise<string[]> {
    const words = 1500;
    const random = seededRandom(count * 7919 + Date.now());
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const text = Array.from({ length: words }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
      ids.push((await accept(`${prefix} resume ${i}\n${text}`, `${i}.txt`, db, tenant)).id);
    }
    return ids;
  }

  /** One document of the given bytes. */
  async function ingestFile(bytes: Buffer, filename: string): Promise<string> {
    return (await accept(bytes, filename)).id;
  }

  async function statusOf(id: string): Promise<{ status: string; failureReason: string | null }> {
    const { status, failureReason } = (await new DocumentRepository(database.db).findById(tenantId, id))!;
    return { status, failureReason };
  }

  async function statusCounts(ids: string[], db: Database = database.db): Promise<Record<string, number>> {
    const rows = await queryRows<{ status: string; n: number }>(
      db,
      sql`SELECT status, count(*)::int AS n FROM documents WHERE id IN ${ids} GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async function vectorsPerDocument(ids: string[], db: Database = database.db): Promise<number[]> {
    const rows = await queryRows<{ n: number }>(
      db,
      sql`SELECT (SELECT count(*)::int FROM embeddings e WHERE e.document_id = d.id) AS n
          FROM documents d WHERE d.id IN ${ids}`,
    );
    return rows.map((r) => r.n);
  }

  const allReady =
    (ids: string[], db: Database = database.db) =>
    async () =>
      (await statusCounts(ids, db)).ready === ids.length;

  it('survives SIGKILL in the middle of a batch: every document ends ready with exactly one vector per model', async () => {
    const ids = await ingest(40);
    const first = worker();
    await waitFor('the first worker to be mid-batch', async () => {
      const counts = await statusCounts(ids);
      return (counts.ready ?? 0) >= 3 && (await queues.queue('embed').getActiveCount()) > 0;
    });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const before = await statusCounts(ids);
    expect(before.ready).toBeLessThan(ids.length);

    worker();
    await waitFor('every document to be ready after the crash', allReady(ids), 90_000);
    expect(await vectorsPerDocument(ids)).toEqual(ids.map(() => 2));
    expect(await queues.queue('embed').getFailedCount()).toBe(0);
  });

  it('finishes the jobs in hand on SIGTERM and leaves none stalled', async () => {
    const ids = await ingest(30);
    const first = worker({ WORKER_DRAIN_SECONDS: '120' });
    await waitFor('the worker to be busy', async () => (await queues.queue('embed').getActiveCount()) > 0);
    first.child.kill('SIGTERM');
    const { code } = await first.exited;
    expect(code).toBe(0);
    // Nothing was left active (stalled): every job was either finished or never started.
    expect(await queues.queue('embed').getActiveCount()).toBe(0);
    expect(await queues.queue('extract').getActiveCount()).toBe(0);
    const counts = await statusCounts(ids);
    expect(counts.extracting ?? 0).toBe(0);

    worker();
    await waitFor('the rest to be ready', allReady(ids), 90_000);
    expect(await vectorsPerDocument(ids)).toEqual(ids.map(() => 2));
  });

  it('stops within its drain deadline whatever the jobs in hand, killing their parsers and failing no document', async () => {
    // A parser that would run for ten minutes: without a deadline, SIGTERM would wait for it.
    const id = await ingestFile(readFileSync(join(FIXTURES, 'bad', 'hang.pdf')), 'hang.pdf');
    const first = worker({
      EXTRACT_TIMEOUT_MS: '600000',
      EXTRACT_MEMORY_MB: '8192',
      WORKER_DRAIN_SECONDS: '1',
      LOG_LEVEL: 'info',
    });
    const parser = await waitFor('the parser to be running', () =>
      childProcesses(first.child.pid!).find((c) => c.command.includes('extract-child')),
    );
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(first.output()).toMatch(/"inHand":\{"extract":1\}.*"msg":"finishing jobs in hand"/);
    expect(first.output()).toMatch(/"left":\{"extract":1\}.*"msg":"drain deadline passed/);
    await waitFor('the parser to be killed', () => !processExists(parser.pid));
    expect(await statusOf(id)).toEqual({ status: 'extracting', failureReason: null }); // unfinished, not failed

    // The job was left to other workers: one takes it over once the lock lapses (and fails it on its own terms).
    worker({ EXTRACT_TIMEOUT_MS: '1500', EXTRACT_MEMORY_MB: '8192' });
    await waitFor(
      'the document to be taken over',
      async () => (await statusOf(id)).status === 'failed',
      60_000,
    );
    expect(await statusOf(id)).toEqual({ status: 'failed', failureReason: 'extract_timeout' });
  }, 120_000);

  it("fails a document as scratch_space_full, naming the directory, when the worker's disk is full", async () => {
    // The worker in a mount namespace of its own, its TMPDIR a 256 KiB tmpfs: a 1 MiB document cannot be written.
    const scratch = mkdtempSync(join(tmpdir(), 'shortlist-scratch-'));
    const wrapper = [
      'unshare',
      '--user',
      '--map-root-user',
      '--mount',
      'sh',
      '-c',
      'mount -t tmpfs -o size=256k tmpfs "$0" && exec "$@"',
      scratch,
    ];
    try {
      const big = await ingestFile(Buffer.from('resume '.repeat(150_000)), 'big.txt');
      const small = (await ingest(1))[0]!;
      const started = worker({ TMPDIR: scratch, LOG_LEVEL: 'info' }, wrapper);
      const explained = async (error: Error): Promise<never> => {
        const statuses = JSON.stringify({ small: await statusOf(small), big: await statusOf(big) });
        throw new Error(`${error.message}; ${statuses}; worker output:\n${started.output().slice(-3000)}`);
      };
      await waitFor(
        'the small document to be ready',
        async () => (await statusOf(small)).status === 'ready',
      ).catch(explained);
      await waitFor('the big one to fail', async () => (await statusOf(big)).status === 'failed').catch(
        explained,
      );
      expect(await statusOf(big)).toEqual({ status: 'failed', failureReason: 'scratch_space_full' });
      expect(started.output()).toContain(`no space left in this worker's scratch directory ${scratch}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);

  it('reports health and metrics, and resumes after Redis restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shortlist-redis-'));
    const own = await startOwnRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
    const ownRedis = createRedisConnection(own.url, { role: 'worker' });
    const ownQueues = new JobQueues(ownRedis, prefix);
    try {
      const port = await freePort();
      worker({ REDIS_URL: own.url, WORKER_HEALTH_PORT: String(port), HOST: '127.0.0.1' });
      const ids = await ingestInto(ownQueues, 40);
      await waitFor('a healthy worker', async () => {
        // Refused until the process listens: that is what this loop waits out.
        const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        return response?.status === 200;
      });
      await waitFor('some progress', async () => ((await statusCounts(ids)).ready ?? 0) >= 1);
      expect((await statusCounts(ids)).ready).toBeLessThan(ids.length);

      await own.restart(); // from its append-only file, on the same port

      await waitFor('every document to be ready after the Redis restart', allReady(ids), 90_000);
      expect(await vectorsPerDocument(ids)).toEqual(ids.map(() => 2));
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/shortlist_worker_jobs_total\{queue="embed",outcome="done"\} \d+/);
      expect(metrics).toMatch(/shortlist_worker_embedded_tokens_total \d+/);
    } finally {
      await ownQueues.close();
      ownRedis.disconnect();
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('retries through a PostgreSQL restart: every document ends ready', async () => {
    const pg = await startOwnPostgres();
    const own = await openPostgres(pg.url);
    try {
      const tenant = (await new TenantRepository(own.db).ensure('acme')).tenantId;
      const ids = await ingest(30, own.db, tenant);
      const started = worker({ DATABASE_URL: pg.url, LOG_LEVEL: 'info' });
      await waitFor('some progress', async () => ((await statusCounts(ids, own.db)).ready ?? 0) >= 1);
      expect((await statusCounts(ids, own.db)).ready).toBeLessThan(ids.length);
      const retries = () => started.output().split('job will retry').length - 1;
      const before = retries();
      pg.stop();
      // Jobs fail against the stopped server and back off: the outage is seen before the server returns.
      await waitFor('a job to fail and back off while PostgreSQL is down', () => retries() > before, 60_000);
      pg.start();
      await waitFor('every document to be ready after the restart', allReady(ids, own.db), 120_000).catch(
        async (error: Error) => {
          // Say where the documents are and what the worker said: this is the test that a loaded machine strains.
          const counts = JSON.stringify(await statusCounts(ids, own.db));
          throw new Error(
            `${error.message}; statuses ${counts}; worker output:\n${started.output().slice(-3000)}`,
          );
        },
      );
      expect(await vectorsPerDocument(ids, own.db)).toEqual(ids.map(() => 2));
      expect(started.child.exitCode).toBeNull(); // the same worker rode it out: losing its server is no crash
    } finally {
      await own.close();
      pg.remove();
    }
    // Jobs that failed while the server was down sit out their backoff (up to 16 s by the 5th attempt).
  }, 180_000);

  it('refuses to start on a Redis that may evict keys', async () => {
    const evicting = await startOwnRedis(['--maxmemory-policy', 'allkeys-lru']);
    try {
      const refused = worker({ REDIS_URL: evicting.url });
      expect((await refused.exited).code).toBe(69);
      expect(refused.output()).toMatch(/maxmemory-policy allkeys-lru; queues need noeviction/);
    } finally {
      await evicting.stop();
    }
  });

  it('makes its S3 bucket when it is missing, as the API does, so it may start before the API', async () => {
    const name = `test-made-by-worker-${Date.now().toString(36)}`;
    const client = createS3Client(loadConfig().s3);
    try {
      const started = worker({ S3_BUCKET: name, LOG_LEVEL: 'info' });
      await waitFor(
        'the worker to start or exit',
        () => started.output().includes('"msg":"worker started"') || started.child.exitCode !== null,
      );
      expect({ exitCode: started.child.exitCode, output: started.output() }).toMatchObject({
        exitCode: null,
      });
      await new S3ObjectStore(client, name).checkReachable();
      started.child.kill('SIGTERM');
      expect((await started.exited).code).toBe(0);
    } finally {
      await client.send(new DeleteBucketCommand({ Bucket: name })).catch(() => undefined);
      client.destroy();
    }
  });

  it('refuses to start when S3 cannot be reached, naming it', async () => {
    const refused = worker({ S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    expect((await refused.exited).code).toBe(69);
    expect(refused.output()).toMatch(/S3 is not reachable at http:\/\/127\.0\.0\.1:\d+/);
    expect(refused.output()).not.toMatch(/unexpected error|\n\s+at /);
  });

  async function ingestInto(target: JobQueues, count: number): Promise<string[]> {
    const saved = queues;
    queues = target;
    try {
      return await ingest(count);
    } finally {
      queues = saved;
    }
  }
});
