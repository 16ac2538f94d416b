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

/**
 * A redis-server of the test's own, resolved once it logs that it accepts connections (after loading its
 * append-only file, when it has one); rejected, with its log, if it exits first.
 */
function spawnRedis(args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let log = '';
    let ready = false;
    const onExit = (code: number | null) =>
      reject(
        new Error(`redis-server ${args.join(' ')} exited (${code}) before accepting connections:\n${log}`),
      );
    child.once('exit', onExit);
    // Read to the end either way: a full pipe would block the server's logging.
    child.stdout.on('data', (chunk: Buffer) => {
      if (ready) return;
      log += chunk.toString();
      if (!/Ready to accept connections/.test(log)) return;
      ready = true;
      child.off('exit', onExit);
      resolve(child);
    });
  });
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
    process: await spawnRedis(fullArgs),
    stop: () => stopProcess(own.process),
    restart: async () => {
      await stopProcess(own.process);
      own.process = await spawnRedis(fullArgs);
    },
  };
  return own;
}
