import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort, waitFor } from '../support/net';
import { deletePrefix, uniquePrefix } from '../support/redis';
import { createTestBucket, type TestBucket } from '../support/s3';

const root = join(__dirname, '..', '..');
const API = join(root, 'apps', 'api', 'dist', 'main.js');
const WORKER = join(root, 'apps', 'worker', 'dist', 'main.js');
const MODELS = join(root, 'test', 'fixtures', 'models', 'tiny');

/** Runs a built process that is expected to refuse its configuration and exit at once. */
function runRefused(main: string, env: Record<string, string>) {
  const result = spawnSync(process.execPath, [main], {
    encoding: 'utf8',
    env: { ...process.env, MODELS_DIR: MODELS, ...env },
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('configuration: each process checks what it reads, and never prints a secret', () => {
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

  it('`shortlist migrate` ignores the API’s and the worker’s variables', () => {
    const result = runCli(['migrate'], {
      DATABASE_URL: database.url,
      ADMIN_TOKEN: 'short',
      PORT: 'not-a-port',
      EMBED_PROVIDER: 'tpu',
      SOURCE_ALLOWLIST: bucket.bucket,
      S3_BUCKET: bucket.bucket,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/database is up to date/);
  });

  it.each([
    ['DATABASE_URL', 'postgresql+psycopg://user:S3cretPassw0rd@db/x', 'S3cretPassw0rd'],
    ['S3_ENDPOINT', 'ftp://AKIAEXAMPLE:wJalrXUtnFEMI@s3.example', 'wJalrXUtnFEMI'],
  ])('a wrong %s is named, its value is not printed (exit 78, one line)', (name, value, secret) => {
    const result = runRefused(API, { DATABASE_URL: database.url, [name]: value });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain(`${name} must be`);
    expect(result.stderr).toContain('the value is not shown');
    expect(result.stderr + result.stdout).not.toContain(secret);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a short ADMIN_TOKEN stops the API without printing it', () => {
    const result = runRefused(API, { DATABASE_URL: database.url, ADMIN_TOKEN: 'Tiny-S3cret' });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('ADMIN_TOKEN must be at least 16 characters');
    expect(result.stderr).not.toContain('Tiny-S3cret');
  });

  it.each([
    ['api', API],
    ['worker', WORKER],
  ])('the %s refuses a SOURCE_ALLOWLIST that names its own S3_BUCKET (exit 78, one line)', (_name, main) => {
    const result = runRefused(main, {
      DATABASE_URL: database.url,
      REDIS_PREFIX: prefix,
      S3_BUCKET: bucket.bucket,
      SOURCE_ALLOWLIST: `clients-docs,${bucket.bucket}/incoming/`,
    });
    expect(result.status).toBe(78);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`SOURCE_ALLOWLIST names S3_BUCKET (${bucket.bucket})`);
  });

  it('the API serves /metrics on METRICS_PORT only, not on its public port', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [API], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        REDIS_PREFIX: prefix,
        S3_BUCKET: bucket.bucket,
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor('the API to answer /readyz', async () => {
        if (child.exitCode !== null) throw new Error(`the API exited ${child.exitCode}: ${stderr}`);
        // Refused until the process listens: that is what this loop waits out.
        const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return response?.status === 200;
      });
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/shortlist_queue_backlog\{queue="extract"\} \d+/);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
