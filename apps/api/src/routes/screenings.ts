import type { FastifyInstance } from 'fastify';
import {
  DocumentRepository,
  DomainRepository,
  PostingRepository,
  ScreeningRepository,
  schema,
  type Database,
  type ScreeningRun,
} from '@shortlist/db';
import type { JobQueues } from '@shortlist/queue';
import {
  SCREENING_LIMITS,
  ScreeningRequestError,
  createScreeningRun,
  explainResults,
  summariseRun,
} from '@shortlist/pipeline';
import { scoreParamsSchema, screeningCsv, type ScoreOverrides } from '@shortlist/scoring';
import { z } from 'zod';
import type { DocumentIntake } from '../document-intake';
import { errorResponse } from '../documented-errors';
import { HttpError, errorSchema } from '../http-error';
import { decodeCursor, pageAnswer, pageQuery, pageSchema, withoutNulls } from '../list-pages';

const uuid = { type: 'string', format: 'uuid' } as const;
/** The first ids of a list for a message, a few lines long whatever the list's length (the answer lists them all). */
const firstOf = (ids: string[], shown = 5) =>
  ids.length > shown ? `${ids.slice(0, shown).join(', ')}, ...` : ids.join(', ');
const idParams = { type: 'object', properties: { id: uuid }, required: ['id'] } as const;
const runParams = { type: 'object', properties: { runId: uuid }, required: ['runId'] } as const;
/** The score parameters' JSON Schema, from their one definition (zod, libs/scoring); each one is optional. */
const paramsSchema = (({ $schema: _, ...jsonSchema }) => ({
  ...jsonSchema,
  required: [] as string[],
  description: 'Score parameters: defaults 0.5 / 1.2 / 0.6, no hard gate.',
}))(z.toJSONSchema(scoreParamsSchema, { target: 'draft-7' }));

/** Ids of the examples of the document (OpenAPI), so that they read as one story. */
const example = {
  posting: '5b0f3c9e-8d7a-4f0e-9c61-2a4d6e8f1b3c',
  postingDocument: '8e2d4c6a-1b3f-4a5e-8d7c-9f0a1b2c3d4e',
  resume: '3f6c9b2e-4d1a-4e8b-a7c5-0d9e8f7a6b5c',
  failedResume: '7a1e3c5b-9d2f-4b6a-8e0c-1d3f5b7a9c2e',
  run: 'c4a2e6f8-0b1d-4c3e-9a5b-7d9f1e3a5c7b',
  semanticModel: '1c3e5a7b-9d0f-4e2a-8b4c-6d8f0a2c4e6a',
  domainModel: '2d4f6b8c-0e1a-4f3b-9c5d-7e9a1b3d5f7b',
  closedPosting: '9a7c5e3b-1d0f-4b2e-8c6a-4e2c0a8f6d4b',
  closedPostingDocument: '4c6e8a0b-2d4f-4e6a-9b1d-3f5a7c9e1b3d',
  failedRun: 'e6c4a2f0-8d6b-4e9a-b7c5-3a1f9d7b5e3c',
  createdAt: '2026-11-30T09:15:00.000Z',
};

const postingView = {
  type: 'object',
  properties: {
    id: uuid,
    documentId: uuid,
    title: { type: 'string' },
    status: { type: 'string' },
    params: paramsSchema,
    applicants: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'documentId', 'title', 'status', 'params', 'applicants', 'createdAt'],
  examples: [
    {
      id: example.posting,
      documentId: example.postingDocument,
      title: 'Data engineer',
      status: 'open',
      params: { threshold: 0.55 },
      applicants: 210,
      createdAt: example.createdAt,
    },
  ],
} as const;

const dateTime = { type: 'string', format: 'date-time' } as const;

/** A posting as GET /v1/postings lists it (GET /v1/postings/:id adds the applicant count). */
const postingItem = {
  type: 'object',
  properties: {
    id: uuid,
    documentId: { ...uuid, description: 'the posting document (the job description)' },
    title: { type: 'string' },
    status: { type: 'string', enum: schema.postingStatus.enumValues },
    params: { ...paramsSchema, description: "the posting's overrides of the score parameters" },
    createdAt: dateTime,
    updatedAt: dateTime,
  },
  required: ['id', 'documentId', 'title', 'status', 'params', 'createdAt', 'updatedAt'],
  additionalProperties: false,
} as const;

