import '@fastify/multipart';
import '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import {
  DocumentRepository,
  DomainRepository,
  schema,
  type Database,
  type Document,
  type DocumentListFilter,
} from '@shortlist/db';
import {
  EXTERNAL_ID_LENGTH,
  NOT_THE_DOCUMENTS_FAULT,
  isRetryableFailure,
  retryDocument,
} from '@shortlist/pipeline';
import type { JobQueues } from '@shortlist/queue';
import type { ObjectStore } from '@shortlist/storage';
import type { DocumentInput, DocumentIntake } from '../document-intake';
import { errorResponse } from '../documented-errors';
import { forgetErasedInAnswers } from '../idempotency';
import { HttpError, errorSchema } from '../http-error';
import { decodeCursor, pageAnswer, pageQuery, pageSchema, withoutNulls } from '../list-pages';
import { domainLabelSchema } from './screenings';

const KINDS = schema.documentKind.enumValues;
const STATUSES = schema.documentStatus.enumValues;
const MAX_BATCH = 10_000;

/** Ids of the examples of the document (OpenAPI). */
const example = {
  resume: '3f6c9b2e-4d1a-4e8b-a7c5-0d9e8f7a6b5c',
  copy: '6b8d0f2a-4c6e-4a8b-9d1f-3a5c7e9b1d3f',
  scanned: '0d2f4b6a-8c1e-4d3a-9f5b-7e9a1c3e5b7d',
  createdAt: '2026-11-30T09:12:00.000Z',
};
const externalId = {
  type: 'string',
  minLength: EXTERNAL_ID_LENGTH.min,
  maxLength: EXTERNAL_ID_LENGTH.max,
  description:
    "The document's id in the client's own system (its ATS): stored, echoed in answers and lists, filterable " +
    '(GET /v1/documents?externalId=). Not unique.',
} as const;
const s3Object = {
  type: 'object',
  properties: { bucket: { type: 'string' }, key: { type: 'string' } },
  required: ['bucket', 'key'],
  additionalProperties: false,
} as const;

const metadata = {
  type: 'object',
  additionalProperties: true,
  description: 'Free-form; stored as given.',
} as const;
const documentInput = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: KINDS },
    text: { type: 'string', minLength: 1, description: 'The document as plain text.' },
    source: {
      type: 'object',
      description: 'An object already in S3, under a bucket/prefix of SOURCE_ALLOWLIST.',
      properties: { bucket: { type: 'string', minLength: 3 }, key: { type: 'string', minLength: 1 } },
      required: ['bucket', 'key'],
      additionalProperties: false,
    },
    metadata,
    externalId,
  },
  required: ['kind'],
  additionalProperties: false,
} as const;

const createBody = {
  type: 'object',
  description:
    'One document ({kind, text} or {kind, source}) or a batch ({documents: [...]}, up to 10,000): `kind` or ' +
    '`documents`, not both. ' +
    'Uploads use multipart/form-data instead: a `kind` field, then one or more `file` parts; an `externalId` field ' +
    "placed right before a `file` part is that file's externalId (e.g. curl -F kind=resume -F externalId=A-1 " +
    '-F file=@a.pdf -F externalId=A-2 -F file=@b.pdf). Each accepted document is answered in the order sent, ' +
    'with its file name (`file`), or the S3 object (`source`), and its `externalId` when it was given one.',
  properties: {
    ...documentInput.properties,
    documents: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: documentInput },
  },
  required: [],
  additionalProperties: false,
  examples: [
    {
      kind: 'resume',
      text: 'Jane Doe. Data engineer: Kafka, Spark, PostgreSQL.',
      metadata: { atsId: 'A-1042' },
    },
    {
      documents: [
        { kind: 'resume', source: { bucket: 'incoming-resumes', key: 'incoming/jane-doe.pdf' } },
        { kind: 'posting', text: 'Data engineer: Kafka, Spark and PostgreSQL pipelines.' },
      ],
    },
  ],
} as const;

