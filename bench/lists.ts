import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import {
  DocumentRepository,
  PostingRepository,
  TenantRepository,
  queryRows,
  type Database,
  type Keyset,
} from '@shortlist/db';
import { createTestDatabase } from '../test/support/database';
import {
  captureQueries,
  explain,
  planNodes,
  planOutline,
  seedDocuments,
  type PlanNode,
} from '../test/support/query-plans';
import { ensureServices } from '../test/support/services';

/**
 * `npm run bench:lists`: the queries of GET /v1/documents and GET /v1/postings/:id/applicants (the repositories'
 * own SQL, captured from the driver) on one tenant with BENCH_LIST_DOCUMENTS (1,000,000) documents, each with a
 * domain label, and a posting whose applicants are all its resumes (990,000). EXPLAIN ANALYZEd for the first page,
 * a middle page and the last full page (cursor after row N - 101), documents unfiltered and filtered by kind and
 * externalId, BENCH_LIST_LIMIT (100) rows a page. Each page is run 5 times (median; the first warms the cache).
 * For contrast, the same last page of documents reached with OFFSET instead of a cursor.
 *
 * Writes bench/results/lists-<time>.json and prints a table. BENCH_EXPLAIN=1 prints the plans.
 */

const root = join(__dirname, '..');
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

function step(message: string): void {
  process.stderr.write(`bench:lists: ${message}\n`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Row {
  list: string;
  page: string;
  scan: string;
  estimatedCost: number;
  medianMs: number;
  buffers: number;
  rows: number;
}

/** Shared buffers a plan touched (hit or read), summed over its nodes' own counts (the top node's include all). */
const buffersOf = (plan: PlanNode) => (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);

async function main(): Promise<void> {
  const count = env('BENCH_LIST_DOCUMENTS', 1_000_000);
  const limit = env('BENCH_LIST_LIMIT', 100);
  await ensureServices();
  const database = await createTestDatabase();
  try {
    const { pool, db } = database;
    const tenant = (await new TenantRepository(db).ensure('bench')).tenantId;
    // A second tenant's rows in the same table, so the tenant condition is part of every scan.
    const other = (await new TenantRepository(db).ensure('other')).tenantId;
    const started = performance.now();
    step(`seeding ${count.toLocaleString('en')} documents (and 10,000 of another tenant)`);
    await seedDocuments(pool, other, 10_000);
    const posting = await seedDocuments(pool, tenant, count);
    const seedSeconds = (performance.now() - started) / 1000;
    const keyAt = async (offset: number) => {
      const [row] = await queryRows<{ key: string; id: string }>(
        db,
        sql`SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key, id
            FROM documents WHERE tenant_id = ${tenant} ORDER BY created_at, id OFFSET ${offset} LIMIT 1`,
      );
      return { createdAt: row!.key, id: row!.id };
    };
    const pages = {
      first: undefined,
      middle: await keyAt(Math.floor(count / 2)),
      last: await keyAt(count - limit - 1),
    };
    const lists: [string, (db: Database, after: Keyset | undefined) => Promise<unknown>][] = [
      ['documents', (d, after) => new DocumentRepository(d).list(tenant, { after, limit })],
      [
        'documents?kind=posting',
        (d, after) => new DocumentRepository(d).list(tenant, { kind: 'posting', after, limit }),
      ],
      [
        `documents?externalId=ATS-${count - 10}`,
        (d, after) =>
          new DocumentRepository(d).list(tenant, { externalId: `ATS-${count - 10}`, after, limit }),
      ],
      // Applicants were added with their documents' creation times: a document's key is a position among them.
      [
        'applicants',
        (d, after) => new PostingRepository(d).listApplicants(tenant, posting, { after, limit }),
      ],
    ];
    const rows: Row[] = [];
    const plans: Record<string, string> = {};
    for (const [label, list] of lists) {
      for (const [page, after] of Object.entries(pages)) {
        const [query] = await captureQueries(pool, (captured) => list(captured, after));
        const runs = [];
        for (let i = 0; i < 5; i++) runs.push(await explain(pool, query!, { analyze: true }));
        const { plan } = runs.at(-1)!;
        const scan = planNodes(plan).find((n) => n['Index Cond']?.includes('tenant_id'));
        rows.push({
          list: label,
          page,
          scan: `${scan?.['Node Type']} ${scan?.['Index Name'] ?? ''}`.trim(),
          estimatedCost: plan['Total Cost'],
          medianMs: median(runs.map((r) => r.executionMs!)),
          buffers: buffersOf(plan),
          rows: plan['Actual Rows'] ?? 0,
        });
        plans[`${label} ${page}`] = planOutline(plan);
      }
    }
    // The page OFFSET would give: what keyset paging avoids.
    const offsetQuery = {
      sql: `SELECT id, created_at FROM documents WHERE tenant_id = $1 ORDER BY created_at, id OFFSET $2 LIMIT $3`,
      params: [tenant, count - limit, limit],
    };
    const offsetRuns = [];
    for (let i = 0; i < 3; i++) offsetRuns.push(await explain(pool, offsetQuery, { analyze: true }));
    rows.push({
      list: 'documents with OFFSET (contrast)',
      page: 'last',
      scan: 'OFFSET',
      estimatedCost: offsetRuns.at(-1)!.plan['Total Cost'],
      medianMs: median(offsetRuns.map((r) => r.executionMs!)),
      buffers: buffersOf(offsetRuns.at(-1)!.plan),
      rows: offsetRuns.at(-1)!.plan['Actual Rows'] ?? 0,
    });
    plans['offset last'] = planOutline(offsetRuns.at(-1)!.plan);

    const [version] = await queryRows<{ version: string }>(db, sql`SELECT version()`);
    const result = {
      benchmark: 'lists',
      when: new Date().toISOString(),
      postgres: version!.version,
      documents: count,
      limit,
      seedSeconds,
      rows,
      plans,
    };
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    const file = join(root, 'bench', 'results', `lists-${result.when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    if (process.env.BENCH_EXPLAIN === '1') {
      for (const [name, plan] of Object.entries(plans)) process.stdout.write(`\n${name}\n${plan}\n`);
    }
    process.stdout.write(
      `\nLists of one tenant with ${count.toLocaleString('en')} documents, ${limit} a page (${version!.version.split(',')[0]})\n`,
    );
    console.table(
      rows.map((r) => ({
        list: r.list,
        page: r.page,
        scan: r.scan,
        'est. cost': r.estimatedCost,
        'median ms': Number(r.medianMs.toFixed(3)),
        buffers: r.buffers,
        rows: r.rows,
      })),
    );
    process.stdout.write(`written to ${file}\n`);
  } finally {
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
