import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { functionsFile, migrate, migrationsFolder, openPostgres, type PostgresHandle } from '@shortlist/db';

/** Databases made by tests are named `shortlist_test_<unix seconds>_<random>` so stale ones can be swept. */
const TEST_DB_PREFIX = 'shortlist_test_';
const STALE_AFTER_SECONDS = 6 * 3600;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function migrationsHash(): string {
  const folder = migrationsFolder(__dirname);
  const hash = createHash('sha256');
  for (const file of readdirSync(folder).sort()) {
    if (file.endsWith('.sql')) hash.update(file).update(readFileSync(join(folder, file)));
  }
  hash.update(readFileSync(join(folder, 'meta', '_journal.json')));
  hash.update(readFileSync(functionsFile(__dirname)));
  return hash.digest('hex').slice(0, 12);
}

/**
 * A database migrated to the current migrations, used as the TEMPLATE of every test database (cloning is
 * far quicker than migrating). Named after the migrations' hash and when it was built
 * (`shortlist_tpl_<hash>_<unix seconds>`), so an edited migration gets a new template, and a template of other
 * migrations is dropped only once it is stale: jest runs of two checkouts with different migrations (a branch
 * beside main) may share this server at the same time.
 */
export async function prepareTemplateDatabase(url: string): Promise<string> {
  const prefix = `shortlist_tpl_${migrationsHash()}_`;
  return admin(url, async (client) => {
    // Several jest runs may start at once: one builds, the others wait for it.
    await client.query('SELECT pg_advisory_lock(7202612)');
    try {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'shortlist\\_tpl\\_%' OR datname LIKE $1`,
        [`${TEST_DB_PREFIX.replace(/_/g, '\\_')}%`],
      );
      const now = Date.now() / 1000;
      // Test databases: shortlist_test_<unix seconds>_<random>; templates: shortlist_tpl_<hash>_<unix seconds>.
      const createdAt = (name: string) =>
        Number(name.startsWith(TEST_DB_PREFIX) ? name.split('_')[2] : name.split('_').at(-1));
      for (const { datname } of rows) {
        const ours = datname.startsWith(prefix) && !datname.endsWith('_building');
        if (ours) continue;
        const age = now - createdAt(datname);
        // Unparseable names (older layouts, interrupted builds) count as stale.
        if (!(age < STALE_AFTER_SECONDS))
          await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
      const existing = rows.find((r) => r.datname.startsWith(prefix) && !r.datname.endsWith('_building'));
      if (existing) return existing.datname;
      const name = `${prefix}${Math.floor(now)}`;
      const building = `${name}_building`;
      await client.query(`CREATE DATABASE "${building}"`);
      const handle = await openPostgres(withDatabase(url, building), { max: 1 });
      try {
        await migrate(handle);
      } finally {
        await handle.close();
      }
      await client.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
      return name;
    } finally {
      await client.query('SELECT pg_advisory_unlock(7202612)');
    }
  });
}

export interface TestDatabase extends PostgresHandle {
  readonly url: string;
  readonly name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh database of its own for one test file (or one test): migrated (a clone of the template), or empty for
 * whatever is to migrate it (`{ migrated: false }`).
 */
export async function createTestDatabase({ migrated = true } = {}): Promise<TestDatabase> {
  const url = process.env.DATABASE_URL!;
  const name = `${TEST_DB_PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const template = migrated ? ` TEMPLATE "${process.env.SHORTLIST_TEST_TEMPLATE_DB!}"` : '';
  await admin(url, (client) => client.query(`CREATE DATABASE "${name}"${template}`));
  const dbUrl = withDatabase(url, name);
  const handle = await openPostgres(dbUrl);
  return {
    ...handle,
    url: dbUrl,
    name,
    drop: async () => {
      await handle.close();
      await admin(url, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** How many migrations the journal holds (what a fresh database gets applied). */
export const MIGRATION_COUNT = (
  JSON.parse(readFileSync(join(migrationsFolder(__dirname), 'meta', '_journal.json'), 'utf8')) as {
    entries: unknown[];
  }
).entries.length;
