import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { coerceError } from '@shortlist/config';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { Database, DatabaseHandle, PgliteHandle, PostgresHandle } from './client';
import { queryRows } from './client';
import { describeDatabaseError } from './errors';
import { sql } from 'drizzle-orm';

/** Serialises migrations when several processes start at once (api and workers). */
const MIGRATION_LOCK = 7_202_611;

/** The repository's `migrations/` folder, found from the source tree or from the bundle in dist/. */
export function migrationsFolder(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`no migrations folder found above ${from}`);
  }
}

/**
 * The file that holds today's definition of every SQL function (and of the triggers that call them), found like
 * the migrations folder. migrate() applies it after the migrations; no migration defines a function.
 */
export function functionsFile(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'libs', 'db', 'sql', 'functions.sql');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`no libs/db/sql/functions.sql found above ${from}`);
  }
}

export interface MigrationReport {
  applied: number;
  total: number;
}

async function appliedCount(db: Database): Promise<number> {
  const [exists] = await queryRows<{ table: string | null }>(
    db,
    sql`SELECT to_regclass('drizzle.__drizzle_migrations')::text AS table`,
  );
  if (!exists?.table) return 0;
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`,
  );
  return Number(row?.n ?? 0);
}

/** Applies every pending migration, on PostgreSQL or PGlite alike; safe to run concurrently and repeatedly. */
export async function migrate(handle: DatabaseHandle): Promise<MigrationReport> {
  const folder = migrationsFolder();
  const total = readMigrationFiles({ migrationsFolder: folder }).length;
  const functions = readFileSync(functionsFile(), 'utf8');
  try {
    if (handle.kind === 'pglite') {
      const before = await appliedCount(handle.db);
      await migratePglite(handle.db as unknown as PgliteDatabase, { migrationsFolder: folder });
      await (handle as PgliteHandle).client.transaction((tx) => tx.exec(functions));
      return { applied: (await appliedCount(handle.db)) - before, total };
    }
    const client = await (handle as PostgresHandle).pool.connect();
    try {
      // Lock, count and migrate on one connection: the pool may hold no other.
      const db = drizzle(client) as unknown as Database;
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const before = await appliedCount(db);
      await migratePg(drizzle(client), { migrationsFolder: folder });
      // Every statement of the file is idempotent (CREATE OR REPLACE): applied whole, every time, atomically.
      await client.query('BEGIN');
      try {
        await client.query(functions);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      return { applied: (await appliedCount(db)) - before, total };
    } finally {
      // A failed unlock means a broken connection: releasing it with the error closes it, and the session's end
      // releases the lock as well.
      const unlocked = await client
        .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
        .then(() => undefined, coerceError);
      client.release(unlocked);
    }
  } catch (error) {
    throw describeDatabaseError(error);
  }
}
