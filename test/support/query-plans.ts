import { drizzle } from 'drizzle-orm/node-postgres';
import type { Pool } from 'pg';
import { schema, type Database } from '@shortlist/db';

/** A statement as the driver sent it. */
export interface CapturedQuery {
  sql: string;
  params: unknown[];
}

/** A node of PostgreSQL's JSON plan (the fields read here; EXPLAIN gives many more). */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Alias?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  'Total Cost': number;
  'Plan Rows': number;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/**
 * The statements a repository method sends, exactly (SQL and parameters): `work` gets a database on the same pool
 * whose driver reports every query. Lets a test or benchmark EXPLAIN what the product runs, not a copy of it.
 */
export async function captureQueries(
  pool: Pool,
  work: (db: Database) => Promise<unknown>,
): Promise<CapturedQuery[]> {
  const queries: CapturedQuery[] = [];
  const db = drizzle(pool, {
    schema,
    logger: { logQuery: (sql, params) => queries.push({ sql, params }) },
  }) as unknown as Database;
  await work(db);
  return queries;
}

/** The plan of a captured statement; with `analyze`, run for real with its timings and buffers. */
export async function explain(
  pool: Pool,
  query: CapturedQuery,
  { analyze = false } = {},
): Promise<{ plan: PlanNode; executionMs?: number }> {
  const options = analyze ? 'ANALYZE, BUFFERS, FORMAT JSON' : 'FORMAT JSON';
  const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time'?: number }] }>(
    `EXPLAIN (${options}) ${query.sql}`,
    query.params,
  );
  const [top] = rows[0]!['QUERY PLAN'];
  return { plan: top.Plan, executionMs: top['Execution Time'] };
}

/** Every node of a plan, depth first. */
export function planNodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(planNodes)];
}

/** A plan in one line per node, indented (for messages and benchmark output). */
export function planOutline(plan: PlanNode, depth = 0): string {
  const on = plan['Index Name'] ?? plan['Relation Name'];
  const line = `${'  '.repeat(depth)}${plan['Node Type']}${on ? ` on ${on}` : ''}${plan['Index Cond'] ? ` (${plan['Index Cond']})` : ''}`;
  return [line, ...(plan.Plans ?? []).map((child) => planOutline(child, depth + 1))].join('\n');
}

/**
 * `count` synthetic documents of one tenant, made in the database (1,000,000 in about a minute): every 100th a
 * posting, the rest resumes, all ready, each with a domain label (of the card's set); three share each millisecond
 * of creation time (ties broken by id), and the n-th carries externalId `ATS-<n>`. Then a posting whose
 * applicants are all the resumes. ANALYZEd, so the planner sees the tables as they are. Returns the posting's id.
 */
export async function seedDocuments(pool: Pool, tenantId: string, count: number): Promise<string> {
  await pool.query(
    `INSERT INTO documents (tenant_id, kind, status, source, external_id, created_at, updated_at)
     SELECT $1::uuid,
            (CASE WHEN g % 100 = 0 THEN 'posting' ELSE 'resume' END)::document_kind,
            'ready',
            jsonb_build_object('type', 'upload', 'filename', 'resume-' || g || '.pdf'),
            'ATS-' || g,
            timestamptz '2026-01-01 00:00:00+00' + (g / 3) * interval '1 millisecond',
            now()
     FROM generate_series(1, $2::int) AS g`,
    [tenantId, count],
  );
  const { rows: models } = await pool.query<{ id: string }>(
    `INSERT INTO models (role, name, version, sha256, dims, max_tokens)
     VALUES ('domain', 'seeded', '1', md5(random()::text), 512, 8192) RETURNING id`,
  );
  await pool.query(
    `INSERT INTO document_domains (document_id, tenant_id, set_id, model_id, label, similarity)
     SELECT id, tenant_id, (SELECT id FROM domain_sets WHERE tenant_id IS NULL AND name = 'card'), $2::uuid,
            (ARRAY['technology', 'healthcare', 'finance', 'education', 'legal'])[1 + abs(hashtext(id::text)) % 5],
            0.7
     FROM documents WHERE tenant_id = $1::uuid`,
    [tenantId, models[0]!.id],
  );
  const { rows: postings } = await pool.query<{ id: string }>(
    `INSERT INTO postings (tenant_id, document_id, title)
     SELECT tenant_id, id, 'Seeded posting' FROM documents WHERE tenant_id = $1::uuid AND kind = 'posting' LIMIT 1
     RETURNING id`,
    [tenantId],
  );
  await pool.query(
    `INSERT INTO applicants (posting_id, document_id, tenant_id, created_at)
     SELECT $2::uuid, id, tenant_id, created_at FROM documents WHERE tenant_id = $1::uuid AND kind = 'resume'`,
    [tenantId, postings[0]!.id],
  );
  await pool.query('ANALYZE documents, document_domains, applicants, postings');
  return postings[0]!.id;
}
