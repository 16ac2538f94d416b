import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import { DocumentRepository, TenantRepository, queryRows } from '@shortlist/db';
import { JobQueues } from '@shortlist/queue';
import type { ObjectStore } from '@shortlist/storage';
import { checkedFetch } from '../support/api-client/client';
import type { paths } from '../support/api-client/openapi';
import { startApiStack, type ApiStack } from '../support/api-stack';
import type { TestDatabase } from '../support/database';
import { waitFor } from '../support/net';
import type { TestBucket } from '../support/s3';
import type { WorkerProcess } from '../support/worker';

const fixtures = join(__dirname, '..', 'fixtures');
const MAX_BYTES = 2 * 1024 * 1024;
/** A truncated upload is answered after this long without a byte (BODY_READ_TIMEOUT_SECONDS, shortened). */
const BODY_READ_TIMEOUT_MS = 2000;
const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

/** The object store, counting the calls that reach S3 (to prove that refused references make none). */
/**
 * The API's store, counting its calls; `deletesDown` makes deletes fail as when S3 cannot be reached (the
 * connection refused), the rest of the store still up.
 */
function countingStore(store: ObjectStore): ObjectStore & { calls: number; deletesDown: boolean } {
  const counting = { calls: 0, deletesDown: false } as ObjectStore & { calls: number; deletesDown: boolean };
  for (const method of ['ensureReady', 'checkReachable', 'put', 'get', 'size', 'delete'] as const) {
    (counting as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      counting.calls++;
      if (method === 'delete' && counting.deletesDown)
        return Promise.reject(
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
        );
      return (store[method] as (...a: unknown[]) => unknown).apply(store, args);
    };
  }
  return counting;
}

type DocumentsBody = paths['/v1/documents']['post']['requestBody']['content']['application/json'];

interface DocumentBody {
  id: string;
  status: string;
  failureReason?: string;
  duplicateOf?: string;
  tokens?: number;
  truncated?: boolean;
}

