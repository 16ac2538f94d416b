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
 * posting, the rest resumes, all ready; three share each millisecond of creation time (ties broken by id), and the
 * n-th carries externalId `ATS-<n>`. ANALYZEd, so the planner sees the table as it is.
 */
export async function seedDocuments(pool: Pool, tenantId: string, count: number): Promise<void> {
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
  await pool.query('ANALYZE documents');
}