/** The multipart form of POST /v1/documents (streamed by the handler, so documented apart from the JSON body). */
const uploadForm = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: KINDS, description: 'before the files' },
    file: {
      type: 'array',
      description: 'one part per file (txt, PDF, DOCX, HTML), up to 1000',
      items: { type: 'string', format: 'binary' },
    },
    externalId: {
      type: 'array',
      description:
        "optional, per file: a field right before a `file` part is that file's externalId (1 to 200 characters)",
      items: { type: 'string', minLength: EXTERNAL_ID_LENGTH.min, maxLength: EXTERNAL_ID_LENGTH.max },
    },
  },
  required: ['kind', 'file'],
} as const;

const acceptedSchema = {
  type: 'object',
  properties: {
    documents: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          status: { type: 'string', enum: STATUSES },
          duplicateOf: { type: 'string', format: 'uuid' },
          file: { type: 'string', description: 'the file name of an upload, as sent' },
          source: { ...s3Object, description: 'the S3 object of a document registered by reference' },
          externalId,
        },
        required: ['id', 'status'],
        additionalProperties: false,
      },
    },
  },
  required: ['documents'],
  examples: [
    {
      documents: [
        { id: example.resume, status: 'queued' },
        { id: example.copy, status: 'ready', duplicateOf: '9c1e3a5b-7d9f-4b1d-8f3a-5c7e9a1b3d5f' },
      ],
    },
  ],
} as const;

/** A refused upload or batch; an upload refused part-way names the documents it had accepted (none: all undone). */
const refusedSchema = (description: string) => ({
  ...errorResponse(description),
  properties: { ...errorSchema.properties, documents: acceptedSchema.properties.documents },
});

const documentView = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: KINDS },
    status: { type: 'string', enum: STATUSES },
    failureReason: { type: 'string' },
    duplicateOf: { type: 'string', format: 'uuid' },
    tokens: { type: 'integer' },
    truncated: { type: 'boolean' },
    sha256: { type: 'string' },
    sizeBytes: { type: 'integer' },
    source: {
      type: 'object',
      description: 'Where the document came from: an upload (its file name), text, or an S3 reference',
      properties: {
        type: { type: 'string', enum: ['upload', 'text', 's3', 'file'] },
        filename: { type: 'string' },
        contentType: { type: 'string' },
        bucket: { type: 'string' },
        key: { type: 'string' },
      },
      required: ['type'],
    },
    metadata,
    externalId,
    domainLabel: domainLabelSchema,
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'kind', 'status', 'source', 'metadata', 'createdAt', 'updatedAt'],
  examples: [
    {
      id: example.resume,
      kind: 'resume',
      status: 'ready',
      tokens: 612,
      truncated: false,
      sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      sizeBytes: 48213,
      source: { type: 'upload', filename: 'jane-doe.pdf', contentType: 'application/pdf' },
      metadata: { atsId: 'A-1042' },
      domainLabel: { label: 'technology', similarity: 0.79, runnerUp: { label: 'finance', similarity: 0.4 } },
      createdAt: example.createdAt,
      updatedAt: '2026-11-30T09:12:03.000Z',
    },
  ],
} as const;

/** A document as lists show it (GET /v1/documents); a duplicate shows its original's status and label. */
const documentItem = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: KINDS },
    status: { type: 'string', enum: STATUSES },
    failureReason: { type: 'string' },
    duplicateOf: { type: 'string', format: 'uuid' },
    file: { type: 'string', description: 'the file name of an upload' },
    source: { ...s3Object, description: 'the S3 object of a document registered by reference' },
    externalId,
    domainLabel: domainLabelSchema,
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'kind', 'status', 'createdAt'],
  additionalProperties: false,
} as const;

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', format: 'uuid' } },
  required: ['id'],
} as const;

type CreateBody = Partial<Extract<DocumentInput, { text: string }>> &
  Partial<Extract<DocumentInput, { source: unknown }>> & { documents?: DocumentInput[] };

export interface DocumentRouteDependencies {
  db: Database;
  store: ObjectStore;
  queues: JobQueues;
  intake: DocumentIntake;
}

