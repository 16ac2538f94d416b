import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiKeyRepository, hashApiKey } from '@shortlist/db';
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

  it('does not check a setting it does not read (the API’s PORT): it goes on to the database', () => {
    const result = runCli(['migrate'], { PORT: 'eighty', DATABASE_URL: 'postgres://x:y@127.0.0.1:1/db' });
    expect(result.status).toBe(69);
    expect(result.stderr).not.toContain('PORT');
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

describe('shortlist keys list and revoke', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('lists keys by the start of their hash, never the key, and revokes one by id or hash prefix', async () => {
    const env = { DATABASE_URL: database.url };
    const issued = [
      runCli(['keys', 'create', '--tenant', 'acme'], env),
      runCli(['keys', 'create', '--tenant', 'acme'], env),
      runCli(['keys', 'create', '--tenant', 'globex'], env),
    ].map((r) => r.stdout.trim().split('\n').pop()!);
    const hashes = issued.map(hashApiKey);

    const listed = runCli(['keys', 'list'], env);
    expect(listed.status).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+tenant\s+prefix\s+sha256\s+created\s+revoked$/);
    expect(lines).toHaveLength(4);
    for (const [i, key] of issued.entries()) {
      expect(listed.stdout).not.toContain(key);
      expect(listed.stdout).not.toContain(hashes[i]);
      expect(lines[i + 1]).toContain(`${key.slice(0, 8)}…`);
      expect(lines[i + 1]).toContain(`${hashes[i]!.slice(0, 12)}…`);
      expect(lines[i + 1]).toMatch(/\s-$/);
    }
    expect(runCli(['keys', 'list', '--tenant', 'globex'], env).stdout.trim().split('\n')).toHaveLength(2);

    const byHash = runCli(['keys', 'revoke', hashes[0]!.slice(0, 12)], env);
    expect(byHash.status).toBe(0);
    expect(byHash.stdout).toMatch(/^revoked [0-9a-f-]{36} \(tenant acme, /);
    const keys = new ApiKeyRepository(database.db);
    expect(await keys.findTenantOfKey(issued[0]!)).toBeUndefined();
    expect(await keys.findTenantOfKey(issued[1]!)).toBeDefined();

    const id = (await keys.list('globex'))[0]!.id;
    expect(runCli(['keys', 'revoke', id], env).status).toBe(0);
    expect(await keys.findTenantOfKey(issued[2]!)).toBeUndefined();
    expect(runCli(['keys', 'list'], env).stdout.trim().split('\n')[3]).toMatch(/\d{4}-\d\d-\d\dT\S+Z$/);

    const unknown = runCli(['keys', 'revoke', '00000000'], env);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe(
      'shortlist: no API key with id or sha256 prefix 00000000 (`shortlist keys list` shows them)\n',
    );
    expect(runCli(['keys', 'revoke', '1234'], env)).toMatchObject({
      status: 64,
      stderr: 'shortlist: 1234: give a key id or at least 8 hex digits of its sha256\n',
    });
  });
});
