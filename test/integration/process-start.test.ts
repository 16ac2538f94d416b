import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort, waitFor } from '../support/net';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { createTestBucket, type TestBucket } from '../support/s3';

const root = join(__dirname, '..', '..');
const MODELS = join(root, 'test', 'fixtures', 'models', 'tiny');

/** Node's own warnings (`(node:123) SomeWarning: ...`), as a process prints them on stderr. */
function nodeWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^\(node:\d+\) \S*Warning/.test(line));
}

/**
 * What each runtime may print: the AWS SDK warns on Node.js < 22 that its 2027 releases need 22 (true: Node.js 20
 * is past its end of life); on the supported LTS nothing at all.
 */
const EXPECTED_WARNINGS =
  Number(process.versions.node.split('.')[0]) < 22 ? [/NodeVersionSupportWarning: The AWS SDK/] : [];

describe('the built API and worker processes start and stop cleanly', () => {
  let database: TestDatabase;
  let bucket: TestBucket;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    [database, bucket] = await Promise.all([createTestDatabase(), createTestBucket()]);
  });
  afterAll(async () => {
    const redis = new Redis(process.env.REDIS_URL!);
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await Promise.all([bucket.remove(), database.drop()]);
  });

  it.each([
    ['api', 'apps/api/dist/main.js', 'PORT', '/readyz'],
    ['worker', 'apps/worker/dist/main.js', 'WORKER_HEALTH_PORT', '/healthz'],
  ])(
    'the %s answers its health check, prints no warning the runtime does not call for, and exits 0 on SIGTERM',
    async (_name, main, portVariable, path) => {
      const port = await freePort();
      const child = spawn(process.execPath, [join(root, main)], {
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          REDIS_PREFIX: prefix,
          S3_BUCKET: bucket.bucket,
          MODELS_DIR: MODELS,
          EMBED_THREADS: '1',
          HOST: '127.0.0.1',
          [portVariable]: String(port),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      try {
        await waitFor(`${main} to answer ${path}`, async () => {
          if (child.exitCode !== null)
            throw new Error(`${main} exited ${child.exitCode}: ${stderr}${stdout}`);
          // Refused until the process listens: that is what this loop waits out.
          const response = await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined);
          return response?.status === 200;
        });
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      const unexpected = nodeWarnings(stderr).filter((w) => !EXPECTED_WARNINGS.some((e) => e.test(w)));
      expect(unexpected).toEqual([]);
      expect(stdout).not.toMatch(/"level":(40|50|60)/); // nothing logged at warn or above
    },
  );
});
