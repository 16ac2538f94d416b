import { isUnavailable } from '@shortlist/config';
import { withoutQueryParameters } from '@shortlist/db';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';

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

/** 415 naming the media type sent and the ones the route takes (JSON, and multipart where it says so). */
export function unsupportedMediaType(request: FastifyRequest, sent: string | undefined): HttpError {
  const takes = request.routeOptions.config.multipart
    ? 'application/json or multipart/form-data'
    : 'application/json';
  return new HttpError(
    415,
    'unsupported_media_type',
    `${request.method} ${request.routeOptions.url ?? request.url} takes ${takes}, not ${sent || 'a body without a type'}`,
  );
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
  app.setErrorHandler((fastifyError: FastifyError, request, reply) => {
    // Fastify's own 415 names no media type: say which one came and which the route takes.
    const error =
      fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? unsupportedMediaType(request, request.headers['content-type']?.split(';')[0]?.trim().slice(0, 100))
        : fastifyError;
    if (error instanceof HttpError) {
      return reply
        .code(error.statusCode)
        .send({ error: error.code, message: error.message, ...error.details });
    }
    if (error.validation) {
      return reply.code(400).send({ error: 'invalid_request', message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: CODES[status] ?? 'invalid_request', message: error.message });
    }
    // PostgreSQL, S3 or Redis down (ioredis fails fast in the API: no offline queue, one retry per request).
    const unavailable = isUnavailable(error);
    request.log.error({ err: withoutQueryParameters(error) }, 'request failed');
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
