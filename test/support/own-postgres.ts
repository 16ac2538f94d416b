import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openPostgres } from '@shortlist/db';
import { freePort } from './net';

export interface OwnPostgres {
  /** URL of a migrated `shortlist` database on this server. */
  url: string;
  /** Stops the server (fast shutdown: connections are cut, as in a crash or failover). */
  stop(): void;
  start(): void;
  /** Stops and removes the cluster. */
  remove(): void;
}

function binDir(): string {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    const root = '/usr/lib/postgresql';
    const major = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0]!;
    return join(root, major, 'bin');
  }
}

/**
 * A throwaway PostgreSQL cluster of the test's own, on the same binaries (and so the same pgvector) as the shared
 * server, for tests that stop and restart the database — the shared server serves other test files meanwhile.
 * As root, the cluster runs as the `postgres` user (PostgreSQL refuses to run as root).
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'shortlist-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })) : undefined;
  if (owner !== undefined) chownSync(dir, owner, owner);
  const run = (program: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, program), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, program), args, { stdio: 'pipe' });
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  const admin = await openPostgres(`postgres://postgres@127.0.0.1:${port}/postgres`, { max: 1 });
  await admin.pool.query('CREATE DATABASE shortlist');
  await admin.close();
  const url = `postgres://postgres@127.0.0.1:${port}/shortlist`;
  const handle = await openPostgres(url, { max: 1 });
  await migrate(handle);
  await handle.close();
  return {
    url,
    stop,
    start,
    remove: () => {
      if (existsSync(join(data, 'postmaster.pid'))) stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