/** A run as a posting's list of runs shows it: its state and settings, not its results. */
const runItem = {
  type: 'object',
  properties: {
    id: uuid,
    postingId: uuid,
    status: { type: 'string', enum: schema.screeningStatus.enumValues },
    scope: { type: 'string', enum: schema.screeningScope.enumValues },
    trigger: { type: 'string', enum: schema.screeningTrigger.enumValues },
    top: { type: 'integer' },
    params: { ...paramsSchema, required: ['threshold', 'boost', 'penalty', 'hardGate'] },
    evidenceTop: { type: 'integer', description: 'how many of the best results carry evidence' },
    domains: { type: 'array', items: { type: 'string' } },
    failureReason: { type: 'string' },
    createdAt: dateTime,
    startedAt: dateTime,
    finishedAt: dateTime,
  },
  required: ['id', 'postingId', 'status', 'scope', 'trigger', 'params', 'evidenceTop', 'createdAt'],
  additionalProperties: false,
} as const;

/** A document's domain: the nearest label of its tenant's domain set, and the runner-up (cosines). */
export const domainLabelSchema = {
  type: 'object',
  description:
    "The document's domain (nearest prototype of the tenant's domain set, domain model cosine) and runner-up.",
  properties: {
    label: { type: 'string' },
    similarity: { type: 'number' },
    runnerUp: {
      type: ['object', 'null'],
      properties: { label: { type: 'string' }, similarity: { type: 'number' } },
      required: ['label', 'similarity'],
    },
  },
  required: ['label', 'similarity', 'runnerUp'],
  examples: [{ label: 'technology', similarity: 0.81, runnerUp: { label: 'finance', similarity: 0.42 } }],
} as const;

/** An applicant of a posting as its list shows it. */
const applicantItem = {
  type: 'object',
  properties: {
    documentId: uuid,
    status: { type: 'string', enum: schema.documentStatus.enumValues },
    failureReason: { type: 'string' },
    file: { type: 'string', description: 'the file name of an upload' },
    source: {
      type: 'object',
      description: 'the S3 object of a document registered by reference',
      properties: { bucket: { type: 'string' }, key: { type: 'string' } },
      required: ['bucket', 'key'],
      additionalProperties: false,
    },
    externalId: { type: 'string', description: "the document's id in the client's system" },
    domainLabel: domainLabelSchema,
    addedAt: { ...dateTime, description: 'when the document was added to the posting' },
  },
  required: ['documentId', 'status', 'addedAt'],
  additionalProperties: false,
} as const;

const resultSchema = {
  type: 'object',
  properties: {
    rank: { type: 'integer' },
    documentId: uuid,
    file: { type: 'string' },
    final: { type: 'number' },
    unclipped: { type: 'number' },
    semantic: { type: 'number' },
    domain: { type: 'number', description: "cosine of the resume's and the posting's domain vectors" },
    sameDomain: { type: 'boolean' },
    domainLabel: domainLabelSchema,
    gate: {
      type: 'object',
      description:
        "The domain gate's decision: the domain cosine against the threshold, the factor, clipping.",
      properties: {
        domain: { type: 'number' },
        threshold: { type: 'number' },
        factor: { type: 'number', description: 'boost when domain > threshold, else penalty' },
        clipped: { type: 'boolean', description: 'the unclipped score lay outside 0..100' },
        explanation: { type: 'string' },
      },
      required: ['domain', 'threshold', 'factor', 'clipped', 'explanation'],
    },
    flags: {
      type: 'array',
      description:
        "borderline: domain within ±0.05 of the threshold; review: semantic score in the run's top decile, " +
        'but penalised (a possible career changer)',
      items: { type: 'string', enum: ['borderline', 'review'] },
    },
    evidence: {
      type: 'array',
      description:
        "The resume's passages most similar to the posting (semantic model), best first; top N only.",
      items: {
        type: 'object',
        properties: { text: { type: 'string' }, similarity: { type: 'number' } },
        required: ['text', 'similarity'],
      },
    },
  },
  required: ['rank', 'documentId', 'final', 'unclipped', 'semantic', 'domain', 'sameDomain', 'gate', 'flags'],
} as const;

