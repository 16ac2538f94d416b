import type { FastifyInstance } from 'fastify';
import { DomainRepository, type Database, type DomainSet } from '@shortlist/db';
import type { JobQueues } from '@shortlist/queue';
import { CARD_DOMAINS, CARD_DOMAIN_SET_ID, InvalidDomainSetError, buildDomainSet } from '@shortlist/scoring';
import { errorResponse } from '../documented-errors';
import { HttpError } from '../http-error';

const uuid = { type: 'string', format: 'uuid' } as const;
const idParams = { type: 'object', properties: { id: uuid }, required: ['id'] } as const;

const domainSchema = {
  type: 'object',
  properties: {
    key: { type: 'string', minLength: 1, maxLength: 63 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', minLength: 1, maxLength: 4000 },
  },
  required: ['key', 'description'],
  additionalProperties: false,
} as const;

const setView = {
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    builtIn: { type: 'boolean', description: "the model card's 13 domains, shared by every tenant" },
    active: { type: 'boolean', description: "the set this tenant's documents are classified into" },
    createdAt: { type: 'string', format: 'date-time' },
    domains: { type: 'array', items: { ...domainSchema, required: ['key', 'name', 'description'] } },
  },
  required: ['id', 'name', 'builtIn', 'active', 'createdAt', 'domains'],
  examples: [
    {
      id: 'e1a3c5d7-9b2f-4d6a-8c0e-2f4a6c8e0b1d',
      name: 'Engineering roles',
      builtIn: false,
      active: true,
      createdAt: '2026-11-30T09:00:00.000Z',
      domains: [
        {
          key: 'data_engineering',
          name: 'Data engineering',
          description: 'Pipelines, warehouses, Kafka, Spark, SQL.',
        },
      ],
    },
  ],
} as const;

export interface DomainSetRouteDependencies {
  db: Database;
  queues: JobQueues;
}

/**
 * Domain sets: the model card's 13 domains (built in), or a tenant's own — the card's extended or replaced. The
 * tenant's active set is the one its documents are classified into; changing it queues their classification
 * again (a worker embeds the new descriptions with the domain model, then relabels every document in SQL).
 */
export function domainSetRoutes(app: FastifyInstance, deps: DomainSetRouteDependencies): void {
  const domains = new DomainRepository(deps.db);
  const view = (set: DomainSet) => ({
    id: set.id,
    name: set.name,
    builtIn: set.id === CARD_DOMAIN_SET_ID,
    active: set.active,
    createdAt: set.createdAt,
    // The card's descriptions are this code's; the database has them once a worker has started.
    domains: set.id === CARD_DOMAIN_SET_ID ? CARD_DOMAINS : set.domains,
  });
  const setOf = async (tenantId: string, id: string) => {
    const set = await domains.findSet(tenantId, id);
    if (!set) throw new HttpError(404, 'not_found', `no domain set ${id}`);
    return set;
  };
  const reclassify = (tenantId: string, setId: string) =>
    deps.queues.enqueue('classify', { tenantId, setId });

  app.get(
    '/v1/domain-sets',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "The domain sets this tenant can use: the model card's 13 and its own",
        tags: ['domains'],
        security: [{ bearer: [] }],
        response: {
          200: {
            type: 'object',
            properties: { domainSets: { type: 'array', items: setView } },
            required: ['domainSets'],
            examples: [{ domainSets: setView.examples }],
          },
        },
      },
    },
    async (request) => ({ domainSets: (await domains.listSets(request.tenantId)).map(view) }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/domain-sets/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'A domain set and its domains',
        tags: ['domains'],
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: setView, 404: errorResponse('No domain set :id') },
      },
    },
    async (request) => view(await setOf(request.tenantId, request.params.id)),
  );

  app.post<{
    Body: {
      name: string;
      base?: 'card' | 'none';
      domains: { key: string; name?: string; description: string }[];
      activate?: boolean;
    };
  }>(
    '/v1/domain-sets',
    {
      config: { auth: 'tenant' },
      schema: {
        summary:
          "A domain set of this tenant: the card's 13 extended (base 'card': a card key replaces that domain) " +
          "or replaced (base 'none'); active at once unless activate is false",
        tags: ['domains'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 200 },
            base: { type: 'string', enum: ['card', 'none'], default: 'card' },
            domains: { type: 'array', items: domainSchema, minItems: 1, maxItems: 200 },
            activate: { type: 'boolean', default: true },
          },
          required: ['name', 'domains'],
          additionalProperties: false,
          examples: [
            {
              name: 'Engineering roles',
              base: 'card',
              domains: [
                { key: 'data_engineering', description: 'Pipelines, warehouses, Kafka, Spark, SQL.' },
              ],
            },
          ],
        },
        response: { 201: setView },
      },
    },
    async (request, reply) => {
      const { name, base = 'card', domains: given, activate = true } = request.body;
      let definitions;
      try {
        definitions = buildDomainSet(base, given);
      } catch (error) {
        if (error instanceof InvalidDomainSetError)
          throw new HttpError(400, 'invalid_request', error.message);
        throw error;
      }
      const id = await domains.createSet(request.tenantId, name, definitions, activate);
      if (activate) await reclassify(request.tenantId, id);
      return reply.code(201).send(view(await setOf(request.tenantId, id)));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/domain-sets/:id/activate',
    {
      config: { auth: 'tenant' },
      schema: {
        summary:
          "Classify this tenant's documents into this set from now on (the card's id: back to the card's)",
        tags: ['domains'],
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: setView, 404: errorResponse('No domain set :id') },
      },
    },
    async (request) => {
      await setOf(request.tenantId, request.params.id);
      await domains.activateSet(request.tenantId, request.params.id);
      await reclassify(request.tenantId, request.params.id);
      return view(await setOf(request.tenantId, request.params.id));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/domain-sets/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "Delete one of this tenant's sets; if it was the active one, the card's domains apply again",
        tags: ['domains'],
        security: [{ bearer: [] }],
        params: idParams,
        response: {
          204: { type: 'null', description: 'Deleted' },
          400: errorResponse(
            "The id is malformed, or names the card's built-in set, which cannot be deleted",
          ),
          404: errorResponse('No domain set :id'),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (id === CARD_DOMAIN_SET_ID) {
        throw new HttpError(400, 'invalid_request', "the card's built-in domain set cannot be deleted");
      }
      const set = await setOf(request.tenantId, id);
      await domains.deleteSet(request.tenantId, id);
      if (set.active) await reclassify(request.tenantId, CARD_DOMAIN_SET_ID);
      return reply.code(204).send();
    },
  );
}
