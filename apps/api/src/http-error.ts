import { isUnavailable } from '@shortlist/config';
import type { FastifyError, FastifyInstance } from 'fastify';

/** An error the client can act on: its status, a stable code, and a message naming what is wrong. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Extra fields of the error body (e.g. the documents a partly refused upload did accept). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What a 503 tells clients to wait before retrying: a service restart usually takes a few seconds. */
const RETRY_AFTER_SECONDS = 5;

const CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
};

/** The error body of every route: `{error, message}`; never a stack trace. Unknown errors are logged, not shown. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      return reply
        .code(error.statusCode)
        .send({ error: error.code, message: error.message, ...error.details });
    }
    if (error.validation) {
      return reply.code(400).send({ error: 'invalid_request', message: error.message });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const sent =
        request.headers['content-type']?.split(';')[0]?.trim().slice(0, 100) || 'a body without a type';
      const takes = request.routeOptions.config.multipart
        ? 'application/json or multipart/form-data'
        : 'application/json';
      return reply.code(415).send({
        error: 'unsupported_media_type',
        message: `${request.method} ${request.routeOptions.url ?? request.url} takes ${takes}, not ${sent}`,
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: CODES[status] ?? 'invalid_request', message: error.message });
    }
    // PostgreSQL, S3 or Redis down (ioredis fails fast in the API: no offline queue, one retry per request).
    const unavailable = isUnavailable(error);
    request.log.error({ err: error }, 'request failed');
    return unavailable
      ? reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_SECONDS))
          .send({ error: 'unavailable', message: 'a backing service is unavailable; retry shortly' })
      : reply
          .code(500)
          .send({ error: 'internal', message: `internal error (request ${request.id}); see the server log` });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
  additionalProperties: true,
} as const;
