import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { queryRows } from '@shortlist/db';
import { handleNightly } from '@shortlist/pipeline';
import { verify } from '@shortlist/webhooks';
import { ok, type ApiClient } from '../support/api-client/client';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { waitFor } from '../support/net';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

/** A receiver on the loopback: /ok answers 200, /down 500; it records every request. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body });
      response.statusCode = request.url === '/down' ? 500 : 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe('webhooks (HTTP API, a worker process, a receiver on the loopback)', () => {
  let stack: ApiStack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  /** The typed clients of the API as the two tenants; every answer is checked against the OpenAPI document. */
  let acme: ApiClient;
  let globex: ApiClient;
  const events = (path: string): WebhookEvent[] =>
    receiver.received
      .filter((r) => r.path === path)
      .flatMap((r) => (JSON.parse(r.body) as { events: WebhookEvent[] }).events);

  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startApiStack({
      webhookAllowlist: ['127.0.0.1'],
      workerEnv: {
        WEBHOOK_ALLOWLIST: '127.0.0.1',
        WEBHOOK_ATTEMPTS: '2',
        WEBHOOK_BACKOFF_SECONDS: '1',
        WEBHOOK_DISABLE_AFTER: '2',
        SCREENING_WAIT_SECONDS: '30',
      },
    });
    acme = stack.client(stack.keys.acme);
    globex = stack.client(stack.keys.globex);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    receiver?.server.close();
  });

  it('refuses endpoints outside the egress allow-list, naming why', async () => {
    for (const [url, reason] of [
      ['http://10.0.0.5/hook', 'url address 10.0.0.5 is not in WEBHOOK_ALLOWLIST'],
      ['http://localhost:9/hook', 'url host localhost is not in WEBHOOK_ALLOWLIST'],
      ['ftp://127.0.0.1/hook', 'url must be an http(s) URL'],
    ] as const) {
      const answer = await acme.POST('/v1/webhooks', { body: { url, events: ['document.ready'] } });
      expect(answer.response.status).toBe(400);
      expect(answer.error?.message).toBe(reason);
    }
    const unknownEvent = await acme.POST('/v1/webhooks', {
      body: { url: `${receiver.url}/ok`, events: ['document.eaten' as 'document.ready'] },
    });
    expect(unknownEvent.response.status).toBe(400);
    expect((await ok(acme.GET('/v1/webhooks'))).webhooks).toEqual([]);
  });

  it('delivers signed, batched events for a bulk load, a failed document and a finished screening', async () => {
    const created = await acme.POST('/v1/webhooks', {
      body: {
        url: `${receiver.url}/ok`,
        events: ['document.ready', 'document.failed', 'screening.completed'],
      },
    });
    expect(created.response.status).toBe(201);
    const endpoint = created.data!;
    expect(endpoint.secret).toMatch(/^whsec_/);
    // The secret is shown once; other tenants see nothing of it.
    const listed = (await ok(acme.GET('/v1/webhooks'))).webhooks;
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty('secret');
    const foreign = await globex.GET('/v1/webhooks/{id}', { params: { path: { id: endpoint.id } } });
    expect(foreign.response.status).toBe(404);

    const texts = Array.from({ length: 40 }, (_, i) => ({
      kind: 'resume' as const,
      text: `resume ${i}: spark kafka ${i}`,
    }));
    const accepted = await ok(
      acme.POST('/v1/documents', {
        body: { documents: [...texts, { kind: 'resume', text: '\u0007\u0007' }] },
      }),
    );
    const ids = accepted.documents.map((d) => d.id);
    const failedId = ids.at(-1)!;

    await waitFor('40 document.ready events and one document.failed', () => {
      const got = events('/ok');
      return (
        got.filter((e) => e.type === 'document.ready').length >= 40 &&
        got.some((e) => e.type === 'document.failed')
      );
    });
    const got = events('/ok');
    expect(new Set(got.filter((e) => e.type === 'document.ready').map((e) => e.data.documentId))).toEqual(
      new Set(ids.slice(0, 40)),
    );
    expect(got.find((e) => e.type === 'document.failed')?.data).toMatchObject({
      documentId: failedId,
      status: 'failed',
      failureReason: 'no_text',
    });
    // Batched: fewer requests than events; every one signed with the endpoint's secret.
    const requests = receiver.received.filter((r) => r.path === '/ok');
    expect(requests.length).toBeLessThan(got.length);
    const now = Math.floor(Date.now() / 1000);
    for (const request of requests) {
      expect(verify(endpoint.secret, request.body, String(request.headers['shortlist-signature']), now)).toBe(
        true,
      );
      expect(request.headers['shortlist-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    }

    const posting = await ok(
      acme.POST('/v1/postings', { body: { title: 'Data engineer', text: 'spark and kafka pipelines' } }),
    );
    const postingId = posting.id;
    await ok(
      acme.POST('/v1/postings/{id}/applicants', {
        params: { path: { id: postingId } },
        body: { documentIds: ids.slice(0, 10) },
      }),
    );
    const { runId } = await ok(
      acme.POST('/v1/postings/{id}/screenings', { params: { path: { id: postingId } }, body: {} }),
    );
    const completed = await waitFor('the screening.completed event', () =>
      events('/ok').find((e) => e.type === 'screening.completed' && e.data.runId === runId),
    );
    expect(completed.data).toMatchObject({ postingId, status: 'completed', pendingDocuments: 0 });

    // Every request the receiver took is a delivery recorded as delivered, with its one attempt (the posting's
    // own document.ready came too).
    const deliveries = await waitFor('every delivery to be recorded as delivered', async () => {
      const { deliveries: listed } = await ok(
        acme.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: endpoint.id } } }),
      );
      const taken = receiver.received.filter((r) => r.path === '/ok').length;
      return listed.length === taken && listed.every((d) => d.status === 'delivered') ? listed : undefined;
    });
    expect(deliveries.reduce((sum, d) => sum + d.eventCount, 0)).toBe(events('/ok').length);
    for (const delivery of deliveries) {
      expect(delivery.attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200 })]);
    }
  }, 180_000);

  it('retries a failing receiver, records each attempt, and disables the endpoint after failed deliveries in a row', async () => {
    const created = await ok(
      acme.POST('/v1/webhooks', { body: { url: `${receiver.url}/down`, events: ['document.ready'] } }),
    );
    const endpointId = created.id;
    const byId = { params: { path: { id: endpointId } } };
    const deliveries = async () => (await ok(acme.GET('/v1/webhooks/{id}/deliveries', byId))).deliveries;

    for (const i of [1, 2]) {
      await ok(
        acme.POST('/v1/documents', {
          body: { documents: [{ kind: 'resume', text: `down resume ${i} ${Date.now()}` }] },
        }),
      );
      await waitFor(
        `failed delivery ${i}`,
        async () => (await deliveries()).filter((d) => d.status === 'failed').length >= i,
      );
    }
    const [latest] = await deliveries();
    expect(latest!.attempts).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 500, error: 'the receiver answered 500' }),
      expect.objectContaining({ attempt: 2, statusCode: 500, error: 'the receiver answered 500' }),
    ]);
    const endpoint = await ok(acme.GET('/v1/webhooks/{id}', byId));
    expect(endpoint).toMatchObject({
      enabled: false,
      consecutiveFailures: 2,
      disabledReason: 'disabled after 2 failed deliveries in a row; last: the receiver answered 500',
    });
    // Disabled: a new document makes no delivery for it.
    const before = receiver.received.filter((r) => r.path === '/down').length;
    const quiet = await ok(
      acme.POST('/v1/documents', { body: { documents: [{ kind: 'resume', text: `quiet ${Date.now()}` }] } }),
    );
    const quietId = quiet.documents[0]!.id;
    await waitFor(
      'the quiet document to be ready',
      async () =>
        (await ok(acme.GET('/v1/documents/{id}', { params: { path: { id: quietId } } }))).status === 'ready',
    );
    expect((await deliveries()).length).toBe(2);
    expect(receiver.received.filter((r) => r.path === '/down').length).toBe(before);

    const enabled = await ok(acme.POST('/v1/webhooks/{id}/enable', byId));
    expect(enabled).toMatchObject({ enabled: true, consecutiveFailures: 0 });
    expect((await acme.DELETE('/v1/webhooks/{id}', byId)).response.status).toBe(204);
    expect((await acme.GET('/v1/webhooks/{id}', byId)).response.status).toBe(404);
  }, 180_000);
  it('forgets deliveries finished more than WEBHOOK_RETENTION_DAYS ago at night, with their attempts and events', async () => {
    const created = await ok(
      acme.POST('/v1/webhooks', { body: { url: `${receiver.url}/ok`, events: ['document.ready'] } }),
    );
    const byId = { params: { path: { id: created.id } } };
    const deliveries = async () => (await ok(acme.GET('/v1/webhooks/{id}/deliveries', byId))).deliveries;
    for (const i of [1, 2]) {
      await ok(
        acme.POST('/v1/documents', {
          body: { documents: [{ kind: 'resume', text: `kept or forgotten ${i} ${Date.now()}` }] },
        }),
      );
      await waitFor(
        `delivery ${i}`,
        async () => (await deliveries()).filter((d) => d.status === 'delivered').length >= i,
      );
    }
    const [recent, old] = await deliveries(); // newest first
    const db = stack.database.db;
    await db.execute(
      sql`UPDATE webhook_deliveries SET finished_at = now() - interval '31 days' WHERE id = ${old!.id}`,
    );
    const rowsOf = async (deliveryId: string) =>
      (
        await queryRows<{ attempts: number; events: number }>(
          db,
          sql`SELECT (SELECT count(*) FROM webhook_attempts WHERE delivery_id = ${deliveryId})::int AS attempts,
                     (SELECT count(*) FROM webhook_events WHERE delivery_id = ${deliveryId})::int AS events`,
        )
      )[0];
    expect(await rowsOf(old!.id)).toEqual({ attempts: 1, events: 1 });

    await handleNightly(
      { day: '2031-03-01' },
      {
        db,
        store: stack.bucket.store,
        enqueue: () => Promise.resolve(),
        extract: { timeoutMs: 1000, memoryMb: 64, maxDocumentBytes: 1024 },
        screening: { waitSeconds: 0 },
        webhooks: {
          send: () => Promise.reject(new Error('the nightly job sends nothing')),
          attempts: 1,
          backoffSeconds: 1,
          disableAfter: 1,
          retentionDays: 30,
        },
      },
    );
    expect((await deliveries()).map((d) => d.id)).toEqual([recent!.id]);
    expect(await rowsOf(old!.id)).toEqual({ attempts: 0, events: 0 });
    expect(await rowsOf(recent!.id)).toEqual({ attempts: 1, events: 1 });
    expect((await acme.DELETE('/v1/webhooks/{id}', byId)).response.status).toBe(204);
  }, 180_000);
});