/** The document endpoints of the contract: accept (upload, text, S3 reference, batch), read, erase. */
export function documentRoutes(app: FastifyInstance, deps: DocumentRouteDependencies): void {
  const documents = new DocumentRepository(deps.db);
  const domains = new DomainRepository(deps.db);

  app.get<{ Querystring: DocumentListFilter & { cursor?: string; limit: number } }>(
    '/v1/documents',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: "The tenant's documents, oldest first (creation time, then id), filtered; cursor paging",
        description:
          "Filters combine (AND). A duplicate is listed with, and filtered by, its original's status and domain label. " +
          'Pages follow `nextCursor` until it is absent.',
        tags: ['documents'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          properties: {
            kind: { type: 'string', enum: KINDS },
            status: { type: 'string', enum: STATUSES },
            domain: { type: 'string', minLength: 1, maxLength: 63, description: 'a key of the domain set' },
            createdAfter: {
              type: 'string',
              format: 'date-time',
              // PostgreSQL has no year 0000 (JSON Schema's date-time does): refused here, not by the query.
              pattern: '^(?!0000)',
              description:
                'only documents created after this instant (ISO 8601 with a time zone, years 0001-9999)',
            },
            externalId: { ...externalId, description: 'only documents the client gave this externalId' },
            ...pageQuery,
          },
          additionalProperties: false,
        },
        response: {
          200: pageSchema('documents', documentItem, {
            items: [
              {
                id: example.resume,
                kind: 'resume',
                status: 'ready',
                file: 'jane-doe.pdf',
                externalId: 'A-1042',
                domainLabel: {
                  label: 'technology',
                  similarity: 0.79,
                  runnerUp: { label: 'finance', similarity: 0.4 },
                },
                createdAt: example.createdAt,
              },
              {
                id: example.copy,
                kind: 'resume',
                status: 'ready',
                duplicateOf: example.resume,
                file: 'jane-doe (1).pdf',
                externalId: 'A-1077',
                domainLabel: {
                  label: 'technology',
                  similarity: 0.79,
                  runnerUp: { label: 'finance', similarity: 0.4 },
                },
                createdAt: '2026-11-30T09:12:01.250Z',
              },
              {
                id: example.scanned,
                kind: 'resume',
                status: 'failed',
                failureReason: 'no_text',
                source: { bucket: 'acme-ats-exports', key: 'incoming/scan-0193.pdf' },
                externalId: 'A-1043',
                createdAt: '2026-11-30T09:12:02.500Z',
              },
            ],
            next: { createdAt: '2026-11-30T09:12:02.500000Z', id: example.scanned },
          }),
          400: errorSchema,
        },
      },
    },
    async (request) => {
      const { cursor, limit, ...filter } = request.query;
      const page = await documents.list(request.tenantId, { ...filter, after: decodeCursor(cursor), limit });
      return pageAnswer('documents', page, ({ reference, ...item }) =>
        withoutNulls({ ...item, source: reference }),
      );
    },
  );

  app.post<{ Body: CreateBody }>(
    '/v1/documents',
    {
      config: {
        auth: 'tenant',
        multipart: true,
        // The document only: the multipart form is not validated up front (the handler streams it).
        swaggerTransform: ({ schema, url }) => ({
          url,
          schema: {
            ...schema,
            body: {
              content: {
                'application/json': { schema: createBody },
                'multipart/form-data': { schema: uploadForm },
              },
            },
          },
        }),
      },
      schema: {
        summary: 'Accept documents for extraction and embedding',
        tags: ['documents'],
        security: [{ bearer: [] }],
        // JSON bodies are validated here; multipart uploads are streamed by the handler, never parsed up front.
        body: { content: { 'application/json': { schema: createBody } } },
        response: {
          202: acceptedSchema,
          400: refusedSchema('The request or one of its documents is malformed; the message names it'),
          403: errorResponse(
            "A source key under another tenant's prefix (source_forbidden); the message names the document",
          ),
          413: refusedSchema('A file over MAX_DOCUMENT_BYTES, or more files than one upload takes'),
        },
      },
    },
    async (request, reply) => {
      const accepted = request.isMultipart()
        ? await deps.intake.acceptUploads(request, reply)
        : await deps.intake.acceptMany(
            request.tenantId,
            jsonInputs(request.body),
            request.body?.documents !== undefined,
          );
      return reply.code(202).send({ documents: accepted });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/documents/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: 'A document and its progress',
        tags: ['documents'],
        security: [{ bearer: [] }],
        params: idParams,
        response: { 200: documentView, 404: errorResponse('No document :id') },
      },
    },
    async (request) => {
      const view = await documents.describe(request.tenantId, request.params.id);
      if (!view) throw new HttpError(404, 'not_found', `no document ${request.params.id}`);
      const domainLabel = await domains.findDocumentDomain(request.tenantId, request.params.id);
      return { ...Object.fromEntries(Object.entries(view).filter(([, v]) => v !== null)), domainLabel };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/documents/:id/retry',
    {
      config: { auth: 'tenant' },
      schema: {
        summary: `Process a failed document again; only one that failed for a reason not its own (${NOT_THE_DOCUMENTS_FAULT.join(', ')})`,
        tags: ['documents'],
        security: [{ bearer: [] }],
        params: idParams,
        response: {
          202: {
            ...acceptedSchema.properties.documents.items,
            examples: [{ id: example.resume, status: 'queued' }],
          },
          404: errorResponse('No document :id'),
          409: errorResponse('The document has not failed, or failed for a reason of its own content'),
        },
      },
    },
    async (request, reply) => {
      const found = await documents.findById(request.tenantId, request.params.id);
      if (!found) throw new HttpError(404, 'not_found', `no document ${request.params.id}`);
      // A duplicate is processed through its original (the bytes are the original's).
      const document = found.duplicateOf
        ? ((await documents.findById(request.tenantId, found.duplicateOf)) ?? found)
        : found;
      const requeued = await retryDocument(
        { db: deps.db, enqueue: (name, payload) => deps.queues.enqueue(name, payload) },
        request.tenantId,
        document.id,
      );
      if (!requeued) {
        const why =
          document.status !== 'failed'
            ? `it is ${document.status}, not failed`
            : isRetryableFailure(document.failureReason)
              ? 'it was retried at the same moment'
              : `it failed as ${document.failureReason}, a reason of its own content that a retry cannot change`;
        throw new HttpError(409, 'conflict', `document ${found.id} cannot be retried: ${why}`);
      }
      return reply.code(202).send({
        id: found.id,
        status: requeued.status,
        ...(found.duplicateOf ? { duplicateOf: found.duplicateOf } : {}),
      });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/documents/:id',
    {
      config: { auth: 'tenant' },
      schema: {
        summary:
          'Erase a document: its row, text, vectors, applications, results and the bytes Shortlist stored',
        description:
          'With it go its duplicates (the same bytes sent again: the same personal data) and, for a job ' +
          'description, the postings made from it with their screening runs. Objects registered by reference ' +
          "stay in the client's bucket.",
        tags: ['documents'],
        security: [{ bearer: [] }],
        params: idParams,
        response: { 204: { type: 'null', description: 'Erased' }, 404: errorResponse('No document :id') },
      },
    },
    async (request, reply) => {
      // The bytes first, then the rows: a store that fails (503) leaves the document whole, to be erased again;
      // the other order left its bytes in the store with no row to find them by.
      const deleteObjects = async (rows: Document[]) => {
        for (const document of rows) {
          await deps.queues.removeDocumentJobs(document.id);
          // Bytes Shortlist stored (uploads, text); objects registered by reference belong to the client.
          if (document.source.type !== 's3' && document.source.key)
            await deps.store.delete(document.source.key);
        }
      };
      const rows = await documents.withCopies(request.tenantId, request.params.id);
      if (rows.length === 0) throw new HttpError(404, 'not_found', `no document ${request.params.id}`);
      await deleteObjects(rows);
      const erased = await documents.erase(request.tenantId, request.params.id);
      // A duplicate accepted meanwhile went with the rows: its bytes too.
      await deleteObjects(erased.filter((e) => !rows.some((r) => r.id === e.id)));
      await forgetErasedInAnswers(
        deps.db,
        request.tenantId,
        [...rows, ...erased].map((d) => d.id),
      );
      return reply.code(204).send();
    },
  );
}

function jsonInputs(body: CreateBody | undefined): DocumentInput[] {
  if (!body)
    throw new HttpError(400, 'invalid_request', 'send JSON {kind, text}, {kind, source} or {documents}');
  if (body.documents) {
    if (body.kind || body.text || body.source) {
      throw new HttpError(400, 'invalid_request', 'body: give either documents or one document, not both');
    }
    return body.documents;
  }
  if (!body.kind) throw new HttpError(400, 'invalid_request', "body must have required property 'kind'");
  return [body as DocumentInput];
}
