import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import stringify from 'safe-stable-stringify';
import { IdempotencyKeyRepository, type Database } from '@shortlist/db';
import { errorResponse } from './documented-errors';
import { HttpError } from './http-error';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Idempotency-Key this request claimed: its answer is kept for retries. */
    idempotencyKey: string | undefined;
  }
}

const HEADER = 'idempotency-key';
/** How long a retry waits for the first request with its key to finish before it is told to come back. */
const WAIT_FOR_FIRST_MS = 30_000;

/**
 * What makes two requests "the same": method, route, path parameters and JSON body (multipart: the route). The body
 * as data, keys sorted: a client that serialises the same object with its keys in another order sends the same
 * request.
 */
function fingerprint(request: FastifyRequest): string {
  const body = request.isMultipart() ? 'multipart' : stringify(request.body ?? null);
  return createHash('sha256')
    .update(`${request.method} ${request.routeOptions.url}\n${stringify(request.params)}\n${body}`)
    .digest('hex');
}

/**
 * `Idempotency-Key` on every POST under /v1: a client that times out or loses its connection retries with the
 * same key and gets the first answer (same ids, header `Idempotent-Replayed: true`) instead of a second posting,
 * run or batch. The same key with a different request is 422; a retry while the first is still running waits for
 * it (then 409 with Retry-After). 5xx answers are not kept: the retry runs again. Keys are kept 24 hours.
 */
export function installIdempotency(app: FastifyInstance, db: Database): void {
  const keys = new IdempotencyKeyRepository(db);
  app.decorateRequest('idempotencyKey', undefined);
  // Every POST under /v1 documents the header and its answers (the OpenAPI document is the contract).
  app.addHook('onRoute', (route) => {
    if (route.method !== 'POST' || !route.url.startsWith('/v1/') || !route.schema) return;
    const response = { ...(route.schema.response as Record<string, Record<string, unknown>> | undefined) };
    for (const [status, answer] of Object.entries(response)) {
      if (!status.startsWith('2')) continue;
      response[status] = {
        ...answer,
        headers: {
          ...(answer.headers as object | undefined),
          'idempotent-replayed': {
            type: 'string',
            enum: ['true'],
            description:
              'Set when this is the first answer, given again to a retry with the same Idempotency-Key',
          },
        },
      };
    }
    response[409] ??= errorResponse('The first request with this Idempotency-Key is still running; retry');
    response[422] ??= errorResponse('This Idempotency-Key was used with a different request');
    route.schema.response = response;
    const headers = (route.schema.headers ?? { type: 'object', properties: {} }) as {
      properties?: Record<string, unknown>;
    };
    route.schema.headers = {
      ...headers,
      properties: {
        ...headers.properties,
        [HEADER]: {
          type: 'string',
          description:
            'Retry-safe requests: a retry with the same key (24 h) gets the first answer; another request with it, 422',
        },
      },
    };
  });

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers[HEADER];
    if (request.method !== 'POST' || header === undefined || !request.url.startsWith('/v1/')) return;
    const key = Array.isArray(header) ? header[0]! : header;
    if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new HttpError(400, 'invalid_request', 'Idempotency-Key must be 1-255 printable ASCII characters');
    }
    const print = fingerprint(request);
    const deadline = Date.now() + WAIT_FOR_FIRST_MS;
    for (;;) {
      const claim = await keys.claim(request.tenantId, key, print);
      switch (claim.state) {
        case 'first':
          request.idempotencyKey = key;
          return;
        case 'mismatch':
          throw new HttpError(
            422,
            'idempotency_key_reused',
            'this Idempotency-Key was used with a different request in the last 24 hours',
          );
        case 'done':
          return reply
            .code(claim.statusCode)
            .header('idempotent-replayed', 'true')
            .type(claim.contentType ?? 'application/json; charset=utf-8')
            .send(claim.body);
        case 'in_progress':
          if (Date.now() > deadline) {
            void reply.header('retry-after', '5');
            throw new HttpError(
              409,
              'request_in_progress',
              'the first request with this Idempotency-Key is still running',
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const key = request.idempotencyKey;
    if (key === undefined) return payload;
    request.idempotencyKey = undefined;
    // Not kept: a server failure, and an answer to a request whose body never fully arrived (body_timeout): the
    // client's retry of the same request is the point of the key, and it must not get that answer back.
    if (
      reply.statusCode >= 500 ||
      !request.raw.complete ||
      (typeof payload !== 'string' && !Buffer.isBuffer(payload))
    ) {
      await keys.release(request.tenantId, key);
    } else {
      const contentType = reply.getHeader('content-type');
      await keys.complete(
        request.tenantId,
        key,
        reply.statusCode,
        payload.toString(),
        typeof contentType === 'string' ? contentType : null,
      );
    }
    return payload;
  });
}

/**
 * Takes erased documents out of the answers kept for retries: an answer entry of one of `ids` keeps its id and
 * status and loses the rest (the file name, external id and S3 object it echoed are the person's data).
 */
export async function forgetErasedInAnswers(db: Database, tenantId: string, ids: string[]): Promise<void> {
  const erased = new Set(ids);
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null) return value;
    const entry = value as Record<string, unknown>;
    if (typeof entry.id === 'string' && erased.has(entry.id)) {
      return { id: entry.id, ...(entry.status !== undefined ? { status: entry.status } : {}) };
    }
    return Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, strip(v)]));
  };
  await new IdempotencyKeyRepository(db).rewriteAnswersNaming(tenantId, ids, (body) => {
    try {
      return JSON.stringify(strip(JSON.parse(body)));
    } catch {
      return ''; // not JSON (no answer of ours): nothing of it is kept
    }
  });
}
