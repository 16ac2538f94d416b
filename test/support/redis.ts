import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from './net';

/** A queue key prefix of its own, so test files never see each other's jobs. */
export function uniquePrefix(): string {
  return `shortlist-test-${randomBytes(6).toString('hex')}`;
}

/** Removes every key under a prefix. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export interface OwnRedis {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Stops the server and starts it again on the same port and arguments (with `--appendonly yes`, jobs survive). */
  restart(): Promise<void>;
}

function spawnRedis(args: string[]): ChildProcess {
  return spawn('redis-server', args, { stdio: 'ignore' });
}

async function untilAnswering(url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        if (probe.status !== 'ready') await probe.connect();
        await probe.ping();
        return;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    probe.disconnect();
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A throwaway redis-server of the test's own (to restart it, or to give it settings the shared one must not have). */
export async function startOwnRedis(args: string[] = []): Promise<OwnRedis> {
  const port = await freePort();
  const fullArgs = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...args];
  const url = `redis://127.0.0.1:${port}`;
  const own: OwnRedis = {
    url,
    process: spawnRedis(fullArgs),
    stop: () => stopProcess(own.process),
    restart: async () => {
      await stopProcess(own.process);
      own.process = spawnRedis(fullArgs);
      await untilAnswering(url);
    },
  };
  await untilAnswering(url);
  return own;
}