const nullableUuid = { type: ['string', 'null'], format: 'uuid' } as const;
const nullableString = { type: ['string', 'null'] } as const;

const runView = {
  type: 'object',
  properties: {
    id: uuid,
    postingId: uuid,
    status: { type: 'string', enum: schema.screeningStatus.enumValues },
    scope: { type: 'string', enum: schema.screeningScope.enumValues },
    trigger: { type: 'string' },
    top: { type: 'integer' },
    params: { ...paramsSchema, required: ['threshold', 'boost', 'penalty', 'hardGate'] },
    models: {
      type: 'object',
      description: 'ids of the models the run scored with (null: none active when it was created)',
      properties: { semantic: nullableUuid, domain: nullableUuid },
      required: ['semantic', 'domain'],
    },
    modelNames: {
      type: 'object',
      properties: { semantic: nullableString, domain: nullableString },
      required: ['semantic', 'domain'],
    },
    evidenceTop: { type: 'integer', description: 'how many of the best results carry evidence' },
    evidence: {
      type: 'string',
      enum: ['none', 'pending', 'complete'],
      description:
        'Evidence of the best results: none asked for; pending (the ranking is readable, passages are still being quoted); complete',
    },
    audit: {
      type: ['object', 'null'],
      description:
        'What the domain gate did over every candidate the run scored (for a pool run: the index candidates)',
      properties: {
        candidates: { type: 'integer' },
        boosted: { type: 'integer' },
        penalised: { type: 'integer' },
        removedByGate: { type: 'integer' },
        borderline: { type: 'integer' },
        review: { type: 'integer' },
        reviewCutoff: { type: ['number', 'null'] },
      },
      required: [
        'candidates',
        'boosted',
        'penalised',
        'removedByGate',
        'borderline',
        'review',
        'reviewCutoff',
      ],
    },
    failed: {
      type: 'array',
      description: 'Documents the run could not rank because the pipeline failed on them, with the reason.',
      items: {
        type: 'object',
        properties: { documentId: uuid, failureReason: { type: 'string' }, file: nullableString },
        required: ['documentId', 'failureReason'],
      },
    },
    domains: { type: 'array', items: { type: 'string' } },
    postingDomainLabel: domainLabelSchema,
    pendingDocumentIds: {
      type: 'array',
      description: 'Documents still in the pipeline when the run completed (failed ones are under `failed`).',
      items: uuid,
    },
    failureReason: { type: 'string' },
    total: { type: 'integer' },
    limit: { type: 'integer' },
    offset: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
    results: { type: 'array', items: resultSchema },
  },
  required: [
    'id',
    'postingId',
    'status',
    'scope',
    'trigger',
    'params',
    'models',
    'modelNames',
    'evidenceTop',
    'evidence',
    'audit',
    'failed',
    'pendingDocumentIds',
    'total',
    'limit',
    'offset',
    'createdAt',
    'results',
  ],
  examples: [
    {
      id: example.run,
      postingId: example.posting,
      status: 'completed',
      scope: 'applicants',
      trigger: 'api',
      params: { threshold: 0.5, boost: 1.2, penalty: 0.6, hardGate: false },
      models: { semantic: example.semanticModel, domain: example.domainModel },
      modelNames: { semantic: '0xnbk/nbk-ats-semantic-v1-en', domain: '0xnbk/nbk-ats-domain-v1-en' },
      evidenceTop: 50,
      evidence: 'complete',
      audit: {
        candidates: 210,
        boosted: 120,
        penalised: 90,
        removedByGate: 0,
        borderline: 14,
        review: 3,
        reviewCutoff: 0.71,
      },
      failed: [{ documentId: example.failedResume, failureReason: 'no_text', file: 'empty.txt' }],
      postingDomainLabel: { label: 'technology', similarity: 0.84, runnerUp: null },
      pendingDocumentIds: [],
      total: 210,
      limit: 1,
      offset: 0,
      createdAt: example.createdAt,
      finishedAt: '2026-11-30T09:15:04.000Z',
      results: [
        {
          rank: 1,
          documentId: example.resume,
          file: 'jane-doe.pdf',
          final: 97.3,
          unclipped: 97.3,
          semantic: 0.811,
          domain: 0.77,
          sameDomain: true,
          domainLabel: {
            label: 'technology',
            similarity: 0.79,
            runnerUp: { label: 'finance', similarity: 0.4 },
          },
          gate: {
            domain: 0.77,
            threshold: 0.5,
            factor: 1.2,
            clipped: false,
            explanation: 'domain 0.77 > threshold 0.50: boosted ×1.2',
          },
          flags: [],
          evidence: [{ text: 'Built Kafka and Spark pipelines on PostgreSQL.', similarity: 0.86 }],
        },
      ],
    },
  ],
} as const;

