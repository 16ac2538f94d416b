import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfig } from '@shortlist/config';
import { JobQueues, RedisSetupError, checkRedis, createRedisConnection } from '@shortlist/queue';
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
});

describe('JobQueues', () => {
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
