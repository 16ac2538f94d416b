import { connect } from 'node:net';
import { sql } from 'drizzle-orm';
import { queryRows } from '@shortlist/db';
import type { ApiClient } from '../support/api-client/client';
import type { paths } from '../support/api-client/openapi';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { waitFor } from '../support/net';

describe('Idempotency-Key on POST (HTTP API on PostgreSQL)', () => {
  let stack: ApiStack;
  let acme: ApiClient;

  type Body<P extends '/v1/postings' | '/v1/documents'> =
    paths[P]['post']['requestBody']['content']['application/json'];
  /** A POST through the typed client (its answer checked against the OpenAPI document), with an Idempotency-Key. */
  const post = async <P extends '/v1/postings' | '/v1/documents'>(
    path: P,
    body: Body<P>,
    key?: string,
    client = acme,
  ) => {
    const params = { header: key ? { 'idempotency-key': key } : {} };
    const { data, error, response } =
      path === '/v1/postings'
        ? await client.POST('/v1/postings', { params, body: body as Body<'/v1/postings'> })
        : await client.POST('/v1/documents', { params, body });
    return {
      status: response.status,
      replayed: response.headers.get('idempotent-replayed'),
      json: (data ?? error) as Record<string, unknown>,
    };
  };
  const count = async (table: 'postings' | 'documents') =>
    (
      await queryRows<{ n: number }>(
        stack.database.db,
        sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)}`,
      )
    )[0]!.n;

  beforeAll(async () => {
    stack = await startApiStack();
    acme = stack.client(stack.keys.acme);
  }, 120_000);
  afterAll(() => stack?.stop());

  it('answers a repeated POST with the first answer, creating nothing twice', async () => {
    const body = { title: 'Data engineer', text: 'kafka and spark pipelines' };
    const before = await count('postings');
    const first = await post('/v1/postings', body, 'posting-1');
    const again = await post('/v1/postings', body, 'posting-1');
    expect(first.status).toBe(201);
    expect(again).toEqual({ status: 201, replayed: 'true', json: first.json });
    expect(first.replayed).toBeNull();
    expect(await count('postings')).toBe(before + 1);
    // The same object serialised with its keys in another order (another client library) is the same request.
    const reordered = await post('/v1/postings', { text: body.text, title: body.title }, 'posting-1');
    expect(reordered).toEqual({ status: 201, replayed: 'true', json: first.json });
    expect(await count('postings')).toBe(before + 1);
    // Without a key, two posts are two postings; another tenant's key of the same name is its own.
    const other = await post('/v1/postings', body, 'posting-1', stack.client(stack.keys.globex));
    expect(other.status).toBe(201);
    expect(other.json.id).not.toBe(first.json.id);
  });

  it('refuses the same key with a different request, and a key that is not printable ASCII', async () => {
    await post('/v1/postings', { title: 'A', text: 'one text' }, 'posting-2');
    const reused = await post('/v1/postings', { title: 'B', text: 'another text' }, 'posting-2');
    expect(reused.status).toBe(422);
    expect(reused.json).toMatchObject({ error: 'idempotency_key_reused' });
    const bad = await post('/v1/postings', { title: 'A', text: 'one text' }, 'x'.repeat(256));
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/Idempotency-Key must be 1-255 printable ASCII characters/);
  });

  it('keeps nothing of an erased document in the answers kept for retries, and still answers the retry', async () => {
    const body = {
      documents: [
        { kind: 'resume' as const, text: 'Jane Doe, 17 Elm Street: Kotlin', externalId: 'JANE-DOE-77' },
        { kind: 'resume' as const, text: 'John Roe: Elixir and Phoenix', externalId: 'JOHN-ROE-12' },
      ],
    };
    const first = await post('/v1/documents', body, 'erase-then-retry');
    expect(first.status).toBe(202);
    const [jane, john] = (first.json as { documents: { id: string; externalId?: string }[] }).documents;
    const erased = await acme.DELETE('/v1/documents/{id}', { params: { path: { id: jane!.id } } });
    expect(erased.response.status).toBe(204);
    const retry = await post('/v1/documents', body, 'erase-then-retry');
    expect(retry).toMatchObject({ status: 202, replayed: 'true' });
    expect((retry.json as { documents: unknown[] }).documents).toEqual([
      { id: jane!.id, status: 'queued' },
      { ...john, externalId: 'JOHN-ROE-12' },
    ]);
    const [kept] = await queryRows<{ body: string }>(
      stack.database.db,
      sql`SELECT response_body AS body FROM idempotency_keys WHERE key = 'erase-then-retry'`,
    );
    expect(kept!.body).not.toContain('JANE-DOE-77');
  });

  it('gives a client that cut its connection mid-request the batch it sent, once', async () => {
    const documents = Array.from({ length: 300 }, (_, i) => ({
      kind: 'resume' as const,
      text: `cut resume ${i}`,
    }));
    const body = JSON.stringify({ documents });
    const before = await count('documents');
    // A client that gives up waiting: the whole request is sent, and once the server is at work on it (its key is
    // claimed), the connection is cut before the answer comes.
    const url = new URL(stack.base);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(
      [
        'POST /v1/documents HTTP/1.1',
        `Host: ${url.host}`,
        `Authorization: Bearer ${stack.keys.acme}`,
        'Content-Type: application/json',
        'Idempotency-Key: batch-cut-1',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n'),
    );
    let answered = false;
    socket.on('data', () => (answered = true));
    await waitFor(
      'the first request to claim its key',
      async () => {
        const rows = await queryRows<{ n: number }>(
          stack.database.db,
          sql`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = 'batch-cut-1'`,
        );
        return rows[0]!.n === 1;
      },
      60_000,
      5,
    );
    socket.destroy();
    // The server carries on with the request; the retry waits for it and replays its answer.
    const retry = await post('/v1/documents', { documents }, 'batch-cut-1');
    expect(retry.status).toBe(202);
    expect(retry.replayed).toBe('true');
    expect(retry.json.documents).toHaveLength(300);
    expect(answered).toBe(false); // the first answer went nowhere: the retry is how the client learns the ids
    expect(await count('documents')).toBe(before + 300);

    // A request cut before its body was complete never ran: the retry runs it, once.
    const half = await new Promise<void>((resolve, reject) => {
      const cut = connect(Number(url.port), url.hostname, () => {
        const second = JSON.stringify({ documents: documents.map((d) => ({ ...d, text: `${d.text} bis` })) });
        cut.write(
          [
            'POST /v1/documents HTTP/1.1',
            `Host: ${url.host}`,
            `Authorization: Bearer ${stack.keys.acme}`,
            'Content-Type: application/json',
            'Idempotency-Key: batch-cut-2',
            `Content-Length: ${Buffer.byteLength(second)}`,
            '',
            second.slice(0, 1000),
          ].join('\r\n'),
          () => {
            cut.destroy();
            resolve();
          },
        );
      });
      cut.on('error', reject);
    });
    expect(half).toBeUndefined();
    const rerun = await post(
      '/v1/documents',
      { documents: documents.map((d) => ({ ...d, text: `${d.text} bis` })) },
      'batch-cut-2',
    );
    expect(rerun).toMatchObject({ status: 202, replayed: null });
    const again = await post(
      '/v1/documents',
      { documents: documents.map((d) => ({ ...d, text: `${d.text} bis` })) },
      'batch-cut-2',
    );
    expect(again).toEqual({ ...rerun, replayed: 'true' });
    expect(await count('documents')).toBe(before + 600);
  });
});
