import { inArray, sql } from 'drizzle-orm';
import { Client } from 'pg';
import {
  DocumentRepository,
  EmbeddingRepository,
  PostingRepository,
  RankingRepository,
  ScreeningRepository,
  TenantRepository,
  WebhookRepository,
  migrate,
  openPglite,
  queryRows,
  schema,
  type ScreeningRun,
} from '@shortlist/db';
import { MIGRATION_COUNT, createTestDatabase, type TestDatabase } from '../support/database';
import { auditCandidates } from '@shortlist/scoring';
import { DIMS, dot, expectedRanking, seed, type Fixture } from '../support/ranking-fixture';
import { waitFor } from '../support/net';
import { normalise, seededRandom } from '../support/vectors';

describe('schema and analyst SQL on PostgreSQL', () => {
  let database: TestDatabase;
  let fixture: Fixture;

  beforeAll(async () => {
    database = await createTestDatabase();
    fixture = await seed(database.db);
  });
  afterAll(() => database.drop());

  it('runs on pgvector 0.8 or newer', async () => {
    const [row] = await queryRows<{ v: string }>(
      database.db,
      sql`SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'`,
    );
    expect(row!.v.split('.').map(Number)).toEqual(expect.arrayContaining([0]));
    expect(Number(row!.v.split('.')[1])).toBeGreaterThanOrEqual(8);
  });

  it('re-running the migrations applies nothing', async () => {
    await expect(migrate(database)).resolves.toEqual({ applied: 0, total: MIGRATION_COUNT });
  });

  it('carries tenant_id on every table but the shared model catalogue and the labels of domain sets', async () => {
    const rows = await queryRows<{ table_name: string; has_tenant: boolean }>(
      database.db,
      sql`SELECT t.table_name, EXISTS (SELECT 1 FROM information_schema.columns c
            WHERE c.table_name = t.table_name AND c.column_name = 'tenant_id') AS has_tenant
          FROM information_schema.tables t WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'`,
    );
    const without = rows.filter((r) => !r.has_tenant).map((r) => r.table_name);
    // A set's labels and prototypes belong to their set, which carries tenant_id (NULL for the card's 13,
    // shared reference data like the models).
    expect(without.sort()).toEqual(['domain_labels', 'domain_prototypes', 'models']);
    expect(rows).toHaveLength(20);
  });

  it('ranks applicants by the hybrid score exactly as an independent recomputation', async () => {
    const ranked = await new RankingRepository(database.db).rankApplicants(fixture.postingId);
    const expected = expectedRanking(fixture);
    expect(ranked).toHaveLength(60);
    expect(ranked.map((r) => r.documentId)).toEqual(expected.map((e) => e.documentId));
    ranked.forEach((r, i) => {
      expect(r.rank).toBe(i + 1);
      expect(r.semantic).toBeCloseTo(expected[i]!.semantic, 5);
      expect(r.domain).toBeCloseTo(expected[i]!.domain, 5);
      expect(r.final).toBeCloseTo(expected[i]!.final, 4);
      expect(r.unclipped).toBeCloseTo(expected[i]!.unclipped, 4);
      expect(r.sameDomain).toBe(expected[i]!.domain > 0.5);
    });
  });

  it('takes parameters from the call, then the posting, then the defaults, and applies the hard gate', async () => {
    const rankings = new RankingRepository(database.db);
    const loose = await rankings.rankApplicants(fixture.postingId, { params: { threshold: -1 } });
    expect(loose.every((r) => r.sameDomain)).toBe(true);
    const expected = expectedRanking(fixture, 0.1, 1.5, 0.2);
    await database.db
      .update(schema.postings)
      .set({ params: { threshold: 0.1, boost: 1.5, penalty: 0.2 } })
      .where(sql`id = ${fixture.postingId}`);
    const withOverrides = await rankings.rankApplicants(fixture.postingId);
    expect(withOverrides.map((r) => r.documentId)).toEqual(expected.map((e) => e.documentId));
    const gated = await rankings.rankApplicants(fixture.postingId, { params: { hardGate: true } });
    expect(gated.length).toBe(expected.filter((e) => e.domain > 0.1).length);
    expect(gated.every((r) => r.sameDomain)).toBe(true);
    await database.db
      .update(schema.postings)
      .set({ params: {} })
      .where(sql`id = ${fixture.postingId}`);
  });

  it('finds the k most similar resumes of the tenant only, through the HNSW index', async () => {
    const similar = await new RankingRepository(database.db).findSimilarCandidates(fixture.postingId, 10);
    const exact = fixture.resumes
      .map((r) => ({ id: r.id, s: dot(r.semantic, fixture.postingVectors.semantic) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 10);
    expect(similar).toHaveLength(10);
    expect(similar.map((s) => s.documentId)).toEqual(exact.map((e) => e.id));
    similar.forEach((s, i) => expect(s.similarity).toBeCloseTo(exact[i]!.s, 5));

    // The analyst function's query shape matches the model's partial index: with sorting priced out (as the
    // planner does on a large tenant), it is an ordered scan of that index. Small tenants are sorted exactly.
    const plan = await database.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      await tx.execute(sql`SET LOCAL enable_sort = off`);
      return queryRows<{ 'QUERY PLAN': string }>(
        tx,
        sql.raw(`EXPLAIN SELECT document_id FROM embeddings
          WHERE model_id = '${fixture.semantic.id}' AND tenant_id = '${fixture.tenantId}'
          ORDER BY embedding::vector(${DIMS}) <#> '[${fixture.postingVectors.semantic.join(',')}]'::vector(${DIMS})
          LIMIT 10`),
      );
    });
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toContain(`embeddings_hnsw_${fixture.semantic.id.replace(/-/g, '')}`);
  });

  it('keeps screening results append-only', async () => {
    const db = database.db;
    const [run] = await db
      .insert(schema.screeningRuns)
      .values({
        tenantId: fixture.tenantId,
        postingId: fixture.postingId,
        scope: 'applicants',
        trigger: 'api',
        params: { threshold: 0.5, boost: 1.2, penalty: 0.6, hardGate: false },
      })
      .returning();
    await db.insert(schema.screeningResults).values({
      runId: run!.id,
      tenantId: fixture.tenantId,
      rank: 1,
      documentId: fixture.resumes[0]!.id,
      final: 50,
      unclipped: 50,
      semantic: 0.5,
      domain: 0.7,
      sameDomain: true,
    });
    await expect(
      db
        .update(schema.screeningResults)
        .set({ final: 99 })
        .where(sql`run_id = ${run!.id}`),
    ).rejects.toMatchObject({
      cause: { message: 'screening_results is append-only: rows cannot be updated' },
    });
  });

  // A screening run of the fixture's posting with the default parameters, and the results a document has.
  const screenings = () => new ScreeningRepository(database.db);
  const newRun = (options: { hardGate?: boolean; top?: number; scope?: 'applicants' | 'pool' } = {}) =>
    screenings().createRun({
      tenantId: fixture.tenantId,
      postingId: fixture.postingId,
      scope: options.scope ?? 'applicants',
      trigger: 'api',
      params: { threshold: 0.5, boost: 1.2, penalty: 0.6, hardGate: options.hardGate ?? false },
      top: options.top,
      semanticModelId: fixture.semantic.id,
      domainModelId: fixture.domain.id,
    });
  const resultsOf = async (documentId: string) =>
    (
      await queryRows<{ n: number }>(
        database.db,
        sql`SELECT count(*)::int AS n FROM screening_results WHERE document_id = ${documentId}`,
      )
    )[0]!.n;

  it('stores a run as the independent recomputation ranks it, hard gate and top included', async () => {
    const run = await newRun({ hardGate: true, top: 10 });
    const completed = await screenings().complete(run, { waitForPending: true });
    expect(completed).toMatchObject({ status: 'completed', pending: [] });
    const stored = await screenings().listResults(fixture.tenantId, run.id, 100, 0);
    const expected = expectedRanking(fixture)
      .filter((e) => e.domain > 0.5)
      .slice(0, 10);
    expect(stored.map((r) => [r.rank, r.documentId])).toEqual(expected.map((e, i) => [i + 1, e.documentId]));
    // The gate's audit, over every candidate before the hard gate and the top 10, as libs/scoring counts it.
    if (completed.status !== 'completed') throw new Error(`run ${completed.status}`);
    const { reviewCutoff, ...counts } = auditCandidates(expectedRanking(fixture), run.params);
    expect(counts.removedByGate).toBeGreaterThan(0);
    expect(completed.audit).toMatchObject(counts);
    expect(completed.audit.reviewCutoff).toBeCloseTo(reviewCutoff!, 6);
    expect((await screenings().findRun(fixture.tenantId, run.id))!.audit).toEqual(completed.audit);
  });

  /**
   * Runs `test` with resumes of the fixture's tenant that have no vectors, in the given statuses (applicants of
   * the fixture's posting when `applicants`), and erases them after it: later tests rank the fixture as it was.
   */
  async function withResumesWithoutVectors(
    statuses: ('queued' | 'embedding' | 'failed')[],
    { applicants }: { applicants: boolean },
    test: (ids: string[]) => Promise<void>,
  ) {
    const ids: string[] = [];
    for (const status of statuses) {
      const document = await new DocumentRepository(database.db).create({
        tenantId: fixture.tenantId,
        kind: 'resume',
        source: { type: 'text' },
        status,
      });
      ids.push(document.id);
    }
    try {
      if (applicants)
        await new PostingRepository(database.db).addApplicants(fixture.tenantId, fixture.postingId, ids);
      await test(ids);
    } finally {
      await database.db.delete(schema.documents).where(inArray(schema.documents.id, ids));
    }
  }

  it('waits for an applicant still in the pipeline, or ranks without it and lists it as pending', () =>
    withResumesWithoutVectors(['embedding'], { applicants: true }, async ([unready]) => {
      const run = await newRun();
      expect(await screenings().complete(run, { waitForPending: true })).toEqual({
        status: 'waiting',
        pending: 1,
      });
      expect(await screenings().countResults(fixture.tenantId, run.id)).toBe(0);
      expect(await screenings().complete(run, { waitForPending: false })).toMatchObject({
        status: 'completed',
        pending: [unready],
      });
      expect(await screenings().countResults(fixture.tenantId, run.id)).toBe(fixture.resumes.length);
      expect((await screenings().findRun(fixture.tenantId, run.id))!.pendingDocumentIds).toEqual([unready]);
      // Done once: a redelivered job finds it completed.
      expect(await screenings().complete(run, { waitForPending: false })).toEqual({ status: 'gone' });
    }));

  it('never waits for a failed applicant: it is listed as pending at once', () =>
    withResumesWithoutVectors(['failed'], { applicants: true }, async ([failed]) => {
      const run = await newRun();
      expect(await screenings().complete(run, { waitForPending: true })).toMatchObject({
        status: 'completed',
        pending: [failed],
      });
      expect(await screenings().countResults(fixture.tenantId, run.id)).toBe(fixture.resumes.length);
    }));

  it('lists the pool’s resumes that are not ready, and waits for those still in the pipeline', () =>
    withResumesWithoutVectors(['queued', 'failed'], { applicants: false }, async (unready) => {
      const run = await newRun({ scope: 'pool', top: 5 });
      expect(await screenings().complete(run, { waitForPending: true })).toEqual({
        status: 'waiting',
        pending: 1,
      });
      expect(await screenings().countResults(fixture.tenantId, run.id)).toBe(0);
      expect(await screenings().complete(run, { waitForPending: false })).toMatchObject({
        status: 'completed',
        pending: [...unready].sort(),
      });
      expect(await screenings().countResults(fixture.tenantId, run.id)).toBe(5);
    }));

  it('takes a run’s results with it when the run or its posting is deleted', async () => {
    const db = database.db;
    const runs: ScreeningRun[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await newRun();
      await screenings().complete(run, { waitForPending: false });
      expect(await screenings().countResults(fixture.tenantId, run.id)).toBe(fixture.resumes.length);
      runs.push(run);
    }
    await db.delete(schema.screeningRuns).where(sql`id = ${runs[0]!.id}`);
    expect(await screenings().countResults(fixture.tenantId, runs[0]!.id)).toBe(0);
    expect(await screenings().countResults(fixture.tenantId, runs[1]!.id)).toBe(fixture.resumes.length);

    // Deleting the posting cascades to its runs, and from them to their results (rolled back: later tests use it);
    // a run that had not finished is heard of as screening.failed (posting_erased), a finished one is not.
    const rollback = new Error('rollback');
    const unfinished = await newRun();
    await expect(
      db.transaction(async (tx) => {
        const endpoint = await new WebhookRepository(tx).createEndpoint(
          fixture.tenantId,
          'https://example.com/h',
          ['screening.failed'],
        );
        await tx.delete(schema.postings).where(sql`id = ${fixture.postingId}`);
        const events = await queryRows<{ type: string; data: Record<string, unknown> }>(
          tx,
          sql`SELECT type, data FROM webhook_events WHERE endpoint_id = ${endpoint.id}`,
        );
        // Every unfinished run of the posting (earlier tests left some) is heard of; the finished ones are not.
        const byRun = new Map(events.map((e) => [e.data.runId, e]));
        expect(byRun.get(unfinished.id)).toEqual({
          type: 'screening.failed',
          data: {
            runId: unfinished.id,
            postingId: fixture.postingId,
            status: 'failed',
            trigger: 'api',
            failureReason: 'posting_erased',
          },
        });
        expect(byRun.has(runs[1]!.id)).toBe(false);
        expect(
          events.every((e) => e.type === 'screening.failed' && e.data.failureReason === 'posting_erased'),
        ).toBe(true);
        const [left] = await queryRows<{ n: number }>(
          tx,
          sql`SELECT count(*)::int AS n FROM screening_results WHERE run_id = ${runs[1]!.id}`,
        );
        expect(left!.n).toBe(0);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await screenings().countResults(fixture.tenantId, runs[1]!.id)).toBe(fixture.resumes.length);
    await db.delete(schema.screeningRuns).where(sql`id = ${unfinished.id}`);
  });

  describe('an erasure racing a screening run leaves none of the erased document’s results', () => {
    let other: Client;
    // Some session of this database waits on the results lock.
    const someoneWaits = () =>
      waitFor(
        'a session waiting on the results lock',
        async () => {
          const [row] = await queryRows<{ n: number }>(
            database.db,
            sql`SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'`,
          );
          return row!.n > 0;
        },
        10_000,
      );

    beforeEach(async () => {
      other = new Client({ connectionString: database.url });
      await other.connect();
    });
    afterEach(() => other.end());

    it('an erasure waits for a run writing results, then deletes them too', async () => {
      const victim = fixture.resumes[7]!.id;
      const run = await newRun();
      // `other` is a run half-way through writing its results (what complete does, stopped before COMMIT).
      await other.query('BEGIN');
      await other.query('SELECT shortlist_lock_tenant_results($1, false)', [fixture.tenantId]);
      await other.query(
        `INSERT INTO screening_results
           (run_id, tenant_id, rank, document_id, final, unclipped, semantic, domain, same_domain)
         VALUES ($1, $2, 1, $3, 50, 50, 0.5, 0.7, true)`,
        [run.id, fixture.tenantId, victim],
      );
      const erasing = new DocumentRepository(database.db).erase(fixture.tenantId, victim);
      await someoneWaits();
      await other.query('COMMIT');
      expect((await erasing).map((d) => d.id)).toEqual([victim]);
      expect(await resultsOf(victim)).toBe(0);
    });

    it('a run waits for an erasure in progress and ranks without the erased document', async () => {
      const victim = fixture.resumes[8]!.id;
      // `other` is an erasure that has deleted the document and not committed yet.
      await other.query('BEGIN');
      await other.query('DELETE FROM documents WHERE id = $1', [victim]);
      const run = await newRun();
      const completing = screenings().complete(run, { waitForPending: false });
      await someoneWaits();
      await other.query('COMMIT');
      await completing;
      expect(await resultsOf(victim)).toBe(0);
      const [applicants] = await queryRows<{ n: number }>(
        database.db,
        sql`SELECT count(*)::int AS n FROM applicants WHERE posting_id = ${fixture.postingId}`,
      );
      expect(await screenings().countResults(fixture.tenantId, run.id)).toBe(applicants!.n);
    });
  });

  it('refuses to link a posting to another tenant’s document', async () => {
    const foreign = await new DocumentRepository(database.db).create({
      tenantId: fixture.otherTenantId,
      kind: 'resume',
      source: { type: 'text' },
    });
    // The repository refuses it by name, adding nothing ...
    expect(
      await new PostingRepository(database.db).addApplicants(fixture.tenantId, fixture.postingId, [
        fixture.resumes[0]!.id,
        foreign.id,
      ]),
    ).toEqual({ missing: [foreign.id], notResumes: [], added: 0 });
    // ... and the schema itself would not take it either.
    await expect(
      database.db
        .insert(schema.applicants)
        .values({ tenantId: fixture.tenantId, postingId: fixture.postingId, documentId: foreign.id }),
    ).rejects.toMatchObject({ cause: { constraint: 'applicants_document_fk' } });
  });

  it('erases a document with its text, vectors, applications and screening results', async () => {
    const victim = fixture.resumes[5]!.id;
    const repository = new DocumentRepository(database.db);
    await repository.saveText(fixture.tenantId, victim, 'some text');
    expect(await resultsOf(victim)).toBeGreaterThan(0);
    expect((await repository.erase(fixture.tenantId, victim)).map((d) => d.id)).toEqual([victim]);
    const [left] = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT (SELECT count(*) FROM embeddings WHERE document_id = ${victim})
        + (SELECT count(*) FROM document_texts WHERE document_id = ${victim})
        + (SELECT count(*) FROM applicants WHERE document_id = ${victim})
        + (SELECT count(*) FROM screening_results WHERE document_id = ${victim}) AS n`,
    );
    expect(Number(left!.n)).toBe(0);
  });
});

describe('pool search of a small tenant on an index another tenant fills', () => {
  let database: TestDatabase;
  let fixture: Fixture;

  beforeAll(async () => {
    database = await createTestDatabase();
    fixture = await seed(database.db);
    // A large tenant whose 3,000 resumes all lie nearer the small tenant's posting than any of that tenant's own:
    // the HNSW index's first 300 candidates (its search list) are all another tenant's.
    const random = seededRandom(7);
    const tenant = await new TenantRepository(database.db).ensure('hooli');
    const ids = await queryRows<{ id: string }>(
      database.db,
      sql`INSERT INTO documents (tenant_id, kind, source, status)
          SELECT ${tenant.tenantId}::uuid, 'resume', '{"type":"text"}', 'ready' FROM generate_series(1, 3000)
          RETURNING id`,
    );
    const near = () => normalise(fixture.postingVectors.semantic.map((x) => x + (random() - 0.5) * 0.02));
    const vectors = new EmbeddingRepository(database.db);
    for (let i = 0; i < ids.length; i += 500) {
      await vectors.upsert(
        ids.slice(i, i + 500).flatMap(({ id }) =>
          [fixture.semantic, fixture.domain].map((model) => ({
            tenantId: tenant.tenantId,
            documentId: id,
            modelId: model.id,
            embedding: near(),
            tokenCount: 10,
            chunkCount: 1,
          })),
        ),
      );
    }
    await database.db.execute(sql`ANALYZE embeddings`);
  });
  afterAll(() => database.drop());

  /** The small tenant's pool top 20, through the HNSW index (as the planner does on a large pool). */
  const poolTop20 = () =>
    database.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL enable_seqscan = off`);
      await tx.execute(sql`SET LOCAL enable_sort = off`);
      const rows = await queryRows<{ document_id: string }>(
        tx,
        sql`SELECT document_id FROM shortlist_rank_pool(${fixture.postingId}::uuid, 20)`,
      );
      return rows.map((r) => r.document_id);
    });

  it('still returns its k best: the index scan goes on past the other tenant’s rows', async () => {
    expect(await poolTop20()).toEqual(
      expectedRanking(fixture)
        .slice(0, 20)
        .map((e) => e.documentId),
    );
    // What the iterative scan does: without it the same call finds none of them (this database is the test's own).
    await database.db.execute(sql`ALTER FUNCTION shortlist_rank_pool SET hnsw.iterative_scan = off`);
    expect(await poolTop20()).toEqual([]);
  });
});

describe('the same migrations on PGlite', () => {
  it('apply to an empty embedded database and rank the same way', async () => {
    const handle = await openPglite();
    try {
      await expect(migrate(handle)).resolves.toEqual({ applied: MIGRATION_COUNT, total: MIGRATION_COUNT });
      await expect(migrate(handle)).resolves.toEqual({ applied: 0, total: MIGRATION_COUNT });
      const fixture = await seed(handle.db);
      const rankings = new RankingRepository(handle.db);
      const ranked = await rankings.rankApplicants(fixture.postingId);
      expect(ranked.map((r) => r.documentId)).toEqual(expectedRanking(fixture).map((e) => e.documentId));
      const similar = await rankings.findSimilarCandidates(fixture.postingId, 5);
      expect(similar).toHaveLength(5);
    } finally {
      await handle.close();
    }
  });
});
