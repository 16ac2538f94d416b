import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { Pool } from 'pg';
import { describeDatabaseError } from './errors';
import * as schema from './schema';

/** Either driver: PostgreSQL through node-postgres, or PGlite (embedded, pgvector bundled). */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Database;
  close(): Promise<void>;
}

export interface PostgresHandle extends DatabaseHandle {
  readonly kind: 'postgres';
  readonly pool: Pool;
}

export interface PgliteHandle extends DatabaseHandle {
  readonly kind: 'pglite';
  readonly client: PGlite;
}

/** Opens a pool on DATABASE_URL and checks that the server answers; setup problems become one clear line. */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<PostgresHandle> {
  const pool = new Pool({ connectionString: url, max: options.max ?? 10 });
  // A client that loses its server (restart, failover) must not crash the process: idle ones are reported on the
  // pool, checked-out ones (a transaction in flight) on the client itself. The query in flight still fails (and
  // its job retries); the pool replaces the client.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end();
    throw describeDatabaseError(error, url);
  }
  return {
    kind: 'postgres',
    pool,
    db: drizzlePg(pool, { schema }) as unknown as Database,
    close: () => pool.end(),
  };
}

/** Opens (or creates) an embedded PGlite database; `dataDir` undefined keeps it in memory. */
export async function openPglite(dataDir?: string): Promise<PgliteHandle> {
  const client = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { vector } });
  return {
    kind: 'pglite',
    client,
    db: drizzlePglite(client, { schema }) as unknown as Database,
    close: () => client.close(),
  };
}

/** Runs a raw statement (a repository's own SQL) and returns its rows, whichever the driver. */
export async function queryRows<T>(db: Pick<Database, 'execute'>, query: SQL): Promise<T[]> {
  // Both drivers answer with an object that has `rows`; drizzle types it per driver.
  const result = await db.execute(query);
  return (result as { rows: T[] }).rows;
}

/** Answers when the database takes a query (readiness probes). */
export async function checkDatabase(db: Pick<Database, 'execute'>): Promise<void> {
  await db.execute(sql`SELECT 1`);
}
