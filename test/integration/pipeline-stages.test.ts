import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import {
  DocumentRepository,
  ModelRepository,
  PostingRepository,
  ScreeningRepository,
  TenantRepository,
  queryRows,
} from '@shortlist/db';
import { EmbeddingEngine, MAX_DOCUMENT_TOKENS } from '@shortlist/embedding';
import {
  PermanentFailure,
  acceptDocument,
  createScreeningRun,
  handleEmbed,
  handleNightly,
  handleExtract,
  handleRank,
  registerEngineModels,
  sweepStaleDocuments,
  type PipelineDependencies,
} from '@shortlist/pipeline';
import { jobIdOf, type JobName } from '@shortlist/queue';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { createTestBucket, type TestBucket } from '../support/s3';

const fixtures = join(__dirname, '..', 'fixtures');
const MODELS = join(fixtures, 'models', 'tiny');

describe('pipeline stage handlers on PostgreSQL and S3', () => {
  let database: TestDatabase;
  let bucket: TestBucket;
  let engine: EmbeddingEngine;
  let deps: PipelineDependencies;
  let tenantId: string;
  const enqueued: { name: JobName; documentId: string }[] = [];

  beforeAll(async () => {
    [database, bucket, engine] = await Promise.all([
      createTestDatabase(),
      createTestBucket(),
      EmbeddingEngine.open({ modelsDir: MODELS, threads: 1, passTokens: 64, passOverlap: 16 }),
    ]);
    deps = {
      db: database.db,
      store: bucket.store,
      enqueue: (name, payload) => {
        enqueued.push({ name, documentId: jobIdOf(name, payload) });
        return Promise.resolve();
      },
      extract: { timeoutMs: 20_000, memoryMb: 512, maxDocumentBytes: 2 * 1024 * 1024 },
      embedding: { embedder: engine, modelIds: await registerEngineModels(database.db, engine.models) },
      screening: { waitSeconds: 60 },
    };
  });

  // A tenant per test: the same fixture bytes are an original in each (dedup is per tenant).
  let tenantCount = 0;
  beforeEach(async () => {
    tenantId = (await new TenantRepository(database.db).ensure(`tenant-${++tenantCount}`)).tenantId;
  });

  afterAll(async () => {
    await engine?.close();
    await bucket?.remove();
    await database?.drop();
  });

  /** A document accepted as an upload is (libs/pipeline's intake): bytes in the bucket, a `queued` row. */
  async function upload(path: string): Promise<string> {
    const intake = { ...deps, maxDocumentBytes: deps.extract.maxDocumentBytes };
    return (
      await acceptDocument(intake, tenantId, {
        kind: 'resume',
        body: readFileSync(path),
        source: { type: 'upload' },
      })
    ).id;
  }

  const payload = (documentId: string) => ({ tenantId, documentId });
  const describe_ = (id: string) => new DocumentRepository(database.db).describe(tenantId, id);
  const tenantOf = async (id: string) =>
    (
      await queryRows<{ tenant_id: string }>(
        database.db,
        sql`SELECT tenant_id FROM documents WHERE id = ${id}`,
      )
    )[0]?.tenant_id;

  /** Every row the pipeline writes for a document, without timestamps. */
  async function rowsOf(id: string) {
    return queryRows(
      database.db,
      sql`SELECT d.status, d.failure_reason, d.sha256, d.token_count, t.text,
            (SELECT json_agg(json_build_object('model', e.model_id, 'v', e.embedding::text, 'tokens', e.token_count,
               'chunks', e.chunk_count) ORDER BY e.model_id) FROM embeddings e WHERE e.document_id = d.id) AS vectors
          FROM documents d LEFT JOIN document_texts t ON t.document_id = d.id WHERE d.id = ${id}`,
    );
  }

  it.each(['resume.txt', 'resume.pdf', 'resume.docx', 'resume.html'])(
    'takes %s from stored bytes to ready with one vector per model',
    async (file) => {
      const id = await upload(join(fixtures, 'docs', file));
      expect(await handleExtract(payload(id), deps)).toEqual({ outcome: 'done' });
      expect(enqueued).toContainEqual({ name: 'embed', documentId: id });
      expect((await describe_(id))!.status).toBe('extracted');
      expect(await handleEmbed(payload(id), deps)).toEqual({
        outcome: 'done',
        tokens: expect.any(Number) as number,
      });
      const [row] = (await rowsOf(id)) as { status: string; text: string; vectors: unknown[] }[];
      expect(row!.status).toBe('ready');
      expect(row!.text).toContain('Ada Lovelace - Senior Data Engineer');
      expect(row!.vectors).toHaveLength(2);
    },
  );

  it('leaves identical rows when each handler runs twice', async () => {
    const id = await upload(join(fixtures, 'bad', 'long.txt'));
    await handleExtract(payload(id), deps);
    await handleEmbed(payload(id), deps);
    const first = await rowsOf(id);
    // A redelivered job after a crash: the document is reset to the stage's entry state and the handler runs again.
    await new DocumentRepository(database.db).setStatus(tenantId, id, 'queued');
    await handleExtract(payload(id), deps);
    await handleEmbed(payload(id), deps);
    expect(await rowsOf(id)).toEqual(first);
    // And a plain duplicate delivery of a finished document does nothing.
    expect(await handleExtract(payload(id), deps)).toEqual({ outcome: 'skipped', reason: 'already_ready' });
    expect(await handleEmbed(payload(id), deps)).toEqual({ outcome: 'skipped', reason: 'already_ready' });
    expect(await rowsOf(id)).toEqual(first);
  });

  it('embeds the first EMBED_MAX_DOCUMENT_TOKENS of a document ten times the model context, and flags it', async () => {
    const id = await upload(join(fixtures, 'bad', 'long.txt'));
    await handleExtract(payload(id), deps);
    expect(await handleEmbed(payload(id), deps)).toEqual({
      outcome: 'done',
      tokens: MAX_DOCUMENT_TOKENS + 2,
    });
    const [row] = (await rowsOf(id)) as {
      text: string;
      token_count: number;
      vectors: { chunks: number; tokens: number }[];
    }[];
    expect(row!.text.length).toBeGreaterThan(300_000); // ~82,000 tokens of text, all stored
    expect(row!.token_count).toBe(MAX_DOCUMENT_TOKENS + 2);
    // 64-token windows (62 content tokens) overlapping by 16: a stride of 46, every embedded token in some window.
    expect(row!.vectors[0]!.chunks).toBe(Math.ceil((MAX_DOCUMENT_TOKENS - 62) / 46) + 1);
    expect(await describe_(id)).toMatchObject({
      status: 'ready',
      tokens: MAX_DOCUMENT_TOKENS + 2,
      truncated: true,
    });
  });

  it('records that a document within the cap was embedded whole', async () => {
    const id = await upload(join(fixtures, 'docs', 'resume.txt'));
    await handleExtract(payload(id), deps);
    await handleEmbed(payload(id), deps);
    expect(await describe_(id)).toMatchObject({ status: 'ready', truncated: false });
  });

  it.each([
    ['empty.txt', 'no_text'],
    ['truncated.pdf', 'corrupt_file'],
    ['image-only.pdf', 'no_text'],
    ['bomb.docx', 'too_large'],
    ['random.bin', 'unsupported_format'],
  ])('marks %s failed with %s and does not retry it', async (file, reason) => {
    const id = await upload(join(fixtures, 'bad', file));
    const error = await handleExtract(payload(id), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentFailure);
    expect(await describe_(id)).toMatchObject({ status: 'failed', failureReason: reason });
    expect(enqueued).not.toContainEqual({ name: 'embed', documentId: id });
  });

  it('extracts a plain-text resume that mentions %PDF-1.7 in its first kilobyte as text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shortlist-pdf-mention-'));
    const path = join(dir, 'resume.txt');
    writeFileSync(
      path,
      'Jane Doe. Wrote a checker for %PDF-1.7 headers and xref tables in Rust and Python.\n',
    );
    try {
      const id = await upload(path);
      expect(await handleExtract(payload(id), deps)).toEqual({ outcome: 'done' });
      expect(await describe_(id)).toMatchObject({ status: 'extracted' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an object over the size limit', async () => {
    const stored = await bucket.store.put('uploads/big', Buffer.alloc(3 * 1024 * 1024, 'a'));
    const { id } = await new DocumentRepository(database.db).create({
      tenantId,
      kind: 'resume',
      source: { type: 's3', bucket: bucket.bucket, key: stored.key },
    });
    await expect(handleExtract(payload(id), deps)).rejects.toBeInstanceOf(PermanentFailure);
    expect(await describe_(id)).toMatchObject({ status: 'failed', failureReason: 'too_large' });
  });

  it('links a referenced object with known bytes to the original, with no extraction', async () => {
    const original = await upload(join(fixtures, 'docs', 'resume.txt'));
    await handleExtract(payload(original), deps);
    await handleEmbed(payload(original), deps);
    const copy = await bucket.store.put(
      'elsewhere/copy.txt',
      readFileSync(join(fixtures, 'docs', 'resume.txt')),
    );
    const { id } = await new DocumentRepository(database.db).create({
      tenantId,
      kind: 'resume',
      source: { type: 's3', bucket: bucket.bucket, key: copy.key },
    });
    const before = enqueued.length;
    expect(await handleExtract(payload(id), deps)).toEqual({ outcome: 'skipped', reason: 'duplicate' });
    expect(enqueued).toHaveLength(before);
    expect(await describe_(id)).toMatchObject({ status: 'ready', duplicateOf: original });
    expect(await rowsOf(id)).toEqual([expect.objectContaining({ text: null, vectors: null })]);

    // The same bytes referenced as a job description are a document of their own, extracted as one.
    const { id: asPosting } = await new DocumentRepository(database.db).create({
      tenantId,
      kind: 'posting',
      source: { type: 's3', bucket: bucket.bucket, key: copy.key },
    });
    expect(await handleExtract(payload(asPosting), deps)).toMatchObject({ outcome: 'done' });
    expect(await describe_(asPosting)).toMatchObject({ status: 'extracted', duplicateOf: null });
  });

  it('ends the job of a document erased while it is extracted or embedded: document_erased, nothing written', async () => {
    const documents = new DocumentRepository(database.db);
    const leftOf = async (id: string) =>
      (
        await queryRows<{ n: number }>(
          database.db,
          sql`SELECT (SELECT count(*) FROM document_texts WHERE document_id = ${id})
                   + (SELECT count(*) FROM embeddings WHERE document_id = ${id})::int AS n`,
        )
      )[0]!.n;
    // Erased once its bytes are read: the parser runs on, and its text has no row to go to.
    const extracted = await upload(join(fixtures, 'docs', 'resume.txt'));
    const erasingStore = Object.assign(Object.create(bucket.store) as typeof bucket.store, {
      get: async (key: string, from?: string) => {
        const body = await bucket.store.get(key, from);
        await documents.eraseMany(tenantId, [extracted]);
        return body;
      },
    });
    const before = enqueued.length;
    expect(await handleExtract(payload(extracted), { ...deps, store: erasingStore })).toEqual({
      outcome: 'skipped',
      reason: 'document_erased',
    });
    expect(enqueued).toHaveLength(before);
    expect(Number(await leftOf(extracted))).toBe(0);

    // Erased while its vectors are computed.
    const embedded = await upload(join(fixtures, 'docs', 'resume.html'));
    await handleExtract(payload(embedded), deps);
    const erasingEmbedder = {
      embed: async (...args: Parameters<EmbeddingEngine['embed']>) => {
        const result = await engine.embed(...args);
        await documents.eraseMany(tenantId, [embedded]);
        return result;
      },
    };
    const embedding = { ...deps.embedding!, embedder: erasingEmbedder };
    expect(await handleEmbed(payload(embedded), { ...deps, embedding })).toEqual({
      outcome: 'skipped',
      reason: 'document_erased',
    });
    expect(Number(await leftOf(embedded))).toBe(0);
  });

  it("gives each resume its turn among its tenant's documents waiting to be read, and a job description none", async () => {
    const payloads: { turn?: number; posting?: true }[] = [];
    const intake = {
      ...deps,
      enqueue: (_name: string, payload: object) => (payloads.push(payload), Promise.resolve()),
      maxDocumentBytes: deps.extract.maxDocumentBytes,
    } as Parameters<typeof acceptDocument>[0];
    const accept = (tenant: string, kind: 'resume' | 'posting', text: string) =>
      acceptDocument(intake, tenant, { kind, body: Buffer.from(text), source: { type: 'upload' } });
    for (const name of ['Ada', 'Grace', 'Edsger']) await accept(tenantId, 'resume', `${name}: a resume`);
    await accept(tenantId, 'posting', 'A job description');
    const other = (await new TenantRepository(database.db).ensure(`turns-${tenantCount}`)).tenantId;
    await accept(other, 'resume', 'Barbara: a resume');
    expect(payloads.map((p) => [p.turn, p.posting])).toEqual([
      [undefined, undefined], // turn 0: nothing of its tenant waits before it
      [1, undefined],
      [2, undefined],
      [undefined, true],
      [undefined, undefined], // another tenant's first
    ]);
  });

  it('makes one original of the same bytes uploaded many times at once', async () => {
    const repository = new DocumentRepository(database.db);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        repository.createOrLinkDuplicate({
          tenantId,
          kind: 'resume',
          source: { type: 'upload', key: `race/${i}` },
          sha256: 'f'.repeat(64),
          sizeBytes: 1,
        }),
      ),
    );
    const originals = results.filter((r) => !r.original);
    expect(originals).toHaveLength(1);
    const originalId = originals[0]!.document.id;
    expect(results.filter((r) => r.original).every((r) => r.document.duplicateOf === originalId)).toBe(true);
  });

  it('takes the same bytes while their original is being erased: a duplicate that goes with it, or the new original', async () => {
    const repository = new DocumentRepository(database.db);
    const bytes = (i: number) => ({
      tenantId,
      kind: 'resume' as const,
      source: { type: 'upload' as const, key: `erase-race/${i}` },
      sha256: 'e'.repeat(64),
      sizeBytes: 1,
    });
    // Many rounds, each erasing the original while the same bytes arrive: any interleaving must give an answer.
    for (let round = 0; round < 40; round++) {
      const { document: original } = await repository.createOrLinkDuplicate(bytes(2 * round));
      const [, taken] = await Promise.all([
        repository.erase(tenantId, original.id),
        repository.createOrLinkDuplicate(bytes(2 * round + 1)),
      ]);
      const now = await repository.findById(tenantId, taken.document.id);
      if (taken.original)
        expect(now).toBeUndefined(); // linked, then erased with its original
      else expect(now).toMatchObject({ duplicateOf: null });
      if (now) await repository.erase(tenantId, now.id);
    }
  });

  it('fails a document whose object is gone, and skips one that was erased', async () => {
    const id = await upload(join(fixtures, 'docs', 'resume.txt'));
    await bucket.store.delete((await describe_(id))!.source.key!);
    await expect(handleExtract(payload(id), deps)).rejects.toBeInstanceOf(PermanentFailure);
    expect(await describe_(id)).toMatchObject({ status: 'failed', failureReason: 'source_missing' });
    await new DocumentRepository(database.db).erase(tenantId, id);
    expect(await handleExtract(payload(id), deps)).toEqual({ outcome: 'skipped', reason: 'document_erased' });
    expect(await handleEmbed(payload(id), deps)).toEqual({ outcome: 'skipped', reason: 'document_erased' });
  });

  it('rolls out a model upgrade: runs keep the old vectors until the new ones cover the posting, then switch', async () => {
    const ids = await Promise.all(
      ['resume.txt', 'resume.html', 'resume.docx'].map((f) => upload(join(fixtures, 'docs', f))),
    );
    const postingDocument = await upload(join(fixtures, 'bad', 'nul.txt'));
    for (const id of [...ids, postingDocument]) {
      await handleExtract(payload(id), deps);
      await handleEmbed(payload(id), deps);
    }
    const posting = await new PostingRepository(database.db).create({
      tenantId,
      documentId: postingDocument,
      title: 'p',
    });
    await new PostingRepository(database.db).addApplicants(tenantId, posting.id, ids);
    const old = deps.embedding!.modelIds;

    // A new version of both models (here: the INT8 exports), registered and made active.
    const upgraded = await EmbeddingEngine.open({
      modelsDir: MODELS,
      quantized: true,
      threads: 1,
      passTokens: 64,
      passOverlap: 16,
    });
    try {
      const next = await registerEngineModels(database.db, upgraded.models);
      expect(next).not.toEqual(old);
      const models = new ModelRepository(database.db);
      await models.activate(next.semantic);
      await models.activate(next.domain);

      const before = await createScreeningRun(database.db, { posting, scope: 'applicants', trigger: 'api' });
      expect(before.run).toMatchObject({ semanticModelId: old.semantic, domainModelId: old.domain });

      // The nightly sweep hands every ready document lacking the new vectors to `embed`, run by new workers.
      const upgradedDeps = { ...deps, embedding: { embedder: upgraded, modelIds: next } };
      enqueued.length = 0;
      await handleNightly({ day: '2031-01-01' }, upgradedDeps);
      const toEmbed = enqueued.filter((j) => j.name === 'embed').map((j) => j.documentId);
      expect(toEmbed).toEqual(expect.arrayContaining([...ids, postingDocument]));
      for (const id of toEmbed)
        await handleEmbed({ tenantId: (await tenantOf(id))!, documentId: id }, upgradedDeps);
      expect((await describe_(ids[0]!))!.status).toBe('ready');

      const after = await createScreeningRun(database.db, { posting, scope: 'applicants', trigger: 'api' });
      expect(after.run).toMatchObject({ semanticModelId: next.semantic, domainModelId: next.domain });
      // The older run still names the models it used.
      expect(
        (await new ScreeningRepository(database.db).findRun(tenantId, before.run.id))!.domainModelId,
      ).toBe(old.domain);
    } finally {
      await upgraded.close();
      const models = new ModelRepository(database.db);
      await models.activate(old.semantic);
      await models.activate(old.domain);
    }
  });

  it("quotes a re-run's evidence from the last run against the same posting document, without inference", async () => {
    const ids = await Promise.all(
      ['resume.txt', 'resume.html'].map((f) => upload(join(fixtures, 'docs', f))),
    );
    const postingDocuments = await Promise.all(
      ['nul.txt', 'long.txt'].map((f) => upload(join(fixtures, 'bad', f))),
    );
    for (const id of [...ids, ...postingDocuments]) {
      await handleExtract(payload(id), deps);
      await handleEmbed(payload(id), deps);
    }
    const postings = new PostingRepository(database.db);
    const [posting, another] = await Promise.all(
      postingDocuments.map((documentId) => postings.create({ tenantId, documentId, title: 'p' })),
    );
    for (const p of [posting!, another!]) await postings.addApplicants(tenantId, p.id, ids);
    // The real engine, counting the texts it is asked to embed.
    let embedded = 0;
    const embedder = {
      embed: (...args: Parameters<EmbeddingEngine['embed']>) => (embedded++, engine.embed(...args)),
      embedSemantic: (texts: string[], options?: { tenant?: string }) => (
        (embedded += texts.length),
        engine.embedSemantic(texts, options)
      ),
    };
    const countingDeps = { ...deps, embedding: { ...deps.embedding!, embedder } };
    const screenings = new ScreeningRepository(database.db);
    const rank = async (of = posting!) => {
      const { run } = await createScreeningRun(database.db, {
        posting: of,
        scope: 'applicants',
        trigger: 'api',
        evidence: 2,
      });
      expect(await handleRank({ tenantId, runId: run.id }, countingDeps)).toEqual({ outcome: 'done' });
      return screenings.findEvidence(tenantId, run.id, ids);
    };

    const first = await rank();
    expect(embedded).toBeGreaterThan(0);
    expect([...first.keys()].sort()).toEqual([...ids].sort());
    expect(first.get(ids[0]!)!.length).toBeGreaterThan(0);

    embedded = 0;
    expect(await rank()).toEqual(first);
    expect(embedded).toBe(0);

    // Another posting's document: the same resumes are compared with it afresh.
    const other = await rank(another);
    expect(embedded).toBeGreaterThan(0);
    expect(other.get(ids[0]!)).not.toEqual(first.get(ids[0]!));
  });

  it('fails a run at once when its posting document failed, instead of waiting for vectors that never come', async () => {
    const postingDocument = await upload(join(fixtures, 'docs', 'resume.html'));
    const posting = await new PostingRepository(database.db).create({
      tenantId,
      documentId: postingDocument,
      title: 'p',
    });
    const { run } = await createScreeningRun(database.db, { posting, scope: 'pool', trigger: 'api' });
    await new DocumentRepository(database.db).setStatus(tenantId, postingDocument, 'failed', 'corrupt_file');
    await expect(handleRank({ tenantId, runId: run.id }, deps)).rejects.toMatchObject({
      reason: 'posting_failed',
    });
    expect(await new ScreeningRepository(database.db).findRun(tenantId, run.id)).toMatchObject({
      status: 'failed',
      failureReason: 'posting_failed',
    });
  });

  it('sweeps documents stranded between a commit and an enqueue', async () => {
    const queued = await upload(join(fixtures, 'docs', 'resume.txt'));
    const extracted = await upload(join(fixtures, 'docs', 'resume.html'));
    await handleExtract(payload(extracted), deps);
    await database.db.execute(
      sql`UPDATE documents SET updated_at = now() - interval '1 hour' WHERE id IN (${queued}, ${extracted})`,
    );
    enqueued.length = 0;
    expect(await sweepStaleDocuments(deps, 60)).toBe(2);
    expect(enqueued).toEqual(
      expect.arrayContaining([
        { name: 'extract', documentId: queued },
        { name: 'embed', documentId: extracted },
      ]),
    );
    // Touched: not swept again until stale once more.
    expect(await sweepStaleDocuments(deps, 60)).toBe(0);
  });
});