export interface ScreeningRouteDependencies {
  db: Database;
  queues: JobQueues;
  intake: DocumentIntake;
}

/** Postings, their applicants, screening runs (append-only) and their exports. */
export function screeningRoutes(app: FastifyInstance, deps: ScreeningRouteDependencies): void {
  const documents = new DocumentRepository(deps.db);
  const postings = new PostingRepository(deps.db);
  const screenings = new ScreeningRepository(deps.db);
  const domains = new DomainRepository(deps.db);

  const postingOf = async (tenantId: string, id: string) => {
    const posting = await postings.findById(tenantId, id);
    if (!posting) throw new HttpError(404, 'not_found', `no posting ${id}`);
    return posting;
  };
  const runOf = async (tenantId: string, runId: string): Promise<ScreeningRun> => {
    const run = await screenings.findRun(tenantId, runId);
    if (!run) throw new HttpError(404, 'not_found', `no screening ${runId}`);
    return run;
  };

  app.post<{ Body: { title: string; documentId?: string; text?: string; params?: ScoreOverrides } }>(
    '/v1/postings',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'Create a posting from a job description (a posting document, or its text)',
        tags: ['screening'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          properties: {
            title: { type: 'string', minLength: 1, maxLength: 500 },
            documentId: uuid,
            text: { type: 'string', minLength: 1 },
            params: paramsSchema,
          },
          required: ['title'],
          additionalProperties: false,
          examples: [
            {
              title: 'Data engineer',
              text: 'Data engineer: Kafka, Spark and PostgreSQL pipelines; Terraform.',
              params: { threshold: 0.55 },
            },
          ],
        },
        response: {
          201: postingView,
          404: errorResponse('No document documentId'),
          422: errorResponse(
            'documentId is not a posting document (not_a_posting), or it failed (posting_failed)',
          ),
        },
      },
    },
    async (request, reply) => {
      const { title, documentId, text, params } = request.body;
      if ((documentId === undefined) === (text === undefined)) {
        throw new HttpError(400, 'invalid_request', 'give either documentId or text');
      }
      let postingDocument: string;
      if (text !== undefined) {
        const accepted = await deps.intake.acceptText(request.tenantId, 'posting', text);
        postingDocument = accepted.duplicateOf ?? accepted.id;
      } else {
        const found = await documents.findById(request.tenantId, documentId!);
        if (!found) throw new HttpError(404, 'not_found', `no document ${documentId}`);
        const document = found.duplicateOf
          ? ((await documents.findById(request.tenantId, found.duplicateOf)) ?? found)
          : found;
        if (document.kind !== 'posting') {
          throw new HttpError(
            422,
            'not_a_posting',
            `documentId: document ${documentId} was accepted as a ${document.kind}; upload the job description with kind=posting`,
          );
        }
        if (document.status === 'failed') {
          throw new HttpError(
            422,
            'posting_failed',
            `documentId: document ${documentId} failed (${document.failureReason ?? 'failed'}); it has no text to screen against`,
          );
        }
        postingDocument = document.id;
      }
      const posting = await postings.create({
        tenantId: request.tenantId,
        documentId: postingDocument,
        title,
        params: params ?? {},
      });
      return reply.code(201).send({ ...posting, applicants: 0 });
    },
  );

  app.get<{ Querystring: { status?: 'open' | 'closed'; cursor?: string; limit: number } }>(
    '/v1/postings',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "The tenant's postings, oldest first (creation time, then id), optionally of one status",
        tags: ['screening'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          properties: { status: { type: 'string', enum: schema.postingStatus.enumValues }, ...pageQuery },
          additionalProperties: false,
        },
        response: {
          200: pageSchema('postings', postingItem, {
            items: [
              {
                id: example.posting,
                documentId: example.postingDocument,
                title: 'Data engineer',
                status: 'open',
                params: { threshold: 0.55 },
                createdAt: example.createdAt,
                updatedAt: example.createdAt,
              },
              {
                id: example.closedPosting,
                documentId: example.closedPostingDocument,
                title: 'Site reliability engineer',
                status: 'closed',
                params: {},
                createdAt: '2026-11-30T09:20:00.000Z',
                updatedAt: '2026-12-14T17:45:00.000Z',
              },
            ],
            next: { createdAt: '2026-11-30T09:20:00.000000Z', id: example.closedPosting },
          }),
          400: errorSchema,
        },
      },
    },
    async (request) => {
      const { status, cursor, limit } = request.query;
      const page = await postings.list(request.tenantId, {
        ...(status ? { status } : {}),
        after: decodeCursor(cursor),
        limit,
      });
      return pageAnswer('postings', page, ({ tenantId: _, ...posting }) => posting);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/postings/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'A posting',
        tags: ['screening'],
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: postingView, 404: errorResponse('No posting :id') },
      },
    },
    async (request) => {
      const posting = await postingOf(request.tenantId, request.params.id);
      return { ...posting, applicants: await postings.countApplicants(request.tenantId, posting.id) };
    },
  );

  app.post<{ Params: { id: string }; Body: { documentIds: string[] } }>(
    '/v1/postings/:id/applicants',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "Add applicants (the tenant's resume documents) to a posting; adding one twice is a no-op",
        tags: ['screening'],
        security: [{ bearer: [] }],
        params: idParams,
        body: {
          type: 'object',
          properties: { documentIds: { type: 'array', items: uuid, minItems: 1, maxItems: 10_000 } },
          required: ['documentIds'],
          additionalProperties: false,
          examples: [{ documentIds: [example.resume, example.failedResume] }],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              postingId: uuid,
              added: { type: 'integer', description: 'applicants new to the posting' },
              applicants: { type: 'integer', description: 'applicants of the posting now' },
            },
            required: ['postingId', 'added', 'applicants'],
            examples: [{ postingId: example.posting, added: 2, applicants: 212 }],
          },
          404: {
            ...errorResponse('No posting :id, or no documents of these ids (listed; nothing was added)'),
            properties: { ...errorSchema.properties, missing: { type: 'array', items: uuid } },
          },
          422: {
            ...errorResponse('Some documents are postings, not resumes (listed; nothing was added)'),
            properties: { ...errorSchema.properties, notResumes: { type: 'array', items: uuid } },
          },
        },
      },
    },
    async (request) => {
      const posting = await postingOf(request.tenantId, request.params.id);
      const { missing, notResumes, added } = await postings.addApplicants(
        request.tenantId,
        posting.id,
        request.body.documentIds,
      );
      if (missing.length > 0) {
        throw new HttpError(
          404,
          'not_found',
          `documentIds: no document ${firstOf(missing)} (${missing.length} in all, each in missing); nothing was added`,
          { missing },
        );
      }
      if (notResumes.length > 0) {
        throw new HttpError(
          422,
          'not_a_resume',
          `documentIds: ${firstOf(notResumes)} ${notResumes.length === 1 ? 'is a posting' : 'are postings'}, not resumes (${notResumes.length} in all, each in notResumes); nothing was added`,
          { notResumes },
        );
      }
      return {
        postingId: posting.id,
        added,
        applicants: await postings.countApplicants(request.tenantId, posting.id),
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { cursor?: string; limit: number } }>(
    '/v1/postings/:id/applicants',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "A posting's applicants in the order they were added (then by document id); cursor paging",
        description:
          'Each applicant with its document status, the file name or S3 object it came from, the externalId the ' +
          'client gave it and its domain label. A duplicate upload applies as its original, which is listed.',
        tags: ['screening'],
        security: [{ bearer: [] }],
        params: idParams,
        querystring: { type: 'object', properties: { ...pageQuery }, additionalProperties: false },
        response: {
          200: pageSchema('applicants', applicantItem, {
            items: [
              {
                documentId: example.resume,
                status: 'ready',
                file: 'jane-doe.pdf',
                externalId: 'A-1042',
                domainLabel: {
                  label: 'technology',
                  similarity: 0.79,
                  runnerUp: { label: 'finance', similarity: 0.4 },
                },
                addedAt: '2026-11-30T09:16:00.000Z',
              },
              {
                documentId: example.failedResume,
                status: 'failed',
                failureReason: 'no_text',
                file: 'empty.txt',
                addedAt: '2026-11-30T09:16:00.000Z',
              },
            ],
            next: { createdAt: '2026-11-30T09:16:00.000000Z', id: example.failedResume },
          }),
          400: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request) => {
      const posting = await postingOf(request.tenantId, request.params.id);
      const page = await postings.listApplicants(request.tenantId, posting.id, {
        after: decodeCursor(request.query.cursor),
        limit: request.query.limit,
      });
      return pageAnswer('applicants', page, ({ reference, ...applicant }) =>
        withoutNulls({ ...applicant, source: reference }),
      );
    },
  );

  app.delete<{ Params: { id: string; documentId: string } }>(
    '/v1/postings/:id/applicants/:documentId',
    {
      config: { auth: 'tenant' },
      schema: {
        summary:
          "Remove a document from a posting's applicants (the document stays; past runs keep their results)",
        tags: ['screening'],
        security: [{ bearer: [] }],
        params: {
          type: 'object',
          properties: { id: uuid, documentId: uuid },
          required: ['id', 'documentId'],
        },
        response: { 204: { type: 'null' }, 404: errorSchema },
      },
    },
    async (request, reply) => {
      const { id, documentId } = request.params;
      const posting = await postingOf(request.tenantId, id);
      const removed = await postings.removeApplicant(request.tenantId, posting.id, documentId);
      if (removed === 'no_document') throw new HttpError(404, 'not_found', `no document ${documentId}`);
      if (removed === 'not_applicant') {
        throw new HttpError(404, 'not_found', `document ${documentId} is not an applicant of posting ${id}`);
      }
      return reply.code(204).send();
    },
  );

  app.post<{
    Params: { id: string };
    Body:
      | {
          scope?: 'applicants' | 'pool';
          top?: number;
          params?: ScoreOverrides;
          domains?: string[];
          evidence?: number;
        }
      | undefined;
  }>(
    '/v1/postings/:id/screenings',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "Rank the posting's applicants (exact) or the tenant's whole pool: a new, append-only run",
        tags: ['screening'],
        security: [{ bearer: [] }],
        params: idParams,
        body: {
          type: 'object',
          properties: {
            scope: { type: 'string', enum: schema.screeningScope.enumValues, default: 'applicants' },
            top: { type: 'integer', minimum: 1, maximum: SCREENING_LIMITS.top },
            evidence: {
              type: 'integer',
              minimum: 0,
              maximum: SCREENING_LIMITS.evidence,
              default: 50,
              description:
                "How many of the best results get evidence: each resume's passages most similar to the " +
                'posting, computed by the rank stage (0: none, the fastest run).',
            },
            params: paramsSchema,
            domains: {
              type: 'array',
              description:
                'Rank only candidates classified into one of these domains (keys of the domain set).',
              items: { type: 'string', minLength: 1, maxLength: 63 },
              minItems: 1,
              maxItems: 100,
            },
          },
          required: [],
          additionalProperties: false,
          examples: [
            { scope: 'applicants', top: 50, evidence: 10, params: { threshold: 0.55, hardGate: true } },
          ],
        },
        response: {
          202: {
            type: 'object',
            properties: { runId: uuid },
            required: ['runId'],
            examples: [{ runId: example.run }],
          },
          404: errorResponse('No posting :id'),
          409: errorResponse('No active models to score with (no_models), or the Idempotency-Key is in use'),
          422: errorResponse(
            'No applicants to rank (no_applicants), or the posting document failed (posting_failed)',
          ),
        },
      },
    },
    async (request, reply) => {
      const posting = await postingOf(request.tenantId, request.params.id);
      let run;
      try {
        ({ run } = await createScreeningRun(deps.db, {
          posting,
          scope: request.body?.scope ?? 'applicants',
          trigger: 'api',
          top: request.body?.top ?? null,
          overrides: request.body?.params,
          domains: request.body?.domains,
          evidence: request.body?.evidence ?? 50,
        }));
      } catch (error) {
        if (error instanceof ScreeningRequestError) {
          const status = {
            invalid_params: 400,
            unknown_domain: 400,
            no_applicants: 422,
            posting_failed: 422,
            no_models: 409,
          }[error.code];
          throw new HttpError(status, status === 400 ? 'invalid_request' : error.code, error.message);
        }
        throw error;
      }
      await deps.queues.enqueue('rank', { tenantId: request.tenantId, runId: run.id });
      return reply.code(202).send({ runId: run.id });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { cursor?: string; limit: number } }>(
    '/v1/postings/:id/screenings',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "A posting's screening runs, oldest first (creation time, then id); cursor paging",
        description:
          'Created order, so that a client keeping the last cursor finds the runs created since on its next ' +
          'call. Results of a run: GET /v1/screenings/{runId}.',
        tags: ['screening'],
        security: [{ bearer: [] }],
        params: idParams,
        querystring: { type: 'object', properties: { ...pageQuery }, additionalProperties: false },
        response: {
          200: pageSchema('screenings', runItem, {
            items: [
              {
                id: example.run,
                postingId: example.posting,
                status: 'completed',
                scope: 'applicants',
                trigger: 'api',
                params: { threshold: 0.55, boost: 1.2, penalty: 0.6, hardGate: false },
                evidenceTop: 50,
                createdAt: example.createdAt,
                startedAt: '2026-11-30T09:15:01.000Z',
                finishedAt: '2026-11-30T09:15:04.000Z',
              },
              {
                id: example.failedRun,
                postingId: example.posting,
                status: 'failed',
                scope: 'pool',
                trigger: 'nightly',
                top: 100,
                params: { threshold: 0.55, boost: 1.2, penalty: 0.6, hardGate: false },
                evidenceTop: 0,
                domains: ['technology'],
                failureReason: 'retries_exhausted',
                createdAt: '2026-12-01T02:00:00.000Z',
                startedAt: '2026-12-01T02:00:01.000Z',
                finishedAt: '2026-12-01T02:00:01.000Z',
              },
            ],
            next: { createdAt: '2026-12-01T02:00:00.000000Z', id: example.failedRun },
          }),
          400: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request) => {
      const posting = await postingOf(request.tenantId, request.params.id);
      const page = await screenings.listRuns(request.tenantId, posting.id, {
        after: decodeCursor(request.query.cursor),
        limit: request.query.limit,
      });
      return pageAnswer('screenings', page, (run) =>
        withoutNulls({
          id: run.id,
          postingId: run.postingId,
          status: run.status,
          scope: run.scope,
          trigger: run.trigger,
          top: run.top,
          params: run.params,
          evidenceTop: run.evidenceTop,
          domains: run.domains,
          failureReason: run.failureReason,
          createdAt: run.createdAt,
          startedAt: run.startedAt,
          finishedAt: run.finishedAt,
        }),
      );
    },
  );

  app.get<{ Params: { runId: string }; Querystring: { limit: number; offset: number } }>(
    '/v1/screenings/:runId',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'A screening run: status, parameters, models and a page of its results',
        tags: ['screening'],
        security: [{ bearer: [] }],
        params: runParams,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            // Bounded: a larger offset reached the database as a bigint it could not hold (500).
            offset: { type: 'integer', minimum: 0, maximum: 1_000_000_000, default: 0 },
          },
          additionalProperties: false,
        },
        response: { 200: runView, 404: errorResponse('No screening :runId') },
      },
    },
    async (request) => {
      const run = await runOf(request.tenantId, request.params.runId);
      const { limit, offset } = request.query;
      const [total, results, posting] = await Promise.all([
        screenings.countResults(request.tenantId, run.id),
        screenings.listResults(request.tenantId, run.id, limit, offset),
        postings.findById(request.tenantId, run.postingId),
      ]);
      const [postingDomainLabel, summary, explained] = await Promise.all([
        posting ? domains.findDocumentDomain(request.tenantId, posting.documentId) : undefined,
        summariseRun(deps.db, run),
        explainResults(deps.db, run, results),
      ]);
      return {
        id: run.id,
        postingId: run.postingId,
        status: run.status,
        scope: run.scope,
        trigger: run.trigger,
        ...(run.top !== null ? { top: run.top } : {}),
        params: run.params,
        models: summary.models,
        modelNames: summary.modelNames,
        evidenceTop: run.evidenceTop,
        evidence: summary.evidence,
        audit: summary.audit,
        failed: summary.failed.map((f) => ({ ...f, file: f.file ?? undefined })),
        ...(run.domains ? { domains: run.domains } : {}),
        ...(postingDomainLabel ? { postingDomainLabel } : {}),
        pendingDocumentIds: summary.pending.map((p) => p.documentId),
        ...(run.failureReason ? { failureReason: run.failureReason } : {}),
        total,
        limit,
        offset,
        createdAt: run.createdAt,
        ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
        results: explained.map((r) => ({ ...r, file: r.file ?? undefined })),
      };
    },
  );

  app.get<{ Params: { runId: string } }>(
    '/v1/screenings/:runId/export.csv',
    {
      config: { auth: 'tenant' },
      schema: {
        summary:
          'The results of a run as CSV: a header, one row per result in rank order, then one per document it could not rank (status failed or pending, with the reason)',
        tags: ['screening'],
        security: [{ bearer: [] }],
        params: runParams,
        response: {
          200: {
            description: 'The CSV, as an attachment',
            content: {
              'text/csv': {
                schema: {
                  type: 'string',
                  examples: [
                    'rank,status,file,documentId,final,unclipped,semantic,domain,sameDomain,gateFactor,clipped,flags,' +
                      'domainLabel,domainSimilarity,domainRunnerUp,reason,evidence\r\n' +
                      `1,ranked,jane-doe.pdf,${example.resume},97.30,97.30,0.8110,0.7700,true,1.2,false,,technology,0.79,finance,,\r\n`,
                  ],
                },
              },
            },
          },
          404: errorResponse('No screening :runId'),
          409: errorResponse('The screening has not completed (not_completed)'),
        },
      },
    },
    async (request, reply) => {
      const run = await runOf(request.tenantId, request.params.runId);
      if (run.status !== 'completed') {
        throw new HttpError(409, 'not_completed', `the screening is ${run.status}; export it once completed`);
      }
      const total = await screenings.countResults(request.tenantId, run.id);
      const [results, summary] = await Promise.all([
        screenings.listResults(request.tenantId, run.id, Math.max(total, 1), 0),
        summariseRun(deps.db, run),
      ]);
      const explained = await explainResults(deps.db, run, results);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="screening-${run.id}.csv"`)
        .send(
          screeningCsv(explained, [
            ...summary.failed.map((f) => ({ status: 'failed' as const, reason: f.failureReason, ...f })),
            ...summary.pending.map((p) => ({ status: 'pending' as const, reason: 'pending', ...p })),
          ]),
        );
    },
  );
}
