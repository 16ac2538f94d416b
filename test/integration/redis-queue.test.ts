import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { loadConfig } from '@shortlist/config';
import { DocumentRepository, TenantRepository } from '@shortlist/db';
import { sweepStaleDocuments } from '@shortlist/pipeline';
import {
  JobQueues,
  RedisSetupError,
  checkRedis,
  createRedisConnection,
  documentJobOf,
} from '@shortlist/queue';
import { createTestDatabase } from '../support/database';
import { deletePrefix, startOwnRedis, uniquePrefix } from '../support/redis';

const url = loadConfig().redis.url!;

describe('Redis for the queues', () => {
  it('accepts the Redis the services script ensured (>= 7, noeviction)', async () => {
    const redis = createRedisConnection(url, { role: 'producer' });
    await expect(checkRedis(redis, url)).resolves.toBeUndefined();
    redis.disconnect();
  });

  it('refuses a Redis that may evict keys, naming the policy and the fix', async () => {
    const own = await startOwnRedis(['--maxmemory-policy', 'allkeys-lru']);
    const redis = createRedisConnection(own.url, { role: 'worker' });
    try {
      const check = checkRedis(redis, own.url);
      await expect(check).rejects.toBeInstanceOf(RedisSetupError);
      await expect(checkRedis(redis, own.url)).rejects.toThrow(
        /maxmemory-policy allkeys-lru; queues need noeviction/,
      );
    } finally {
      redis.disconnect();
      await own.stop();
    }
  });

  it('says plainly when Redis is not reachable', async () => {
    const own = await startOwnRedis();
    await own.stop();
    const redis = createRedisConnection(own.url, { role: 'producer' });
    await expect(checkRedis(redis, own.url)).rejects.toThrow(/^Redis is not reachable at 127\.0\.0\.1:\d+/);
    redis.disconnect();
  });

  it('carries a BullMQ job under a prefix of its own', async () => {
    const prefix = uniquePrefix();
    const connections = [1, 2, 3].map(() => createRedisConnection(url, { role: 'worker' }));
    const [connection, eventsConnection, workerConnection] = connections as [Redis, Redis, Redis];
    const queue = new Queue('probe', { connection, prefix });
    const events = new QueueEvents('probe', { connection: eventsConnection, prefix });
    const worker = new Worker('probe', (job) => Promise.resolve((job.data as { n: number }).n * 2), {
      connection: workerConnection,
      prefix,
    });
    try {
      await events.waitUntilReady();
      const job = await queue.add('double', { n: 21 }, { jobId: 'doc-1' });
      await expect(job.waitUntilFinished(events, 10_000)).resolves.toBe(42);
      expect(await connection.keys(`${prefix}:probe:*`)).not.toHaveLength(0);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await deletePrefix(connection, prefix);
      connections.forEach((c) => c.disconnect());
    }
  });

  it('re-enqueues a stale document while a failed job with its id is kept (BullMQ would ignore the add)', async () => {
    const database = await createTestDatabase();
    const prefix = uniquePrefix();
    const [connection, workerConnection] = [1, 2].map(() =>
      createRedisConnection(url, { role: 'worker' }),
    ) as [Redis, Redis];
    const queues = new JobQueues(connection, prefix);
    try {
      const tenantId = (await new TenantRepository(database.db).ensure('sweep')).tenantId;
      const document = await new DocumentRepository(database.db).create({
        tenantId,
        kind: 'resume',
        source: { type: 'upload', key: `${tenantId}/x` },
      });
      // Its job failed for good and is kept (failed jobs stay a week for inspection).
      const failing = new Worker(
        'extract',
        () => Promise.reject(new UnrecoverableError('the store was down')),
        { connection: workerConnection, prefix },
      );
      const failed = new Promise((resolve) => failing.once('failed', resolve));
      await queues.enqueue('extract', { tenantId, documentId: document.id });
      await failed;
      await failing.close();
      expect(await queues.queue('extract').getJobState(document.id)).toBe('failed');

      await database.db.execute(
        sql`UPDATE documents SET updated_at = now() - interval '1 hour' WHERE id = ${document.id}`,
      );
      const swept = await sweepStaleDocuments(
        { db: database.db, enqueue: (name, payload) => queues.enqueue(name, payload) },
        60,
      );
      expect(swept).toBe(1);
      // Queued again, behind any job description (a resume's jobs take a priority: BullMQ's 'prioritized').
      expect(await queues.queue('extract').getJobState(document.id)).toBe('prioritized');
    } finally {
      await queues.close();
      await deletePrefix(connection, prefix);
      [connection, workerConnection].forEach((c) => c.disconnect());
      await database.drop();
    }
  });
});

