import { sql } from 'drizzle-orm';
import {
  DocumentRepository,
  PostingRepository,
  TenantRepository,
  queryRows,
  type Database,
} from '@shortlist/db';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { checkedFetch, ok, type ApiClient } from '../support/api-client/client';
import type { paths } from '../support/api-client/openapi';
import { waitFor } from '../support/net';
import { captureQueries, explain, planNodes, planOutline, seedDocuments } from '../support/query-plans';

const documentsOf = (db: Database) => new DocumentRepository(db);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A document as POST /v1/documents accepted it, and what it takes as JSON (types of the OpenAPI document). */
type Accepted =
  paths['/v1/documents']['post']['responses'][202]['content']['application/json']['documents'][number];
type JsonDocument = NonNullable<
  NonNullable<paths['/v1/documents']['post']['requestBody']>['content']['application/json']['documents']
>[number];
type DocumentFilter = NonNullable<paths['/v1/documents']['get']['parameters']['query']>;
type PostingFilter = NonNullable<paths['/v1/postings']['get']['parameters']['query']>;
interface Paging {
  limit: number;
  cursor?: string;
}

describe('lists with cursor paging, and answers that name what they accepted (HTTP, PostgreSQL, Redis, S3)', () => {
  let stack: ApiStack;
  let acme: string;
  /** The typed clients of the two tenants; every answer is checked against the OpenAPI document. */
  let acmeApi: ApiClient;
  let globexApi: ApiClient;

  beforeAll(async () => {
    stack = await startApiStack({
      ingest: (b) => ({
        maxDocumentBytes: 1024 * 1024,
        bodyReadTimeoutMs: 30_000,
        sourceAllowlist: [{ bucket: b.bucket, prefix: 'incoming/' }],
      }),
    });
    acme = (await new TenantRepository(stack.database.db).ensure('acme')).tenantId;
    acmeApi = stack.client(stack.keys.acme);
    globexApi = stack.client(stack.keys.globex);
  }, 60_000);

  afterAll(() => stack?.stop());

  /** A multipart upload: built by hand (the typed client sends JSON), its answer checked against the document. */
  const uploadForm = (form: FormData) =>
    checkedFetch(`${stack.base}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.keys.acme}` },
      body: form,
    });

  /** A multipart upload of files; a file with an externalId gets the field right before its part. */
  async function upload(files: { name: string; text: string; externalId?: string }[], kind = 'resume') {
    const form = new FormData();
    form.append('kind', kind);
    for (const file of files) {
      if (file.externalId !== undefined) form.append('externalId', file.externalId);
      form.append('file', new Blob([file.text]), file.name);
    }
    const response = await uploadForm(form);
    const body = (await response.json()) as { documents?: Accepted[]; message?: string };
    return { status: response.status, documents: body.documents ?? [], message: body.message };
  }

  /** Accepts documents sent as JSON; their answers, in the order sent. */
  const accept = async (documents: JsonDocument[]) =>
    (await ok(acmeApi.POST('/v1/documents', { body: { documents } }))).documents;

  /** Every page of a list, following nextCursor; checks each page's size and cursor on the way. */
  async function allPages<T>(
    limit: number,
    page: (paging: Paging) => Promise<{ items: T[]; nextCursor?: string }>,
  ): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let pages = 0; ; pages++) {
      const { items: got, nextCursor } = await page({ limit, ...(cursor ? { cursor } : {}) });
      items.push(...got);
      cursor = nextCursor;
      if (!cursor) {
        expect(got.length).toBeLessThanOrEqual(limit);
        return items;
      }
      expect(got).toHaveLength(limit);
      // Opaque: not an id a client could be tempted to build itself.
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(cursor).not.toMatch(UUID);
      if (pages > 10_000) throw new Error('endless paging');
    }
  }

  /** Every document of the list, filtered, through the client. */
  const documentPages = (limit: number, filter: DocumentFilter = {}, client = acmeApi) =>
    allPages(limit, async (paging) => {
      const page = await ok(client.GET('/v1/documents', { params: { query: { ...filter, ...paging } } }));
      return { items: page.documents, nextCursor: page.nextCursor };
    });
  const postingPages = (limit: number, filter: PostingFilter = {}) =>
    allPages(limit, async (paging) => {
      const page = await ok(acmeApi.GET('/v1/postings', { params: { query: { ...filter, ...paging } } }));
      return { items: page.postings, nextCursor: page.nextCursor };
    });
  const applicantPages = (posting: string, limit: number) =>
    allPages(limit, async (paging) => {
      const page = await ok(
        acmeApi.GET('/v1/postings/{id}/applicants', { params: { path: { id: posting }, query: paging } }),
      );
      return { items: page.applicants, nextCursor: page.nextCursor };
    });
  const runPages = (posting: string, limit: number) =>
    allPages(limit, async (paging) => {
      const page = await ok(
        acmeApi.GET('/v1/postings/{id}/screenings', { params: { path: { id: posting }, query: paging } }),
      );
      return { items: page.screenings, nextCursor: page.nextCursor };
    });
  const removeApplicant = (posting: string, documentId: string, client = acmeApi) =>
    client.DELETE('/v1/postings/{id}/applicants/{documentId}', {
      params: { path: { id: posting, documentId } },
    });

  const documentCount = async () =>
    (await queryRows<{ n: number }>(stack.database.db, sql`SELECT count(*)::int AS n FROM documents`))[0]!.n;

  /** The tenant's documents as the database orders them (creation time, then id). */
  const acmeDocumentIds = async (where = sql`TRUE`) =>
    (
      await queryRows<{ id: string }>(
        stack.database.db,
        sql`SELECT id FROM documents WHERE tenant_id = ${acme} AND ${where} ORDER BY created_at, id`,
      )
    ).map((r) => r.id);

  /** Waits until the worker has finished with every document (ready or failed). */
  const settled = () =>
    waitFor(
      'every document ready or failed',
      async () => {
        const [row] = await queryRows<{ busy: number }>(
          stack.database.db,
          // A duplicate's own row keeps the status it was linked with: its original's is the one that moves.
          sql`SELECT count(*)::int AS busy FROM documents
              WHERE duplicate_of IS NULL AND status NOT IN ('ready', 'failed')`,
        );
        return row!.busy === 0;
      },
      120_000,
      200,
    );

  it('echoes the file name and externalId of each of 87 uploaded files, stores them and filters by them', async () => {
    const files = Array.from({ length: 87 }, (_, i) => ({
      name: `candidate-${i}.txt`,
      text: `Resume ${i}: engineer with ${i} years of kafka and postgres.`,
      externalId: `ATS-${1000 + i}`,
    }));
    const accepted = await upload(files);
    expect(accepted.status).toBe(202);
    const { documents } = accepted;
    expect(documents.map(({ file, externalId }) => ({ file, externalId }))).toEqual(
      files.map(({ name, externalId }) => ({ file: name, externalId })),
    );

    // Stored: the document itself, the list, and the filter (which finds exactly that one).
    const one = await ok(acmeApi.GET('/v1/documents/{id}', { params: { path: { id: documents[41]!.id } } }));
    expect(one).toMatchObject({ id: documents[41]!.id, externalId: 'ATS-1041' });
    const filtered = await ok(
      acmeApi.GET('/v1/documents', { params: { query: { externalId: 'ATS-1041' } } }),
    );
    expect(filtered.documents).toEqual([
      expect.objectContaining({ id: documents[41]!.id, file: 'candidate-41.txt', externalId: 'ATS-1041' }),
    ]);
    expect(
      await ok(globexApi.GET('/v1/documents', { params: { query: { externalId: 'ATS-1041' } } })),
    ).toEqual({ documents: [] });
  });

  it('names files without an externalId, duplicates, texts and S3 objects, in the order sent', async () => {
    const mixed = await upload([
      { name: 'a.txt', text: 'Resume A: nurse, ten years of intensive care.', externalId: 'X-1' },
      { name: 'b.txt', text: 'Resume B: accountant, audits and tax.' },
      { name: 'a-again.txt', text: 'Resume A: nurse, ten years of intensive care.', externalId: 'X-3' },
    ]);
    expect(mixed.status).toBe(202);
    const [a, b, again] = mixed.documents;
    expect(a).toEqual({
      id: expect.stringMatching(UUID) as string,
      status: 'queued',
      file: 'a.txt',
      externalId: 'X-1',
    });
    expect(b).toEqual({ id: expect.stringMatching(UUID) as string, status: 'queued', file: 'b.txt' });
    expect(again).toMatchObject({ file: 'a-again.txt', externalId: 'X-3', duplicateOf: a!.id });

    for (const key of ['incoming/c.txt', 'incoming/d.txt']) {
      await stack.bucket.store.put(key, `Resume from ${key}: welder, pipelines.`);
    }
    const batch = await acmeApi.POST('/v1/documents', {
      body: {
        documents: [
          { kind: 'resume', text: 'Resume T: teacher, mathematics.', externalId: 'T-1' },
          {
            kind: 'resume',
            source: { bucket: stack.bucket.bucket, key: 'incoming/c.txt' },
            externalId: 'S-1',
          },
          { kind: 'resume', source: { bucket: stack.bucket.bucket, key: 'incoming/d.txt' } },
        ],
      },
    });
    expect(batch.response.status).toBe(202);
    const [text, c, d] = batch.data!.documents;
    expect(text).toEqual({ id: expect.stringMatching(UUID) as string, status: 'queued', externalId: 'T-1' });
    expect(c).toEqual({
      id: expect.stringMatching(UUID) as string,
      status: 'queued',
      source: { bucket: stack.bucket.bucket, key: 'incoming/c.txt' },
      externalId: 'S-1',
    });
    expect(d).toEqual({
      id: expect.stringMatching(UUID) as string,
      status: 'queued',
      source: { bucket: stack.bucket.bucket, key: 'incoming/d.txt' },
    });
    const single = await ok(
      acmeApi.POST('/v1/documents', { body: { kind: 'resume', text: 'Resume U.', externalId: 'U-1' } }),
    );
    expect(single).toEqual({
      documents: [{ id: expect.stringMatching(UUID) as string, status: 'queued', externalId: 'U-1' }],
    });

    // Lists name them the same way.
    const listed = new Map((await documentPages(1000)).map((item) => [item.id, item]));
    expect(listed.get(a!.id)).toMatchObject({ file: 'a.txt', externalId: 'X-1' });
    expect(listed.get(b!.id)).not.toHaveProperty('externalId');
    expect(listed.get(again!.id)).toMatchObject({
      file: 'a-again.txt',
      duplicateOf: a!.id,
      externalId: 'X-3',
    });
    expect(listed.get(c!.id)).toMatchObject({
      source: { bucket: stack.bucket.bucket, key: 'incoming/c.txt' },
      externalId: 'S-1',
    });
    expect(listed.get(c!.id)).not.toHaveProperty('file');
  });

  it('refuses an externalId that is too long, unstorable or not followed by its file, naming it; stores nothing', async () => {
    const before = await documentCount();
    /** A hand-built form whose fields are in the order given; its status and message. */
    const sendForm = async (parts: [string, string | [Blob, string]][]) => {
      const form = new FormData();
      for (const [name, value] of parts) {
        if (typeof value === 'string') form.append(name, value);
        else form.append(name, ...value);
      }
      const response = await uploadForm(form);
      return { status: response.status, message: ((await response.json()) as { message: string }).message };
    };
    const sendJson = async (
      body: NonNullable<paths['/v1/documents']['post']['requestBody']>['content']['application/json'],
    ) => {
      const { response, error } = await acmeApi.POST('/v1/documents', { body });
      return { status: response.status, message: error?.message };
    };
    const refusals: [Promise<{ status: number; message?: string }>, RegExp][] = [
      [
        upload([
          { name: 'ok.txt', text: 'fine', externalId: 'E-1' },
          { name: 'long.txt', text: 'x', externalId: 'E'.repeat(201) },
        ]),
        /^file\[1\]\.externalId: must be 1 to 200 characters \(has 201\)/,
      ],
      [
        sendForm([
          ['kind', 'resume'],
          ['file', [new Blob(['one']), 'one.txt']],
          ['externalId', 'E-2'],
        ]),
        /^file\[1\]\.externalId: the last externalId field has no file part after it/,
      ],
      [
        sendForm([
          ['externalId', 'E-3'],
          ['kind', 'resume'],
          ['file', [new Blob(['one']), 'one.txt']],
        ]),
        /^file\[0\]\.externalId: the externalId field must come right before its file part, not before the kind field/,
      ],
      [sendJson({ kind: 'resume', text: 'x', externalId: '' }), /externalId/],
      [sendJson({ kind: 'resume', text: 'x', externalId: 'E'.repeat(201) }), /externalId/],
      [
        sendJson({
          documents: [
            { kind: 'resume', text: 'x' },
            { kind: 'resume', text: 'y', externalId: 'a\u0000b' },
          ],
        }),
        /^body\.documents\[1\]\.externalId: contains U\+0000/,
      ],
    ];
    for (const [refused, message] of refusals) {
      const { status, message: said } = await refused;
      expect({ status, said }).toEqual({ status: 400, said: expect.stringMatching(message) as string });
    }
    expect(await documentCount()).toBe(before);
  });

  it('pages through documents in creation order with no duplicate or gap, and filters them', async () => {
    const firstIds = (
      await accept(
        Array.from({ length: 120 }, (_, i) => ({
          kind: 'resume',
          text: `Batch one resume ${i}: data engineer, spark and kafka.`,
          externalId: `B1-${i}`,
        })),
      )
    ).map((d) => d.id);
    // Whitespace only: these fail as having no text.
    const secondIds = (
      await accept([
        ...Array.from({ length: 40 }, (_, i) => ({
          kind: 'resume' as const,
          text: `Batch two resume ${i}: nurse.`,
        })),
        ...Array.from({ length: 3 }, () => ({ kind: 'resume' as const, text: ' \n\t ' })),
      ])
    ).map((d) => d.id);
    const postingId = (await accept([{ kind: 'posting', text: 'Data engineer wanted.' }]))[0]!.id;
    // S3 references of one batch are one INSERT: their 40 rows share one creation time, and pages cut through them.
    const keys = Array.from({ length: 40 }, (_, i) => `incoming/tied-${i}.txt`);
    for (const key of keys) await stack.bucket.store.put(key, `Resume at ${key}: welder.`);
    const tiedIds = (
      await accept(keys.map((key) => ({ kind: 'resume', source: { bucket: stack.bucket.bucket, key } })))
    ).map((d) => d.id);
    const [times] = await queryRows<{ n: number }>(
      stack.database.db,
      sql`SELECT count(DISTINCT created_at)::int AS n FROM documents
          WHERE id IN (${sql.join(
            tiedIds.map((id) => sql`${id}::uuid`),
            sql`, `,
          )})`,
    );
    expect(times!.n).toBe(1);
    await settled();

    const seen: string[] = [];
    let cursor: string | undefined;
    let added: string | undefined;
    for (;;) {
      const page = await ok(
        acmeApi.GET('/v1/documents', { params: { query: { limit: 7, ...(cursor ? { cursor } : {}) } } }),
      );
      seen.push(...page.documents.map((d) => d.id));
      // A document added while a client pages is found at the end, once.
      added ??= (await accept([{ kind: 'resume', text: 'Added while paging.' }]))[0]!.id;
      if (!page.nextCursor) break;
      expect(page.documents).toHaveLength(7);
      cursor = page.nextCursor;
    }
    const expected = await acmeDocumentIds();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
    expect(seen.at(-1)).toBe(added);
    expect(seen.length).toBeGreaterThanOrEqual(205);

    // The default page is 100; 1000 is allowed.
    const defaultPage = await ok(acmeApi.GET('/v1/documents'));
    expect(defaultPage.documents).toHaveLength(100);
    expect(defaultPage.nextCursor).toEqual(expect.any(String));
    expect(
      (await ok(acmeApi.GET('/v1/documents', { params: { query: { limit: 1000 } } }))).documents.length,
    ).toBe(seen.length);

    // Filters: kind, status (with its reason), creation time, externalId; combined.
    const postings = await documentPages(2, { kind: 'posting' });
    expect(postings.map((d) => d.id)).toEqual(await acmeDocumentIds(sql`kind = 'posting'`));
    expect(postings.map((d) => d.id)).toContain(postingId);
    const failed = await documentPages(2, { status: 'failed' });
    expect(failed.map((d) => d.id)).toEqual(secondIds.slice(40));
    expect(failed.every((d) => d.status === 'failed' && d.failureReason === 'no_text')).toBe(true);
    const ready = await documentPages(50, { status: 'ready', kind: 'resume' });
    expect(ready.map((d) => d.id)).toEqual(
      (await acmeDocumentIds(sql`kind = 'resume'`)).filter((id) => !secondIds.slice(40).includes(id)),
    );
    // Texts are inserted one by one: the last of the first batch is its latest.
    const firstCreated = (
      await ok(acmeApi.GET('/v1/documents/{id}', { params: { path: { id: firstIds.at(-1)! } } }))
    ).createdAt;
    const after = new Date(Date.parse(firstCreated) + 1).toISOString();
    const later = await documentPages(30, { createdAfter: after });
    expect(later.map((d) => d.id)).toEqual([
      ...secondIds,
      postingId,
      ...(await acmeDocumentIds(sql`source->>'type' = 's3' AND source->>'key' LIKE 'incoming/tied-%'`)),
      added,
    ]);
    const listed = async (query: DocumentFilter) =>
      (await ok(acmeApi.GET('/v1/documents', { params: { query } }))).documents.map((d) => d.id);
    expect(await listed({ externalId: 'B1-7', kind: 'resume', status: 'ready' })).toEqual([firstIds[7]]);
    expect(await listed({ externalId: 'B1-7', kind: 'posting' })).toEqual([]);
  }, 180_000);

  it("lists postings, a posting's applicants and its runs; removes an applicant; another tenant sees none", async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const posting = await acmeApi.POST('/v1/postings', {
        body: { title: `Posting ${i}`, text: `Job ${i}: engineer.` },
      });
      expect(posting.response.status).toBe(201);
      made.push(posting.data!.id);
    }
    await stack.database.db.execute(
      sql`UPDATE postings SET status = 'closed' WHERE id IN (${sql.join(
        made.slice(1, 3).map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
    );
    const allPostings = await postingPages(2);
    expect(allPostings.map((p) => p.id)).toEqual(made);
    expect(allPostings[0]).toEqual({
      id: made[0],
      documentId: expect.stringMatching(UUID) as string,
      title: 'Posting 0',
      status: 'open',
      params: {},
      createdAt: expect.any(String) as string,
      updatedAt: expect.any(String) as string,
    });
    expect((await postingPages(1, { status: 'closed' })).map((p) => p.id)).toEqual(made.slice(1, 3));
    expect((await postingPages(10, { status: 'open' })).map((p) => p.id)).toEqual([
      made[0],
      ...made.slice(3),
    ]);

    // Applicants: 30 resumes (one batch, one creation time) and two uploads (file names), one a duplicate.
    const posting = made[0]!;
    const byPosting = { params: { path: { id: posting } } };
    const resumes = (
      await accept(
        Array.from({ length: 30 }, (_, i) => ({
          kind: 'resume',
          text: `Applicant ${i}: engineer, postgres.`,
          externalId: `AP-${i}`,
        })),
      )
    ).map((d) => d.id);
    const uploaded = (
      await upload([
        { name: 'zoe.txt', text: 'Zoe: engineer, rust and postgres.', externalId: 'AP-zoe' },
        { name: 'zoe-copy.txt', text: 'Zoe: engineer, rust and postgres.' },
      ])
    ).documents;
    const added = await acmeApi.POST('/v1/postings/{id}/applicants', {
      ...byPosting,
      body: { documentIds: [...resumes, uploaded[0]!.id] },
    });
    expect(added.response.status).toBe(200);
    const applicants = await applicantPages(posting, 7);
    expect(applicants.map((a) => a.documentId)).toEqual(
      (
        await queryRows<{ id: string }>(
          stack.database.db,
          sql`SELECT document_id AS id FROM applicants WHERE posting_id = ${posting} ORDER BY created_at, document_id`,
        )
      ).map((r) => r.id),
    );
    expect(new Set(applicants.map((a) => a.documentId))).toEqual(new Set([...resumes, uploaded[0]!.id]));
    const zoe = applicants.find((a) => a.documentId === uploaded[0]!.id)!;
    expect(zoe).toEqual({
      documentId: uploaded[0]!.id,
      status: expect.stringMatching(/^(queued|extracting|extracted|embedding|ready)$/) as string,
      file: 'zoe.txt',
      externalId: 'AP-zoe',
      addedAt: expect.any(String) as string,
    });
    expect(applicants.find((a) => a.documentId === resumes[3])).toMatchObject({ externalId: 'AP-3' });

    // Removing: 204; then it is gone; again, 404 naming what is missing.
    expect((await removeApplicant(posting, resumes[3]!)).response.status).toBe(204);
    const left = await applicantPages(posting, 100);
    expect(left.map((a) => a.documentId)).not.toContain(resumes[3]);
    expect(left).toHaveLength(30);
    const refusal = async (answer: ReturnType<typeof removeApplicant>) => {
      const { response, error } = await answer;
      return { status: response.status, message: error?.message };
    };
    expect(await refusal(removeApplicant(posting, resumes[3]!))).toEqual({
      status: 404,
      message: `document ${resumes[3]} is not an applicant of posting ${posting}`,
    });
    const unknownDocument = '00000000-0000-4000-8000-000000000001';
    expect(await refusal(removeApplicant(posting, unknownDocument))).toEqual({
      status: 404,
      message: `no document ${unknownDocument}`,
    });
    expect(await refusal(removeApplicant(unknownDocument, resumes[0]!))).toEqual({
      status: 404,
      message: `no posting ${unknownDocument}`,
    });
    // The duplicate's id removes its original, which is what was added.
    expect((await removeApplicant(posting, uploaded[1]!.id)).response.status).toBe(204);
    expect((await applicantPages(posting, 100)).map((a) => a.documentId)).not.toContain(uploaded[0]!.id);

    // Runs, in the order they were created.
    const runs: string[] = [];
    for (const top of [5, 10, 15]) {
      const run = await acmeApi.POST('/v1/postings/{id}/screenings', {
        ...byPosting,
        body: { top, evidence: 0 },
      });
      expect(run.response.status).toBe(202);
      runs.push(run.data!.runId);
    }
    const listedRuns = await runPages(posting, 2);
    expect(listedRuns.map((r) => r.id)).toEqual(runs);
    expect(listedRuns[1]).toEqual(
      expect.objectContaining({
        id: runs[1],
        postingId: posting,
        status: expect.stringMatching(/^(queued|running|completed)$/) as string,
        scope: 'applicants',
        trigger: 'api',
        top: 10,
        params: { threshold: 0.5, boost: 1.2, penalty: 0.6, hardGate: false },
        evidenceTop: 0,
        createdAt: expect.any(String) as string,
      }),
    );
    expect((await runPages(made[1]!, 10)).map((r) => r.id)).toEqual([]);

    // Another tenant: empty lists, and 404 for this tenant's posting whatever it asks.
    expect(await ok(globexApi.GET('/v1/documents'))).toEqual({ documents: [] });
    expect(await ok(globexApi.GET('/v1/postings'))).toEqual({ postings: [] });
    const refused = {
      applicants: await globexApi.GET('/v1/postings/{id}/applicants', byPosting),
      screenings: await globexApi.GET('/v1/postings/{id}/screenings', byPosting),
      removal: await refusal(removeApplicant(posting, resumes[0]!, globexApi)),
    };
    expect({
      applicants: { status: refused.applicants.response.status, message: refused.applicants.error?.message },
      screenings: { status: refused.screenings.response.status, message: refused.screenings.error?.message },
      removal: refused.removal,
    }).toEqual({
      applicants: { status: 404, message: `no posting ${posting}` },
      screenings: { status: 404, message: `no posting ${posting}` },
      removal: { status: 404, message: `no posting ${posting}` },
    });
    // ...and the applicant is still there.
    expect((await applicantPages(posting, 100)).map((a) => a.documentId)).toContain(resumes[0]);
  }, 120_000);

  it('refuses a bad limit, cursor or filter with a 400 naming it, on every list', async () => {
    const posting = (
      await ok(acmeApi.POST('/v1/postings', { body: { title: 'Bad input', text: 'Job: tester.' } }))
    ).id;
    // Query strings the typed client would not send (not a number, empty, not a date): sent as they are, and the
    // answers checked against the document all the same.
    const refusal = async (method: 'GET' | 'DELETE', pathAndQuery: string) => {
      const response = await checkedFetch(`${stack.base}${pathAndQuery}`, {
        method,
        headers: { authorization: `Bearer ${stack.keys.acme}` },
      });
      return { status: response.status, message: ((await response.json()) as { message: string }).message };
    };
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const lists = [
      '/v1/documents',
      '/v1/postings',
      `/v1/postings/${posting}/applicants`,
      `/v1/postings/${posting}/screenings`,
    ];
    const cases: [string, RegExp][] = [
      ['limit=0', /limit must be >= 1/],
      ['limit=1001', /limit must be <= 1000/],
      ['limit=ten', /limit must be integer/],
      ['limit=Infinity', /limit must be finite/],
      ['cursor=', /cursor must NOT have fewer than 1 characters/],
      ['cursor=not-a-cursor!', /^cursor: not a cursor this API gave out/],
      // What the old lists took: a raw id is refused, not read as a position.
      ['cursor=0b7c2c3e-5d1f-4e8a-9a51-3f6f2b8d9c10', /^cursor: not a cursor/],
      [
        `cursor=${b64('2026-02-30T10:00:00.000000Z 0b7c2c3e-5d1f-4e8a-9a51-3f6f2b8d9c10')}`,
        /^cursor: not a cursor/,
      ],
      [`cursor=${b64('2026-02-03T10:00:00.000000Z not-an-id')}`, /^cursor: not a cursor/],
      // A year JavaScript takes and PostgreSQL has not.
      [
        `cursor=${b64('0000-01-01T00:00:00.000000Z 0b7c2c3e-5d1f-4e8a-9a51-3f6f2b8d9c10')}`,
        /^cursor: not a cursor/,
      ],
      [`cursor=${'A'.repeat(201)}`, /cursor must NOT have more than 200 characters/],
    ];
    for (const path of lists) {
      for (const [query, message] of cases) {
        expect({ path, query, ...(await refusal('GET', `${path}?${query}`)) }).toEqual({
          path,
          query,
          status: 400,
          message: expect.stringMatching(message) as string,
        });
      }
    }
    for (const [path, message] of [
      ['/v1/documents?kind=cv', /kind must be equal to one of the allowed values/],
      ['/v1/documents?status=done', /status must be equal to one of the allowed values/],
      ['/v1/documents?createdAfter=yesterday', /createdAfter must match format "date-time"/],
      ['/v1/documents?createdAfter=2026-11-30T10:00:00', /createdAfter must match format "date-time"/],
      ['/v1/documents?createdAfter=0000-01-01T00:00:00Z', /createdAfter must match pattern/],
      ['/v1/documents?externalId=a%00b', /^query\.externalId: contains U\+0000/],
      ['/v1/documents?domain=a%00', /^query\.domain: contains U\+0000/],
      [`/v1/documents?externalId=${'E'.repeat(201)}`, /externalId must NOT have more than 200 characters/],
      ['/v1/postings?status=archived', /status must be equal to one of the allowed values/],
      ['/v1/postings/not-a-uuid/applicants', /id must match format "uuid"/],
      [`/v1/postings/${posting}/applicants/not-a-uuid`, /documentId must match format "uuid"/],
    ] as const) {
      const method = path.split('/').length === 6 ? 'DELETE' : 'GET';
      expect({ path, ...(await refusal(method, path)) }).toEqual({
        path,
        status: 400,
        message: expect.stringMatching(message) as string,
      });
    }
  });

  it('documents every list, its cursor and its items in the OpenAPI document', async () => {
    const openapi = (await (await fetch(`${stack.base}/docs/json`)).json()) as {
      paths: Record<
        string,
        Record<string, { parameters?: { name: string }[]; responses: Record<string, unknown> }>
      >;
    };
    const success = (path: string) =>
      (
        openapi.paths[path]!.get!.responses['200'] as {
          content: {
            'application/json': {
              schema: { required: string[]; properties: Record<string, unknown> };
              example: { nextCursor: string };
            };
          };
        }
      ).content['application/json'];
    const posting = (
      await ok(acmeApi.POST('/v1/postings', { body: { title: 'Examples', text: 'Job: writer.' } }))
    ).id;
    const byPosting = { params: { path: { id: posting } } };
    /** A page after a cursor, as each list's client call has it: the cursor of the document's example must be one the API takes. */
    const after: Record<string, (cursor: string) => Promise<{ response: Response }>> = {
      '/v1/documents': (cursor) => acmeApi.GET('/v1/documents', { params: { query: { cursor } } }),
      '/v1/postings': (cursor) => acmeApi.GET('/v1/postings', { params: { query: { cursor } } }),
      '/v1/postings/{id}/applicants': (cursor) =>
        acmeApi.GET('/v1/postings/{id}/applicants', { params: { ...byPosting.params, query: { cursor } } }),
      '/v1/postings/{id}/screenings': (cursor) =>
        acmeApi.GET('/v1/postings/{id}/screenings', { params: { ...byPosting.params, query: { cursor } } }),
    };
    for (const [path, name, required] of [
      ['/v1/documents', 'documents', ['id', 'kind', 'status', 'createdAt']],
      [
        '/v1/postings',
        'postings',
        ['id', 'documentId', 'title', 'status', 'params', 'createdAt', 'updatedAt'],
      ],
      ['/v1/postings/{id}/applicants', 'applicants', ['documentId', 'status', 'addedAt']],
      ['/v1/postings/{id}/screenings', 'screenings', ['id', 'postingId', 'status', 'scope', 'trigger']],
    ] as const) {
      const { schema, example } = success(path);
      expect(schema.required).toEqual([name]);
      expect(Object.keys(schema.properties)).toEqual([name, 'nextCursor']);
      expect((schema.properties[name] as { items: { required: string[] } }).items.required).toEqual(
        expect.arrayContaining([...required]),
      );
      expect(openapi.paths[path]!.get!.parameters!.map((p) => p.name)).toEqual(
        expect.arrayContaining(['cursor', 'limit']),
      );
      expect({ path, status: (await after[path]!(example.nextCursor)).response.status }).toEqual({
        path,
        status: 200,
      });
    }
    expect(Object.keys(openapi.paths['/v1/postings/{id}/applicants/{documentId}']!)).toContain('delete');
  });

  it("pages a tenant's 50,000 documents and a posting's applicants by index range scans from the cursor", async () => {
    const { pool, db } = stack.database;
    const tenant = (await new TenantRepository(db).ensure('plans')).tenantId;
    const posting = await seedDocuments(pool, tenant, 50_000);
    const [deep] = await queryRows<{ key: string; id: string }>(
      db,
      sql`SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS key, id
          FROM documents WHERE tenant_id = ${tenant} AND kind = 'resume'
          ORDER BY created_at, id OFFSET 49000 LIMIT 1`,
    );
    const after = { createdAt: deep!.key, id: deep!.id };
    const lists = [
      [
        'documents',
        'documents_tenant_created_idx',
        (d: Database) => documentsOf(d).list(tenant, { after, limit: 100 }),
      ],
      [
        'documents?kind=posting',
        'documents_tenant_kind_created_idx',
        (d: Database) => documentsOf(d).list(tenant, { kind: 'posting', after, limit: 100 }),
      ],
      [
        'documents?externalId=ATS-49950',
        'documents_tenant_external_id_idx',
        (d: Database) => documentsOf(d).list(tenant, { externalId: 'ATS-49950', after, limit: 100 }),
      ],
      [
        'applicants',
        'applicants_posting_created_idx',
        (d: Database) => new PostingRepository(d).listApplicants(tenant, posting, { after, limit: 100 }),
      ],
    ] as const;
    for (const [list, index, query] of lists) {
      const queries = await captureQueries(pool, query);
      expect(queries).toHaveLength(1);
      const { plan } = await explain(pool, queries[0]!);
      const nodes = planNodes(plan);
      const outline = planOutline(plan);
      const scan = nodes.find((n) => n['Index Name'] === index);
      // The cursor is where the scan starts (an index condition); no table is scanned whole (the label and the
      // original are looked up by key for the page's rows), and nothing sorts more than a page.
      expect({ list, outline, scan: scan?.['Node Type'], cursor: scan?.['Index Cond'] }).toEqual({
        list,
        outline,
        scan: expect.stringMatching(/^Index (Only )?Scan$/) as string,
        cursor: expect.stringMatching(/\(ROW\(created_at, (document_)?id\) > ROW\(/) as string,
      });
      expect(
        nodes
          .filter((n) => n['Node Type'] === 'Seq Scan' || (n['Node Type'] === 'Sort' && n['Plan Rows'] > 101))
          .map(planOutline),
      ).toEqual([]);
    }
  }, 120_000);
});