describe('document API end to end (HTTP, PostgreSQL, Redis, S3, a worker process)', () => {
  let stack: ApiStack;
  let database: TestDatabase;
  let bucket: TestBucket;
  let store: ObjectStore & { calls: number; deletesDown: boolean };
  let redis: Redis;
  let prefix: string;
  let base: string;
  let key: string;
  let otherKey: string;
  let worker: WorkerProcess;

  beforeAll(async () => {
    stack = await startApiStack({
      ingest: (b) => ({
        maxDocumentBytes: MAX_BYTES,
        bodyReadTimeoutMs: BODY_READ_TIMEOUT_MS,
        sourceAllowlist: [{ bucket: b.bucket, prefix: 'incoming/' }],
      }),
      adminToken: ADMIN_TOKEN,
      store: (s) => (store = countingStore(s)),
      workerEnv: { EXTRACT_TIMEOUT_MS: '3000', EXTRACT_MEMORY_MB: '256' },
    });
    ({ database, bucket, redis, prefix, base, worker } = stack);
    ({ acme: key, globex: otherKey } = stack.keys);
  });

  afterAll(() => stack?.stop());

  const auth = (k = key) => ({ authorization: `Bearer ${k}` });

  /** A multipart upload: built by hand (the typed client sends JSON), its answer checked against the document. */
  async function upload(files: string[], kind = 'resume', k = key): Promise<Response> {
    const form = new FormData();
    form.append('kind', kind);
    for (const file of files) {
      form.append('file', new Blob([readFileSync(file)]), file.split('/').pop());
    }
    return checkedFetch(`${base}/v1/documents`, { method: 'POST', headers: auth(k), body: form });
  }

  /**
   * A POST /v1/documents whose body stops `missing` bytes short of its Content-Length, by hand on a socket; resolves
   * with all the server sent once it closes the connection (the test would time out otherwise).
   */
  function stalledPost(headers: string, body: string, missing: number): Promise<string> {
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    const answer = new Promise<string>((resolve) => {
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString()));
      socket.on('close', () => resolve(received));
    });
    socket.write(
      `POST /v1/documents HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\n${headers}\r\n` +
        `Content-Length: ${body.length + missing}\r\n\r\n${body}`,
    );
    return answer;
  }

  async function postJson(body: DocumentsBody, k = key) {
    const { data, error, response } = await stack.client(k).POST('/v1/documents', { body });
    return { status: response.status, data, error };
  }

  async function get(id: string, k = key): Promise<{ status: number; body: DocumentBody }> {
    const { data, error, response } = await stack
      .client(k)
      .GET('/v1/documents/{id}', { params: { path: { id } } });
    return { status: response.status, body: (data ?? error) as DocumentBody };
  }

  const settled = (ids: string[]) =>
    waitFor(
      `documents ${ids.join(', ')} to settle`,
      async () => {
        const views = await Promise.all(ids.map(async (id) => (await get(id)).body));
        return views.every((v) => v.status === 'ready' || v.status === 'failed') ? views : undefined;
      },
      90_000,
      200,
    );

  it('refuses requests without a valid API key', async () => {
    const none = await stack
      .client()
      .GET('/v1/documents/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } });
    expect(none.response.status).toBe(401);
    expect(none.error).toMatchObject({ error: 'unauthorized' });
    expect((await get('00000000-0000-4000-8000-000000000000', 'sl_wrong')).status).toBe(401);
  });

  it('takes txt, PDF, DOCX and HTML uploads to ready', async () => {
    const response = await upload(
      ['resume.txt', 'resume.pdf', 'resume.docx', 'resume.html'].map((f) => join(fixtures, 'docs', f)),
    );
    expect(response.status).toBe(202);
    const { documents } = (await response.json()) as { documents: DocumentBody[] };
    expect(documents).toHaveLength(4);
    expect(documents.every((d) => d.status === 'queued')).toBe(true);
    const views = await settled(documents.map((d) => d.id));
    expect(views.map((v) => v.status)).toEqual(['ready', 'ready', 'ready', 'ready']);
    expect(views.every((v) => (v.tokens ?? 0) > 20)).toBe(true);
    expect(views.map((v) => v.truncated)).toEqual([false, false, false, false]);
    const [vectors] = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT count(*)::int AS n FROM embeddings WHERE document_id IN ${documents.map((d) => d.id)}`,
    );
    expect(vectors!.n).toBe(8);
  });

  it('answers a re-upload with duplicateOf, at no extraction or inference cost', async () => {
    const firstResponse = await upload([join(fixtures, 'docs', 'resume.txt')]);
    const firstBody = (await firstResponse.json()) as { documents: DocumentBody[] };
    expect({ status: firstResponse.status, firstBody }).toMatchObject({ status: 202 });
    const first = firstBody.documents[0]!;
    // resume.txt was uploaded by the previous test already: this one is a duplicate of that.
    expect(first.duplicateOf).toBeDefined();
    const [texts] = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT count(*)::int AS n FROM document_texts`,
    );
    const again = await upload([join(fixtures, 'docs', 'resume.txt')]);
    const copy = ((await again.json()) as { documents: DocumentBody[] }).documents[0]!;
    expect(copy).toMatchObject({ status: 'ready', duplicateOf: first.duplicateOf });
    expect((await get(copy.id)).body).toMatchObject({ status: 'ready', duplicateOf: first.duplicateOf });
    const [after] = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT count(*)::int AS n FROM document_texts`,
    );
    expect(after!.n).toBe(texts!.n);
    expect(await new JobQueues(redis, prefix).queue('extract').getJob(copy.id)).toBeUndefined();
  });

  it('gives every bad input its status, and the good document beside them is not affected', async () => {
    const bad = readdirSync(join(fixtures, 'bad')).filter((f) => f !== 'README.md' && f !== 'long.txt');
    const files = [...bad.map((f) => join(fixtures, 'bad', f)), join(fixtures, 'docs', 'resume.html')];
    // One per request: a file over the limit would refuse its request (413) — that is tested on its own.
    const ids: Record<string, string> = {};
    for (const file of files) {
      const response = await upload([file]);
      expect(response.status).toBe(202);
      ids[file.split('/').pop()!] = (
        (await response.json()) as { documents: DocumentBody[] }
      ).documents[0]!.id;
    }
    const views = await settled(Object.values(ids));
    const outcome = Object.fromEntries(
      Object.keys(ids).map((file, i) => [file, views[i]!.failureReason ?? views[i]!.status]),
    );
    expect(outcome).toEqual({
      'bomb.docx': 'too_large',
      'empty.txt': 'no_text',
      'fontmatrix-cve-2024-4367.pdf': 'ready',
      'hang.pdf': expect.stringMatching(/^extract_(timeout|memory)$/) as string,
      'image-only.pdf': 'no_text',
      'latin1.txt': 'ready',
      'nul.txt': 'ready',
      'pdf-named.docx': 'ready',
      'random.bin': 'unsupported_format',
      'truncated.pdf': 'corrupt_file',
      'utf16.txt': 'ready',
      'resume.html': 'ready',
    });
    expect(worker.child.exitCode).toBeNull(); // the worker kept running throughout
  });

  /** Objects Shortlist stored (under a tenant's prefix) that no document row accounts for. */
  async function strandedObjects(): Promise<string[]> {
    const rows = await queryRows<{ key: string }>(
      database.db,
      sql`SELECT source->>'key' AS key FROM documents WHERE source->>'key' IS NOT NULL`,
    );
    const known = new Set(rows.map((r) => r.key));
    return (await bucket.keys()).filter((k) => !k.startsWith('incoming/') && !known.has(k));
  }

  const documentCount = async () =>
    (await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM documents`))[0]!.n;

  it('refuses an upload over the size limit with 413, storing none of its files', async () => {
    const before = await documentCount();
    const big = Buffer.alloc(MAX_BYTES + 1, 'a');
    const form = new FormData();
    form.append('kind', 'resume');
    form.append('file', new Blob(['a small resume about kafka and spark']), 'small.txt');
    form.append('file', new Blob([big]), 'big.txt');
    const response = await checkedFetch(`${base}/v1/documents`, {
      method: 'POST',
      headers: auth(),
      body: form,
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: string; message: string; documents: DocumentBody[] };
    expect(body.error).toBe('payload_too_large');
    expect(body.message).toMatch(/big\.txt is larger than the limit of 2097152 bytes/);
    expect(body.documents).toEqual([]);
    expect(await documentCount()).toBe(before);
    expect(await strandedObjects()).toEqual([]);
  });

  it('refuses metadata PostgreSQL cannot store, or too deep or too big, with 400 naming the field, storing nothing', async () => {
    const before = await documentCount();
    // Built as text: JSON.stringify itself cannot nest 5,000 deep on a test's stack.
    const deep = `${'{"a":'.repeat(5000)}{}${'}'.repeat(5000)}`;
    const cases: [unknown, RegExp][] = [
      [{ note: 'a\u0000b' }, /^body\.metadata\.note: contains U\+0000/],
      [{ note: '\udfff' }, /^body\.metadata\.note: contains a lone UTF-16 surrogate/],
      [{ ['k\u0000']: 1 }, /^body\.metadata key "k\\u0000": contains U\+0000/],
      [deep, /^body\.metadata(\.a)+: nests deeper than 32 levels/],
      [{ blob: 'x'.repeat(17 * 1024) }, /^body\.metadata: is \d+ bytes as JSON, over the limit of 16384/],
    ];
    for (const [metadata, message] of cases) {
      // Sent as JSON text: a lone surrogate must reach the server as the escape \udfff.
      const response = await checkedFetch(`${base}/v1/documents`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: `{"kind":"resume","text":"Resume: Python and SQL.","metadata":${typeof metadata === 'string' ? metadata : JSON.stringify(metadata)}}`,
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(message);
    }
    expect(await documentCount()).toBe(before);
    expect(await strandedObjects()).toEqual([]);
  });

  it('refuses a multipart file name with NUL with 400 naming the part, storing nothing', async () => {
    const before = await documentCount();
    const form = new FormData();
    form.append('kind', 'resume');
    form.append('file', new Blob(['first resume: Kotlin and Android']), 'first.txt');
    form.append('file', new Blob(['second resume: Elixir and Phoenix']), 'bad\u0000name.txt');
    const response = await checkedFetch(`${base}/v1/documents`, {
      method: 'POST',
      headers: auth(),
      body: form,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      message: expect.stringMatching(/^file\[1\]\.filename: contains U\+0000/) as string,
      documents: [],
    });
    expect(await documentCount()).toBe(before);
    expect(await strandedObjects()).toEqual([]);
  });

  it('refuses a multipart part it does not know with 400 naming it, as JSON refuses a property, storing nothing', async () => {
    const before = await documentCount();
    for (const [append, named] of [
      [(form: FormData) => form.append('metadata', '{"source":"ats"}'), /^metadata: not a part of an upload/],
      [
        (form: FormData) => form.append('files', new Blob(['a resume']), 'c.txt'),
        /^files: not a part of an upload/,
      ],
    ] as const) {
      const form = new FormData();
      form.append('kind', 'resume');
      form.append('file', new Blob(['first resume: Kotlin and Android']), 'first.txt');
      append(form);
      const response = await checkedFetch(`${base}/v1/documents`, {
        method: 'POST',
        headers: auth(),
        body: form,
      });
      expect({ status: response.status, body: await response.json() }).toMatchObject({
        status: 400,
        body: { error: 'invalid_request', message: expect.stringMatching(named) as string, documents: [] },
      });
    }
    expect(await documentCount()).toBe(before);
    expect(await strandedObjects()).toEqual([]);
  });

  it('creates nothing from a batch whose third entry is bad, naming the entry', async () => {
    const before = await documentCount();
    const response = await postJson({
      documents: [
        { kind: 'resume', text: 'Batch resume one: Scala and Akka.' },
        { kind: 'resume', text: 'Batch resume two: Haskell and Nix.' },
        { kind: 'resume', text: 'Batch resume three: OCaml.', metadata: { source: 'x\u0000' } },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.error?.message).toMatch(/^body\.documents\[2\]\.metadata\.source/);
    expect(await documentCount()).toBe(before);
    expect(await strandedObjects()).toEqual([]);
  });

  it('refuses an upload of more files than the limit with 413 naming it, creating nothing', async () => {
    const before = await documentCount();
    const form = new FormData();
    form.append('kind', 'resume');
    for (let i = 0; i <= 1000; i++) form.append('file', new Blob([`tiny resume ${i}`]), `r${i}.txt`);
    const response = await checkedFetch(`${base}/v1/documents`, {
      method: 'POST',
      headers: auth(),
      body: form,
    });
    expect({ status: response.status, body: await response.json() }).toMatchObject({
      status: 413,
      body: {
        error: 'payload_too_large',
        message: expect.stringMatching(/more than 1000 files in one upload/) as string,
        documents: [],
      },
    });
    expect(await documentCount()).toBe(before);
    expect(await strandedObjects()).toEqual([]);
  });

  it('answers a truncated multipart upload 400 once its body stops arriving, and closes the connection', async () => {
    const before = await documentCount();
    const boundary = 'shortlist-truncated';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nresume\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\n` +
      `Content-Type: text/plain\r\n\r\nhalf of a resume, and then nothing more`;
    const started = Date.now();
    const received = await stalledPost(
      `Idempotency-Key: stalled-upload-1\r\nContent-Type: multipart/form-data; boundary=${boundary}`,
      body,
      10_000,
    );
    expect(received).toMatch(/^HTTP\/1\.1 400 /);
    expect(received).toMatch(/BODY_READ_TIMEOUT_SECONDS/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(BODY_READ_TIMEOUT_MS);
    expect(await documentCount()).toBe(before);
    // The part in hand is aborted once the answer is out: its upload is removed then.
    await waitFor('the aborted part to be removed', async () => (await strandedObjects()).length === 0);

    // The client's retry with the same Idempotency-Key runs: the stalled request is not kept as its answer.
    const form = new FormData();
    form.append('kind', 'resume');
    form.append('file', new Blob(['a whole resume this time: Rust and Kafka']), 'whole.txt');
    const retry = await fetch(`${base}/v1/documents`, {
      method: 'POST',
      headers: { ...auth(), 'idempotency-key': 'stalled-upload-1' },
      body: form,
    });
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await documentCount()).toBe(before + 1);
  });

  it('answers a JSON body that stops arriving 400 body_timeout, and closes the connection', async () => {
    const before = await documentCount();
    const body = JSON.stringify({ kind: 'resume', text: 'a resume that never finishes arriving' });
    const started = Date.now();
    const received = await stalledPost('Content-Type: application/json', body, 100);
    expect(received).toMatch(/^HTTP\/1\.1 400 /);
    expect(received).toMatch(/"error":"body_timeout"/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(BODY_READ_TIMEOUT_MS);
    expect(await documentCount()).toBe(before);
  });

  it('answers a multipart upload whose body ends before its closing boundary 400 at once, storing nothing', async () => {
    const before = await documentCount();
    const boundary = 'shortlist-unterminated';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nresume\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\n` +
      `Content-Type: text/plain\r\n\r\nhalf of a resume, and the body ends here`;
    // The whole body arrives (its Content-Length is right): only the closing boundary is missing.
    const response = await fetch(`${base}/v1/documents`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body,
      signal: AbortSignal.timeout(BODY_READ_TIMEOUT_MS * 5),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: 'invalid_request',
      message: expect.stringMatching(/ended before its closing boundary/) as string,
      documents: [],
    });
    expect(await documentCount()).toBe(before);
    await waitFor('the part in hand to be removed', async () => (await strandedObjects()).length === 0);

    const unbounded = await fetch(`${base}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'multipart/form-data' },
      body,
    });
    expect(unbounded.status).toBe(400);
    expect(await unbounded.json()).toMatchObject({
      error: 'invalid_request',
      message: expect.stringMatching(/without a boundary/) as string,
    });
  });

  it('processes a document failed for a reason not its own again, on retry and on re-upload; refuses the rest with 409', async () => {
    const tenantId = (await new TenantRepository(database.db).ensure('acme')).tenantId;
    const documents = new DocumentRepository(database.db);
    const accepted = async (text: string) => (await postJson({ kind: 'resume', text })).data!.documents[0]!;
    const first = await accepted('Retry resume: Fortran and MPI on clusters.');
    const second = await accepted('Re-upload resume: COBOL and CICS on mainframes.');
    await settled([first.id, second.id]);
    // As if the worker had given up while a service was down, or its scratch disk was full.
    await documents.setStatus(tenantId, first.id, 'failed', 'retries_exhausted');
    await documents.setStatus(tenantId, second.id, 'failed', 'scratch_space_full');

    const retry = async (id: string, k = key) => {
      const { data, error, response } = await stack
        .client(k)
        .POST('/v1/documents/{id}/retry', { params: { path: { id } } });
      return { status: response.status, data, error };
    };
    expect((await retry(first.id, otherKey)).status).toBe(404);
    const retried = await retry(first.id);
    expect(retried.status).toBe(202);
    expect(retried.data).toEqual({ id: first.id, status: 'queued' });

    const again = await accepted('Re-upload resume: COBOL and CICS on mainframes.');
    expect(again).toMatchObject({ status: 'queued', duplicateOf: second.id });
    const views = await settled([first.id, second.id]);
    expect(views.map((v) => v.status)).toEqual(['ready', 'ready']);

    const ready = await retry(first.id);
    expect(ready.status).toBe(409);
    expect(ready.error?.message).toMatch(/it is ready, not failed/);
    const corrupt = (
      (await (await upload([join(fixtures, 'bad', 'truncated.pdf')])).json()) as { documents: DocumentBody[] }
    ).documents[0]!;
    await settled([corrupt.id]);
    const refused = await retry(corrupt.id);
    expect(refused.status).toBe(409);
    expect(refused.error?.message).toMatch(/failed as corrupt_file/);
  });

  it('accepts inline text and S3 references in one batch, and refuses references outside the allow-list without calling S3', async () => {
    await bucket.store.put('incoming/a.txt', 'Referenced resume: Go, gRPC and Kubernetes operator work.');
    const response = await postJson({
      documents: [
        { kind: 'resume', text: 'Inline resume: Rust, embedded Linux and CAN bus tooling.' },
        { kind: 'resume', source: { bucket: bucket.bucket, key: 'incoming/a.txt' } },
        { kind: 'resume', source: { bucket: bucket.bucket, key: 'incoming/missing.txt' } },
      ],
    });
    expect(response.status).toBe(202);
    const views = await settled(response.data!.documents.map((d) => d.id));
    expect(views.map((v) => v.failureReason ?? v.status)).toEqual(['ready', 'ready', 'source_missing']);

    const calls = store.calls;
    for (const [source, pattern] of [
      [{ bucket: 'someone-elses', key: 'incoming/a.txt' }, /outside the allowed buckets/],
      [{ bucket: bucket.bucket, key: 'private/a.txt' }, /outside the allowed buckets/],
      [{ bucket: bucket.bucket, key: 'incoming/../private/a.txt' }, /invalid object key/],
    ] as const) {
      const refused = await postJson({ kind: 'resume', source });
      expect(refused.status).toBe(400);
      expect(refused.error?.message).toMatch(pattern);
    }
    expect(store.calls).toBe(calls);
  });

  it('checks a whole batch before storing any of it, naming the bad entry', async () => {
    const [before] = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT count(*)::int AS n FROM documents`,
    );
    const response = await postJson({
      documents: [
        { kind: 'resume', source: { bucket: bucket.bucket, key: 'incoming/a.txt' } },
        { kind: 'resume', source: { bucket: bucket.bucket, key: 'incoming/../x' } },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.error?.message).toMatch(/^body\.documents\[1\]\.source\.key/);
    const invalid = await postJson({ documents: [{ kind: 'cv' as 'resume', text: 'x' }] });
    expect(invalid.status).toBe(400);
    expect(invalid.error?.message).toMatch(/documents\/0\/kind/);
    const [after] = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT count(*)::int AS n FROM documents`,
    );
    expect(after!.n).toBe(before!.n);
  });

  it("answers 404 for another tenant's document, and erases a document with everything derived from it", async () => {
    const response = await upload([join(fixtures, 'bad', 'nul.txt')], 'resume', otherKey);
    const id = ((await response.json()) as { documents: DocumentBody[] }).documents[0]!.id;
    await settled([]); // nothing of acme's is pending
    const byId = { params: { path: { id } } };
    expect((await get(id)).status).toBe(404);
    expect((await stack.client(key).DELETE('/v1/documents/{id}', byId)).response.status).toBe(404);
    await waitFor(
      'the other tenant document to be ready',
      async () => (await get(id, otherKey)).body.status === 'ready',
    );

    // S3 down: 503, and the document is whole, its bytes with it, to be erased once S3 is back.
    const tenant = (await new TenantRepository(database.db).ensure('globex')).tenantId;
    store.deletesDown = true;
    try {
      const down = await stack.client(otherKey).DELETE('/v1/documents/{id}', byId);
      expect(down.response.status).toBe(503);
    } finally {
      store.deletesDown = false;
    }
    expect((await get(id, otherKey)).status).toBe(200);
    expect(await bucket.store.size(`${tenant}/${id}`)).toBeGreaterThan(0);

    const erased = await stack.client(otherKey).DELETE('/v1/documents/{id}', byId);
    expect(erased.response.status).toBe(204);
    expect((await get(id, otherKey)).status).toBe(404);
    const [left] = await queryRows<{ n: number }>(
      database.db,
      sql`SELECT (SELECT count(*) FROM embeddings WHERE document_id = ${id})
        + (SELECT count(*) FROM document_texts WHERE document_id = ${id})::int AS n`,
    );
    expect(Number(left!.n)).toBe(0);
    expect(await bucket.store.size(`${tenant}/${id}`)).toBeUndefined();
  });

  it('serves OpenAPI at /docs, Prometheus metrics apart from the public port, and the queue dashboard behind ADMIN_TOKEN', async () => {
    expect((await fetch(`${base}/docs`)).status).toBe(200);
    const spec = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/documents', '/v1/documents/{id}']));
    // /metrics shows every tenant's counts: on its own listener (METRICS_PORT), not on the public port.
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const metrics = await (await fetch(`${stack.metricsBase}/metrics`)).text();
    expect(metrics).toMatch(/shortlist_queue_backlog\{queue="extract"\} \d+/);
    expect(metrics).toMatch(/shortlist_documents\{status="ready"\} [1-9]\d*/);
    expect(metrics).toMatch(/shortlist_embedding_tokens_per_second \d/);
    expect(metrics).toMatch(
      /shortlist_http_request_duration_seconds_count\{method="POST",route="\/v1\/documents",status="202"\} \d+/,
    );
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    const board = await fetch(`${base}/admin/queues`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
    });
    expect(board.status).toBe(200);
    expect(await board.text()).toMatch(/<html/i);
  });
});