describe('JobQueues', () => {
  /**
   * The order in which one worker, taking one job at a time and started once all of them wait, takes the extract
   * jobs that `enqueue` queues (on a prefix of its own): the queue's order.
   */
  async function extractOrder(enqueue: (queues: JobQueues) => Promise<number>): Promise<string[]> {
    const prefix = uniquePrefix();
    const [connection, workerConnection] = [1, 2].map(() =>
      createRedisConnection(url, { role: 'worker' }),
    ) as [Redis, Redis];
    const queues = new JobQueues(connection, prefix);
    const order: string[] = [];
    try {
      const count = await enqueue(queues);
      let allTaken: () => void = () => undefined;
      const taken = new Promise<void>((resolve) => (allTaken = resolve));
      const worker = new Worker(
        'extract',
        (job) => {
          order.push((job.data as { documentId: string }).documentId);
          if (order.length === count) allTaken();
          return Promise.resolve();
        },
        { connection: workerConnection, prefix, concurrency: 1 },
      );
      await taken;
      await worker.close();
      return order;
    } finally {
      await queues.close();
      await deletePrefix(connection, prefix);
      [connection, workerConnection].forEach((c) => c.disconnect());
    }
  }

  it('reads a job description before the resumes queued ahead of it, and the resumes in their order', async () => {
    const tenantId = randomUUID();
    const resumes = Array.from({ length: 5 }, () => randomUUID());
    const posting = randomUUID();
    const order = await extractOrder(async (queues) => {
      await queues.enqueueMany(
        'extract',
        resumes.map((id) => documentJobOf({ tenantId, id, kind: 'resume' })),
      );
      await queues.enqueue('extract', documentJobOf({ tenantId, id: posting, kind: 'posting' }));
      return resumes.length + 1;
    });
    expect(order).toEqual([posting, ...resumes]);
  });

  it("reads each tenant's n-th waiting resume beside the others' n-th: a bulk load holds up no other tenant", async () => {
    const [bulk, small] = [randomUUID(), randomUUID()];
    const loaded = Array.from({ length: 6 }, () => randomUUID());
    const few = [randomUUID(), randomUUID()];
    const order = await extractOrder(async (queues) => {
      // The bulk load first, then the other tenant's two documents: turns as an intake gives them.
      await queues.enqueueMany(
        'extract',
        loaded.map((id, turn) => documentJobOf({ tenantId: bulk, id, kind: 'resume' }, turn)),
      );
      await queues.enqueueMany(
        'extract',
        few.map((id, turn) => documentJobOf({ tenantId: small, id, kind: 'resume' }, turn)),
      );
      return loaded.length + few.length;
    });
    expect(order).toEqual([loaded[0], few[0], loaded[1], few[1], ...loaded.slice(2)]);
  });

  it("adds a night's report once per day, even after the first one finished", async () => {
    const prefix = uniquePrefix();
    const [connection, workerConnection] = [1, 2].map(() =>
      createRedisConnection(url, { role: 'worker' }),
    ) as [Redis, Redis];
    const queues = new JobQueues(connection, prefix);
    let reports = 0;
    const worker = new Worker('nightlyReport', () => Promise.resolve((reports += 1)), {
      connection: workerConnection,
      prefix,
    });
    try {
      const finished = new Promise((resolve) => worker.once('completed', resolve));
      await queues.enqueue('nightlyReport', { day: '2031-01-02' });
      await finished;
      await queues.enqueue('nightlyReport', { day: '2031-01-02' });
      // The finished report is kept (so the second add was a no-op), and nothing waits or runs.
      expect(
        await queues.queue('nightlyReport').getJobCounts('waiting', 'active', 'completed'),
      ).toMatchObject({
        waiting: 0,
        active: 0,
        completed: 1,
      });
      expect(reports).toBe(1);
    } finally {
      await worker.close();
      await queues.close();
      await deletePrefix(connection, prefix);
      [connection, workerConnection].forEach((c) => c.disconnect());
    }
  });
});
