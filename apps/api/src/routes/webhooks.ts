import type { FastifyInstance } from 'fastify';
import { WEBHOOK_EVENT_TYPES, WebhookRepository, type Database, type WebhookEventType } from '@shortlist/db';
import type { EgressPolicy } from '@shortlist/webhooks';
import { errorResponse } from '../documented-errors';
import { HttpError } from '../http-error';

const uuid = { type: 'string', format: 'uuid' } as const;
const idParams = { type: 'object', properties: { id: uuid }, required: ['id'] } as const;

/** Ids of the examples of the document (OpenAPI). */
const example = {
  endpoint: 'a2c4e6f8-1b3d-4f5a-9c7e-0b2d4f6a8c1e',
  delivery: 'b3d5f7a9-2c4e-4a6b-8d0f-1c3e5a7b9d2f',
};

const endpointView = {
  type: 'object',
  properties: {
    id: uuid,
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string', enum: WEBHOOK_EVENT_TYPES } },
    enabled: { type: 'boolean' },
    disabledReason: { type: 'string', description: 'why deliveries stopped (set when enabled is false)' },
    consecutiveFailures: { type: 'integer', description: 'failed deliveries in a row' },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'url', 'events', 'enabled', 'consecutiveFailures', 'createdAt'],
  examples: [
    {
      id: example.endpoint,
      url: 'https://ats.example.com/hooks/shortlist',
      events: ['screening.completed', 'document.failed'],
      enabled: true,
      consecutiveFailures: 0,
      createdAt: '2026-11-30T09:00:00.000Z',
    },
  ],
} as const;

const deliveryView = {
  type: 'object',
  properties: {
    id: uuid,
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    eventCount: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    attempts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          attempt: { type: 'integer' },
          statusCode: { type: 'integer', description: "the receiver's answer; absent when none came" },
          error: { type: 'string' },
          durationMs: { type: 'integer' },
          createdAt: { type: 'string', format: 'date-time' },
        },
        required: ['attempt', 'durationMs', 'createdAt'],
      },
    },
  },
  required: ['id', 'status', 'eventCount', 'createdAt', 'attempts'],
  examples: [
    {
      id: example.delivery,
      status: 'delivered',
      eventCount: 40,
      createdAt: '2026-11-30T09:20:00.000Z',
      finishedAt: '2026-11-30T09:20:01.000Z',
      attempts: [{ attempt: 1, statusCode: 200, durationMs: 84, createdAt: '2026-11-30T09:20:01.000Z' }],
    },
  ],
} as const;

/** Drops nulls: the JSON answer leaves absent what the row has as NULL. */
function present<T extends object>(row: T): T {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null)) as T;
}

export interface WebhookRouteDependencies {
  db: Database;
  egress: EgressPolicy;
}

/**
 * Webhooks: a tenant registers endpoints for `document.ready`, `document.failed`, `screening.completed` and
 * `screening.failed`. Deliveries batch events, are signed (HMAC-SHA256 over `<timestamp>.<body>`, header
 * `Shortlist-Signature: t=...,v1=...`, with the secret shown once on registration), retried with backoff, each
 * attempt recorded and listable; an endpoint is disabled after too many failed deliveries in a row.
 */
export function webhookRoutes(app: FastifyInstance, deps: WebhookRouteDependencies): void {
  const webhooks = new WebhookRepository(deps.db);
  const endpointOf = async (tenantId: string, id: string) => {
    const endpoint = await webhooks.findEndpoint(tenantId, id);
    if (!endpoint) throw new HttpError(404, 'not_found', `no webhook endpoint ${id}`);
    return endpoint;
  };

  app.post<{ Body: { url: string; events: WebhookEventType[] } }>(
    '/v1/webhooks',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'Register an endpoint; the answer holds its signing secret, shown this once',
        tags: ['webhooks'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          properties: {
            url: { type: 'string', minLength: 1, maxLength: 2000 },
            events: {
              type: 'array',
              items: { type: 'string', enum: WEBHOOK_EVENT_TYPES },
              minItems: 1,
              maxItems: WEBHOOK_EVENT_TYPES.length,
            },
          },
          required: ['url', 'events'],
          additionalProperties: false,
          examples: [
            {
              url: 'https://ats.example.com/hooks/shortlist',
              events: ['screening.completed', 'document.failed'],
            },
          ],
        },
        response: {
          201: {
            ...endpointView,
            properties: {
              ...endpointView.properties,
              secret: { type: 'string', description: 'the HMAC-SHA256 key of the signatures (shown once)' },
            },
            required: [...endpointView.required, 'secret'],
            examples: [{ ...endpointView.examples[0], secret: 'whsec_3q2+7w==example-secret' }],
          },
          400: errorResponse(
            'The body is malformed, or url is not allowed (WEBHOOK_ALLOWLIST); the message says why',
          ),
        },
      },
    },
    async (request, reply) => {
      const { url, events } = request.body;
      const refused = await deps.egress.refuseDestination(url);
      if (refused) throw new HttpError(400, 'invalid_request', `url ${refused}`);
      const endpoint = await webhooks.createEndpoint(request.tenantId, url, events);
      return reply.code(201).send(present(endpoint));
    },
  );

  app.get(
    '/v1/webhooks',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "This tenant's webhook endpoints (never their secrets)",
        tags: ['webhooks'],
        security: [{ bearer: [] }],
        response: {
          200: {
            type: 'object',
            properties: { webhooks: { type: 'array', items: endpointView } },
            required: ['webhooks'],
            examples: [{ webhooks: endpointView.examples }],
          },
        },
      },
    },
    async (request) => ({ webhooks: (await webhooks.listEndpoints(request.tenantId)).map(present) }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'A webhook endpoint',
        tags: ['webhooks'],
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: endpointView, 404: errorResponse('No webhook endpoint :id') },
      },
    },
    async (request) => present(await endpointOf(request.tenantId, request.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    '/v1/webhooks/:id/enable',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'Enable a disabled endpoint again (its failure count back to zero)',
        tags: ['webhooks'],
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: endpointView, 404: errorResponse('No webhook endpoint :id') },
      },
    },
    async (request) => {
      await endpointOf(request.tenantId, request.params.id);
      await webhooks.enableEndpoint(request.tenantId, request.params.id);
      return present(await endpointOf(request.tenantId, request.params.id));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'Delete an endpoint with its waiting events and its delivery history',
        tags: ['webhooks'],
        security: [{ bearer: [] }],
        params: idParams,
        response: {
          204: { type: 'null', description: 'Deleted' },
          404: errorResponse('No webhook endpoint :id'),
        },
      },
    },
    async (request, reply) => {
      if (!(await webhooks.deleteEndpoint(request.tenantId, request.params.id))) {
        throw new HttpError(404, 'not_found', `no webhook endpoint ${request.params.id}`);
      }
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>(
    '/v1/webhooks/:id/deliveries',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "An endpoint's deliveries, newest first, each with every attempt",
        tags: ['webhooks'],
        security: [{ bearer: [] }],
        params: idParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: { deliveries: { type: 'array', items: deliveryView } },
            required: ['deliveries'],
            examples: [{ deliveries: deliveryView.examples }],
          },
          404: errorResponse('No webhook endpoint :id'),
        },
      },
    },
    async (request) => {
      await endpointOf(request.tenantId, request.params.id);
      const deliveries = await webhooks.listDeliveries(
        request.tenantId,
        request.params.id,
        request.query.limit,
      );
      return {
        deliveries: deliveries.map((d) => ({ ...present(d), attempts: d.attempts.map(present) })),
      };
    },
  );
}
