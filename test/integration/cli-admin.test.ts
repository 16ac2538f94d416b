import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiKeyRepository } from '@shortlist/db';
import { runCli } from '../support/cli';
import { MIGRATION_COUNT, createTestDatabase, type TestDatabase } from '../support/database';

/** An empty database (no template) on the test server, dropped afterwards. */
async function withEmptyDatabase(work: (url: string) => void): Promise<void> {
  const server = process.env.DATABASE_URL!;
  const name = `shortlist_test_${Math.floor(Date.now() / 1000)}_empty${process.pid}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  try {
    const url = new URL(server);
    url.pathname = `/${name}`;
    work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

describe('shortlist migrate', () => {
  it('applies every migration to an empty PostgreSQL database, then nothing', async () => {
    await withEmptyDatabase((url) => {
      const first = runCli(['migrate'], { DATABASE_URL: url });
      expect(first).toMatchObject({
        status: 0,
        stdout: `applied ${MIGRATION_COUNT} of ${MIGRATION_COUNT} migrations\n`,
      });
      const second = runCli(['migrate'], { DATABASE_URL: url });
      expect(second).toMatchObject({
        status: 0,
        stdout: `database is up to date (${MIGRATION_COUNT} migrations)\n`,
      });
    });
  });

  it('migrates the embedded PGlite database of a data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shortlist-cli-'));
    try {
      expect(runCli(['migrate', '--data-dir', dir], { DATABASE_URL: '' })).toMatchObject({
        status: 0,
        stdout: `applied ${MIGRATION_COUNT} of ${MIGRATION_COUNT} migrations\n`,
      });
      expect(runCli(['migrate', '--data-dir', dir])).toMatchObject({ status: 0, stdout: /up to date/ });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      { DATABASE_URL: 'mysql://db' },
      78,
      'shortlist: Configuration error: DATABASE_URL must be a postgres:// URL',
    ],
    [{ DATABASE_URL: '' }, 78, 'shortlist: Configuration error: DATABASE_URL is not set'],
    [
      { DATABASE_URL: 'postgres://x:y@127.0.0.1:1/db' },
      69,
      'shortlist: PostgreSQL is not reachable at 127.0.0.1:1',
    ],
  ])('stops on %j with one line and exit code %i', (env, code, message) => {
    const result = runCli(['migrate'], env);
    expect(result.status).toBe(code);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the variable on a wrong unrelated setting too', () => {
    const result = runCli(['migrate'], { PORT: 'eighty' });
    expect(result.status).toBe(78);
    expect(result.stderr).toBe(
      'shortlist: Configuration error: PORT must be a TCP port (1-65535) (got "eighty")\n',
    );
  });
});

describe('shortlist keys create', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('prints a new key as the last line and stores only its hash', async () => {
    const result = runCli(['keys', 'create', '--tenant', 'acme'], { DATABASE_URL: database.url });
    expect(result.status).toBe(0);
    const key = result.stdout.trim().split('\n').pop()!;
    expect(key).toMatch(/^sl_[A-Za-z0-9_-]{43}$/);
    const found = await new ApiKeyRepository(database.db).findTenantOfKey(key);
    expect(found).toBeDefined();
    const { rows } = await database.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM api_keys WHERE key_hash = $1 OR prefix = $1',
      [key],
    );
    expect(rows[0]!.n).toBe(0);
    const again = runCli(['keys', 'create', '--tenant', 'acme'], { DATABASE_URL: database.url });
    expect(again.stdout.trim()).not.toBe(key);
    const tenants = await database.pool.query('SELECT * FROM tenants');
    expect(tenants.rowCount).toBe(1);
  });
});
