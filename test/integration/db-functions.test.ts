import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import {
  RankingRepository,
  functionsFile,
  migrate,
  migrationsFolder,
  openPostgres,
  queryRows,
  type Database,
  type PostgresHandle,
} from '@shortlist/db';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectedRanking, seed, type Fixture } from '../support/ranking-fixture';

/** SQL text without its comments (a comment may name a function without defining it). */
function withoutComments(text: string): string {
  return text.replace(/--[^\n]*/g, '');
}

const FUNCTIONS_SQL = readFileSync(functionsFile(__dirname), 'utf8');

/** The functions functions.sql declares, by name. */
const declared = [...withoutComments(FUNCTIONS_SQL).matchAll(/CREATE OR REPLACE FUNCTION\s+(\w+)\s*\(/g)].map(
  (m) => m[1]!,
);

/** Each function of the schema (not an extension's): its full definition and its comment, by signature. */
async function functionDefinitions(db: Pick<Database, 'execute'>): Promise<Map<string, string>> {
  const rows = await queryRows<{ signature: string; definition: string; comment: string | null }>(
    db,
    sql`SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS definition,
               obj_description(p.oid, 'pg_proc') AS comment
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
  );
  return new Map(rows.map((r) => [r.signature, `${r.definition}\n-- comment: ${r.comment}`]));
}

/**
 * The functions of `db` that differ from functions.sql: each is compared with what the file makes of it, applied
 * in a transaction that is rolled back.
 */
async function driftFromFile(handle: PostgresHandle): Promise<string[]> {
  const client = await handle.pool.connect();
  try {
    await client.query('BEGIN');
    const db = { execute: (q: ReturnType<typeof sql>) => handle.db.execute(q) };
    const before = await functionDefinitions(db);
    await client.query(FUNCTIONS_SQL);
    const { rows } = await client.query<{ signature: string; definition: string; comment: string | null }>(
      `SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS definition,
              obj_description(p.oid, 'pg_proc') AS comment
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public'
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
    );
    const after = new Map(rows.map((r) => [r.signature, `${r.definition}\n-- comment: ${r.comment}`]));
    const names = new Set([...before.keys(), ...after.keys()]);
    return [...names].filter((name) => before.get(name) !== after.get(name)).sort();
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe('SQL functions: one current definition, in libs/db/sql/functions.sql', () => {
  let database: TestDatabase;
  let fixture: Fixture;

  beforeAll(async () => {
    database = await createTestDatabase();
    fixture = await seed(database.db);
  });
  afterAll(() => database.drop());

  it('the migrated database holds exactly the functions of the file, each with a comment', async () => {
    const definitions = await functionDefinitions(database.db);
    const names = [...definitions.keys()].map((signature) => signature.replace(/\(.*$/, ''));
    expect(names.sort()).toEqual([...declared].sort());
    const uncommented = [...definitions].filter(([, d]) => d.endsWith('-- comment: null')).map(([s]) => s);
    expect(uncommented).toEqual([]);
    expect(await driftFromFile(database)).toEqual([]);
  });

  it('a function changed outside the file is found, and migrate() puts the file’s definition back', async () => {
    await database.db.execute(sql`ALTER FUNCTION shortlist_rank_pool SET hnsw.ef_search = 40`);
    await database.db.execute(
      sql`CREATE FUNCTION shortlist_leftover(p_x integer) RETURNS integer LANGUAGE sql AS $$ SELECT p_x $$`,
    );
    expect(await driftFromFile(database)).toEqual([
      'shortlist_rank_pool(uuid,integer,double precision,double precision,double precision,boolean,uuid,uuid,integer)',
    ]);
    await migrate(database);
    expect(await driftFromFile(database)).toEqual([]);
    // A function the file does not declare is not the file's to remove: a migration drops it, and the first test
    // (exactly the file's functions) fails until one does.
    const names = [...(await functionDefinitions(database.db)).keys()];
    expect(names).toContain('shortlist_leftover(integer)');
    await database.db.execute(sql`DROP FUNCTION shortlist_leftover(integer)`);
  });

  it('no migration creates, replaces or alters a function or a trigger', () => {
    const folder = migrationsFolder(__dirname);
    const offenders = readdirSync(folder)
      .filter((file) => file.endsWith('.sql'))
      .filter((file) =>
        /\b(CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE|TRIGGER)|ALTER\s+(FUNCTION|PROCEDURE))\b/i.test(
          withoutComments(readFileSync(join(folder, file), 'utf8')),
        ),
      );
    expect(offenders).toEqual([]);
    expect(declared).toContain('shortlist_rank_applicants');
  });

  it('the ranking functions refuse an unknown posting and parameters out of range', async () => {
    const unknown = '00000000-0000-4000-8000-000000000001';
    const call = (text: string, ...values: unknown[]) => database.pool.query(text, values);
    await expect(call('SELECT * FROM shortlist_rank_applicants($1)', unknown)).rejects.toThrow(
      `unknown posting ${unknown}`,
    );
    await expect(call('SELECT * FROM shortlist_rank_pool($1)', unknown)).rejects.toThrow(
      `unknown posting ${unknown}`,
    );
    await expect(call('SELECT * FROM shortlist_similar_candidates($1)', unknown)).rejects.toThrow(
      `unknown posting ${unknown}`,
    );
    const posting = fixture.postingId;
    await expect(
      call('SELECT * FROM shortlist_rank_applicants($1, p_threshold => 1.5)', posting),
    ).rejects.toThrow('threshold must be between -1 and 1 (a cosine similarity), got 1.5');
    await expect(call('SELECT * FROM shortlist_rank_pool($1, 10, -2)', posting)).rejects.toThrow(
      'threshold must be between -1 and 1',
    );
    await expect(call('SELECT * FROM shortlist_rank_applicants($1, p_boost => -1)', posting)).rejects.toThrow(
      'boost must be between 0 and 10, got -1',
    );
    await expect(call('SELECT * FROM shortlist_rank_pool($1, 0)', posting)).rejects.toThrow(
      'p_k and p_candidates must be positive',
    );
    // In range, the same call ranks.
    const ranked = await new RankingRepository(database.db).rankApplicants(posting, {
      params: { threshold: 1 },
    });
    expect(ranked.map((r) => r.documentId)).toEqual(expectedRanking(fixture, 1).map((e) => e.documentId));
    // Penalty 0 at threshold 1: every score is 0, and the order is by meaning (semantic), not by document id.
    const zeroes = await new RankingRepository(database.db).rankApplicants(posting, {
      params: { threshold: 1, penalty: 0 },
    });
    expect(zeroes.every((r) => r.final === 0)).toBe(true);
    expect(zeroes.map((r) => r.documentId)).toEqual(
      expectedRanking(fixture, 1, 1.2, 0).map((e) => e.documentId),
    );
    const semantics = zeroes.map((r) => r.semantic);
    expect(semantics).toEqual([...semantics].sort((a, b) => b - a));
  });
});

describe('database roles: the application and analysts', () => {
  let database: TestDatabase;
  const suffix = randomBytes(4).toString('hex');
  const password = randomBytes(12).toString('hex');
  const appRole = `shortlist_test_app_${suffix}`;
  const analystRole = `shortlist_test_analyst_${suffix}`;
  let app: PostgresHandle;
  let analyst: Client;

  const as = (role: string) => {
    const url = new URL(database.url);
    url.username = role;
    url.password = password;
    return url.toString();
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.pool.query(`CREATE ROLE ${appRole} LOGIN PASSWORD '${password}' IN ROLE shortlist_app`);
    await database.pool.query(
      `CREATE ROLE ${analystRole} LOGIN PASSWORD '${password}' IN ROLE shortlist_analyst`,
    );
    app = await openPostgres(as(appRole));
    analyst = new Client({ connectionString: as(analystRole) });
    await analyst.connect();
  });
  afterAll(async () => {
    await analyst?.end();
    await app?.close();
    await database.drop(); // closes its pool too
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`DROP ROLE IF EXISTS ${appRole}`);
      await admin.query(`DROP ROLE IF EXISTS ${analystRole}`);
    } finally {
      await admin.end();
    }
  });

  it('the application role does its work (models and their indexes too) and no more; analysts only read', async () => {
    // Tenants, documents, models with their HNSW index, vectors, postings, applicants: all as the app's role.
    const fixture = await seed(app.db);
    const ranked = await new RankingRepository(app.db).rankApplicants(fixture.postingId);
    expect(ranked.map((r) => r.documentId)).toEqual(expectedRanking(fixture).map((e) => e.documentId));

    await expect(app.pool.query('CREATE TABLE intruder (x int)')).rejects.toThrow(/permission denied/);
    await expect(app.pool.query('DROP TABLE applicants')).rejects.toThrow(/must be owner/);
    await expect(app.pool.query('TRUNCATE screening_results')).rejects.toThrow(/permission denied/);

    const { rows } = await analyst.query('SELECT document_id FROM shortlist_rank_applicants($1)', [
      fixture.postingId,
    ]);
    expect(rows.map((r: { document_id: string }) => r.document_id)).toEqual(ranked.map((r) => r.documentId));
    await expect(analyst.query('DELETE FROM applicants')).rejects.toThrow(/permission denied/);
    await expect(analyst.query(`INSERT INTO tenants (name) VALUES ('x')`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(analyst.query('SELECT key_hash FROM api_keys')).rejects.toThrow(/permission denied/);
    await expect(
      analyst.query('SELECT shortlist_ensure_model_index($1)', [fixture.semantic.id]),
    ).rejects.toThrow(/permission denied/);
  });
});
