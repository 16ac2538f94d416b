import type { FastifyInstance } from 'fastify';
import { errorSchema } from './http-error';

/** The error body with a description of when a route answers it (the OpenAPI response's description). */
/** Methods whose requests Fastify answers without reading a body. */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

export const errorResponse = (description: string) => ({ ...errorSchema, description });

/**
 * The error answers every route can give by what it is, added to its response schemas (and so to the OpenAPI
 * document, the contract) unless the route documents them itself: 400 when it takes parameters, a query, headers
 * or a body (validation, or a body that does not parse); 401 when it needs an API key; 413 and 415 when its method
 * carries a body (Fastify reads a body sent to any method but GET, HEAD and TRACE, whether the route declares one
 * or not); 503 when it reads a backing service (every route under /v1); 500 everywhere. Statuses of a route's own (404, 409, 422) are its
 * own to declare; the contract test of the suite fails on any status a route answers without documenting it.
 * Install after every other onRoute hook that adds to a route's schema (authentication, Idempotency-Key).
 */
export function installDocumentedErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema || schema.hide) return;
    const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) };
    const add = (status: number, description: string) => {
      response[status] ??= errorResponse(description);
    };
    const readsBody = [route.method].flat().some((method) => !BODYLESS.has(method));
    if (schema.params || schema.querystring || schema.headers || schema.body || readsBody) {
      add(400, 'The request is malformed; the message names the field');
    }
    if (route.config?.auth === 'tenant') add(401, 'No API key, or an unknown or revoked one');
    if (readsBody) {
      add(413, 'The body is larger than the server accepts');
      add(415, 'The body is not of a media type the route accepts');
    }
    if (/^\/v\d/.test(route.url)) {
      response[503] ??= {
        ...errorResponse('A backing service (PostgreSQL, Redis, S3) is unavailable; retry'),
        headers: { 'retry-after': { type: 'string', description: 'seconds to wait before retrying' } },
      };
    }
    add(500, 'An internal error; the message names the request id to find in the server log');
    schema.response = response;
  });
}
