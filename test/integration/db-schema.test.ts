import { sql } from 'drizzle-orm';
import {
  DocumentRepository,
  PostingRepository,
  RankingRepository,
  migrate,
  openPglite,
  queryRows,
  schema,
} from '@shortlist/db';
import { MIGRATION_COUNT, createTestDatabase, type TestDatabase } from '../support/database';
import { DIMS, dot, expectedRanking, seed, type Fixture } from '../support/ranking-fixture';

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

  it('carries tenant_id on every table but the shared model catalogue', async () => {
    const rows = await queryRows<{ table_name: string; has_tenant: boolean }>(
      database.db,
      sql`SELECT t.table_name, EXISTS (SELECT 1 FROM information_schema.columns c
            WHERE c.table_name = t.table_name AND c.column_name = 'tenant_id') AS has_tenant
          FROM information_schema.tables t WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'`,
    );
    const without = rows.filter((r) => !r.has_tenant).map((r) => r.table_name);
    expect(without).toEqual(['models']);
    expect(rows).toHaveLength(10);
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
    ).toEqual({ missing: [foreign.id], added: 0 });
    // ... and the schema itself would not take it either.
    await expect(
      database.db
        .insert(schema.applicants)
        .values({ tenantId: fixture.tenantId, postingId: fixture.postingId, documentId: foreign.id }),
    ).rejects.toMatchObject({ cause: { constraint: 'applicants_document_fk' } });
  });

  it('erases a document with its text, vectors and applications', async () => {
    const victim = fixture.resumes[5]!.id;
    const repository = new DocumentRepository(database.db);
    await repository.saveText(fixture.tenantId, victim, 'some text');
    expect((await repository.erase(fixture.tenantId, victim)).map((d) => d.id)).toEqual([victim]);
    const [left] = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT (SELECT count(*) FROM embeddings WHERE document_id = ${victim})
        + (SELECT count(*) FROM document_texts WHERE document_id = ${victim})
        + (SELECT count(*) FROM applicants WHERE document_id = ${victim}) AS n`,
    );
    expect(Number(left!.n)).toBe(0);
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
