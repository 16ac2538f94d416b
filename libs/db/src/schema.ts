import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { GateAudit, ScoreParams } from '@shortlist/scoring';
import pgvector from 'pgvector';

/**
 * The relational model of Shortlist. Every tenant-owned row carries `tenant_id`, and child tables reference
 * their parents through (tenant_id, id) pairs, so a row can never point at another tenant's document.
 *
 * The one table without `tenant_id` is `models`: a model is shared reference data (weights on disk), and one HNSW
 * index per model over all tenants' vectors, filtered by tenant with iterative scans, scales where one index per
 * tenant would not.
 */

/** pgvector column without a fixed dimension: a model of another size needs no migration. */
// pgvector's own text form both ways (PGlite may hand back an array already).
const vector = customType<{ data: number[]; driverData: string }>({
  dataType: () => 'vector',
  toDriver: (value) => pgvector.toSql(value) as string,
  fromDriver: (value) => (typeof value === 'string' ? (pgvector.fromSql(value) as number[]) : value),
});

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const documentKind = pgEnum('document_kind', ['resume', 'posting']);
export const documentStatus = pgEnum('document_status', [
  'queued',
  'extracting',
  'extracted',
  'embedding',
  'ready',
  'failed',
]);
export const modelRole = pgEnum('model_role', ['semantic', 'domain']);
export const postingStatus = pgEnum('posting_status', ['open', 'closed']);
export const screeningScope = pgEnum('screening_scope', ['applicants', 'pool']);
export const screeningTrigger = pgEnum('screening_trigger', ['api', 'nightly', 'cli']);
export const screeningStatus = pgEnum('screening_status', ['queued', 'running', 'completed', 'failed']);

export const tenants = pgTable('tenants', {
  tenantId: uuid('tenant_id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  createdAt: createdAt(),
});

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.tenantId, { onDelete: 'cascade' }),
    /** sha256 of the key, hex; the key itself is shown once and never stored. */
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters of the key, to tell keys apart in listings. */
    prefix: text('prefix').notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_tenant_idx').on(t.tenantId)],
);

export interface DocumentSource {
  type: 'upload' | 'text' | 's3' | 'file';
  /** Where the original bytes live (server-generated key for uploads and text). */
  bucket?: string;
  key?: string;
  filename?: string;
  contentType?: string;
}

export const documents = pgTable(
  'documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.tenantId, { onDelete: 'cascade' }),
    kind: documentKind('kind').notNull(),
    status: documentStatus('status').notNull().default('queued'),
    /** A reason code (`no_text`, `too_large`, `unsupported_type`, ...) when status is `failed`. */
    failureReason: text('failure_reason'),
    sha256: text('sha256'),
    /** Set when the same bytes were already stored for the tenant: this row links to that document. */
    duplicateOf: uuid('duplicate_of'),
    source: jsonb('source').$type<DocumentSource>().notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    /** The id the client's own system (its ATS) gives this document: echoed, listed and filterable, not unique. */
    externalId: text('external_id'),
    tokenCount: integer('token_count'),
    /** Set when embedded: whether the text had more tokens than were embedded (EMBED_MAX_DOCUMENT_TOKENS). */
    embedTruncated: boolean('embed_truncated'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('documents_tenant_id_key').on(t.tenantId, t.id),
    // Dedup: one original per (tenant, kind, content); duplicates point at it. Per kind: the same bytes sent as a
    // job description after a resume (or the other way) are another document, screened or ranked as what it is.
    uniqueIndex('documents_tenant_kind_sha256_original_idx')
      .on(t.tenantId, t.kind, t.sha256)
      .where(sql`${t.duplicateOf} IS NULL AND ${t.sha256} IS NOT NULL`),
    // Lists page by the key (created_at, id) within a tenant: each page is an index range scan from the cursor,
    // whatever its depth. Kind and external id filters have their own ranges.
    index('documents_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('documents_tenant_kind_created_idx').on(t.tenantId, t.kind, t.createdAt, t.id),
    index('documents_tenant_external_id_idx')
      .on(t.tenantId, t.externalId, t.createdAt, t.id)
      .where(sql`${t.externalId} IS NOT NULL`),
    index('documents_tenant_status_idx').on(t.tenantId, t.status),
    // The sweeper scans for rows stuck in a state; the index keeps it cheap on large tables.
    index('documents_status_updated_idx').on(t.status, t.updatedAt),
    foreignKey({
      name: 'documents_duplicate_of_fk',
      columns: [t.tenantId, t.duplicateOf],
      foreignColumns: [t.tenantId, t.id],
      // Erasing an original erases its copies too: they are the same personal data.
    }).onDelete('cascade'),
  ],
);

export const documentTexts = pgTable(
  'document_texts',
  {
    documentId: uuid('document_id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    text: text('text').notNull(),
    charCount: integer('char_count').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    foreignKey({
      name: 'document_texts_document_fk',
      columns: [t.tenantId, t.documentId],
      foreignColumns: [documents.tenantId, documents.id],
    }).onDelete('cascade'),
  ],
);

export const models = pgTable(
  'models',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    role: modelRole('role').notNull(),
    /** Hugging Face repository or folder name, e.g. `0xnbk/nbk-ats-semantic-v1-en`. */
    name: text('name').notNull(),
    version: text('version').notNull(),
    /** sha256 of the ONNX file: two models with the same name but other weights are other models. */
    sha256: text('sha256').notNull(),
    dims: integer('dims').notNull(),
    maxTokens: integer('max_tokens').notNull(),
    /** Exactly one active model per role: the one new vectors are made with. */
    active: boolean('active').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    unique('models_role_sha256_key').on(t.role, t.sha256),
    uniqueIndex('models_one_active_per_role_idx')
      .on(t.role)
      .where(sql`${t.active}`),
  ],
);

export const embeddings = pgTable(
  'embeddings',
  {
    documentId: uuid('document_id').notNull(),
    modelId: uuid('model_id')
      .notNull()
      .references(() => models.id),
    tenantId: uuid('tenant_id').notNull(),
    /** L2-normalised; similarity is the inner product. HNSW indexes are partial, one per model. */
    embedding: vector('embedding').notNull(),
    tokenCount: integer('token_count').notNull(),
    chunkCount: integer('chunk_count').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'embeddings_pkey', columns: [t.documentId, t.modelId] }),
    index('embeddings_tenant_model_idx').on(t.tenantId, t.modelId),
    foreignKey({
      name: 'embeddings_document_fk',
      columns: [t.tenantId, t.documentId],
      foreignColumns: [documents.tenantId, documents.id],
    }).onDelete('cascade'),
  ],
);

export type { ScoreParams };

/**
 * Sets of professional domains a document is classified into. The set with `tenant_id` NULL is the model card's
 * 13 (shared reference data, id CARD_DOMAIN_SET_ID, kept in step with libs/scoring's descriptions by the
 * processes that embed); a tenant may make sets of its own and activate one (at most one active per tenant; none
 * active: the card's).
 */
export const domainSets = pgTable(
  'domain_sets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').references(() => tenants.tenantId, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    active: boolean('active').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('domain_sets_one_active_per_tenant_idx')
      .on(t.tenantId)
      .where(sql`${t.active}`),
  ],
);

export const domainLabels = pgTable(
  'domain_labels',
  {
    setId: uuid('set_id')
      .notNull()
      .references(() => domainSets.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [primaryKey({ name: 'domain_labels_pkey', columns: [t.setId, t.key] })],
);

/** A label's description embedded by a domain model: its prototype. Recomputed when the description changes. */
export const domainPrototypes = pgTable(
  'domain_prototypes',
  {
    setId: uuid('set_id').notNull(),
    key: text('key').notNull(),
    modelId: uuid('model_id')
      .notNull()
      .references(() => models.id),
    /** The description it was made of: a prototype of another text is stale. */
    description: text('description').notNull(),
    /** L2-normalised. */
    embedding: vector('embedding').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'domain_prototypes_pkey', columns: [t.setId, t.modelId, t.key] }),
    foreignKey({
      name: 'domain_prototypes_label_fk',
      columns: [t.setId, t.key],
      foreignColumns: [domainLabels.setId, domainLabels.key],
    }).onDelete('cascade'),
  ],
);

/**
 * Each document's nearest domain and runner-up (cosine of its domain vector to the prototypes), under one set and
 * one domain model, which it records: rewritten when the document is embedded again (a model upgrade) or when its
 * tenant's set changes.
 */
export const documentDomains = pgTable(
  'document_domains',
  {
    documentId: uuid('document_id').primaryKey(),
    tenantId: uuid('tenant_id').notNull(),
    setId: uuid('set_id')
      .notNull()
      .references(() => domainSets.id, { onDelete: 'cascade' }),
    modelId: uuid('model_id')
      .notNull()
      .references(() => models.id),
    label: text('label').notNull(),
    similarity: doublePrecision('similarity').notNull(),
    runnerUp: text('runner_up'),
    runnerUpSimilarity: doublePrecision('runner_up_similarity'),
    classifiedAt: timestamp('classified_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('document_domains_tenant_label_idx').on(t.tenantId, t.label),
    foreignKey({
      name: 'document_domains_document_fk',
      columns: [t.tenantId, t.documentId],
      foreignColumns: [documents.tenantId, documents.id],
    }).onDelete('cascade'),
  ],
);

export const postings = pgTable(
  'postings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.tenantId, { onDelete: 'cascade' }),
    documentId: uuid('document_id').notNull(),
    title: text('title').notNull(),
    status: postingStatus('status').notNull().default('open'),
    /** Per-posting overrides of the score parameters; absent keys take the defaults. */
    params: jsonb('params').$type<Partial<ScoreParams>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('postings_tenant_id_key').on(t.tenantId, t.id),
    // GET /v1/postings pages by (created_at, id), optionally within a status.
    index('postings_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('postings_tenant_status_idx').on(t.tenantId, t.status, t.createdAt, t.id),
    foreignKey({
      name: 'postings_document_fk',
      columns: [t.tenantId, t.documentId],
      foreignColumns: [documents.tenantId, documents.id],
    }).onDelete('cascade'),
  ],
);

export const applicants = pgTable(
  'applicants',
  {
    postingId: uuid('posting_id').notNull(),
    documentId: uuid('document_id').notNull(),
    tenantId: uuid('tenant_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'applicants_pkey', columns: [t.postingId, t.documentId] }),
    index('applicants_document_idx').on(t.documentId),
    // A posting's applicants page by (created_at, document_id).
    index('applicants_posting_created_idx').on(t.tenantId, t.postingId, t.createdAt, t.documentId),
    foreignKey({
      name: 'applicants_posting_fk',
      columns: [t.tenantId, t.postingId],
      foreignColumns: [postings.tenantId, postings.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'applicants_document_fk',
      columns: [t.tenantId, t.documentId],
      foreignColumns: [documents.tenantId, documents.id],
    }).onDelete('cascade'),
  ],
);

export const screeningRuns = pgTable(
  'screening_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull(),
    postingId: uuid('posting_id').notNull(),
    scope: screeningScope('scope').notNull(),
    trigger: screeningTrigger('trigger').notNull(),
    status: screeningStatus('status').notNull().default('queued'),
    /** The full score parameters used (defaults merged with the posting's overrides). */
    params: jsonb('params').$type<ScoreParams>().notNull(),
    top: integer('top'),
    semanticModelId: uuid('semantic_model_id').references(() => models.id),
    domainModelId: uuid('domain_model_id').references(() => models.id),
    /** Documents that were not ready when the run finished: listed, never silently left out. */
    /** Domain keys the run was restricted to (candidates classified into one of them); NULL: all. */
    domains: text('domains').array(),
    pendingDocumentIds: uuid('pending_document_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    failureReason: text('failure_reason'),
    /** How many of the best results get evidence (their passages most similar to the posting); 0: none. */
    evidenceTop: integer('evidence_top').notNull().default(0),
    /** What the domain gate did over every candidate the run scored (set when the run completes). */
    audit: jsonb('audit').$type<GateAudit>(),
    /** De-duplicates runs, e.g. `nightly:2026-11-25` so two schedulers never score a posting twice a day. */
    idempotencyKey: text('idempotency_key'),
    createdAt: createdAt(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    unique('screening_runs_tenant_id_key').on(t.tenantId, t.id),
    unique('screening_runs_idempotency_key').on(t.tenantId, t.postingId, t.idempotencyKey),
    // A posting's runs page by (created_at, id).
    index('screening_runs_posting_idx').on(t.tenantId, t.postingId, t.createdAt, t.id),
    foreignKey({
      name: 'screening_runs_posting_fk',
      columns: [t.tenantId, t.postingId],
      foreignColumns: [postings.tenantId, postings.id],
    }).onDelete('cascade'),
  ],
);

/** Append-only: a trigger (see migrations) rejects UPDATE; rows leave only by erasure of their document or run. */
export const screeningResults = pgTable(
  'screening_results',
  {
    runId: uuid('run_id').notNull(),
    tenantId: uuid('tenant_id').notNull(),
    rank: integer('rank').notNull(),
    documentId: uuid('document_id').notNull(),
    final: doublePrecision('final').notNull(),
    unclipped: doublePrecision('unclipped').notNull(),
    semantic: doublePrecision('semantic').notNull(),
    domain: doublePrecision('domain').notNull(),
    sameDomain: boolean('same_domain').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'screening_results_pkey', columns: [t.runId, t.rank] }),
    index('screening_results_document_idx').on(t.documentId),
    // No foreign keys: their per-row checks took ~400 ms of the ~600 that storing 10,000 results took. A run or
    // document deleted takes its results with it through statement triggers, under a per-tenant lock that a
    // run writing results holds shared (migrations/0006, ScreeningRepository.complete).
  ],
);

export const webhookEvent = pgEnum('webhook_event', [
  'document.ready',
  'document.failed',
  'screening.completed',
  'screening.failed',
]);
export const webhookDeliveryStatus = pgEnum('webhook_delivery_status', ['pending', 'delivered', 'failed']);

/** A tenant's webhook endpoint: the events it receives, the secret its deliveries are signed with. */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.tenantId, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: webhookEvent('events').array().notNull(),
    /** The HMAC-SHA256 key: the receiver needs it to check signatures, so it is stored (shown once to the tenant). */
    secret: text('secret').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    /** Why it was disabled (after too many failed deliveries in a row). */
    disabledReason: text('disabled_reason'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [unique('webhook_endpoints_tenant_id_key').on(t.tenantId, t.id)],
);

/**
 * An event waiting for its delivery: written by triggers on documents and screening_runs (migrations) in the same
 * transaction as the status change, so none is lost; the worker gathers them into batched deliveries.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: uuid('tenant_id').notNull(),
    endpointId: uuid('endpoint_id').notNull(),
    type: webhookEvent('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    deliveryId: uuid('delivery_id'),
    createdAt: createdAt(),
  },
  (t) => [
    index('webhook_events_undelivered_idx')
      .on(t.endpointId, t.id)
      .where(sql`${t.deliveryId} IS NULL`),
    foreignKey({
      name: 'webhook_events_endpoint_fk',
      columns: [t.tenantId, t.endpointId],
      foreignColumns: [webhookEndpoints.tenantId, webhookEndpoints.id],
    }).onDelete('cascade'),
  ],
);

/** One signed POST of a batch of events to an endpoint, retried with backoff; each attempt is recorded. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: uuid('tenant_id').notNull(),
    endpointId: uuid('endpoint_id').notNull(),
    status: webhookDeliveryStatus('status').notNull().default('pending'),
    /** The exact body sent (the signature covers it); the same on every attempt. */
    body: text('body').notNull(),
    eventCount: integer('event_count').notNull(),
    createdAt: createdAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    unique('webhook_deliveries_tenant_id_key').on(t.tenantId, t.id),
    index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
    index('webhook_deliveries_pending_idx')
      .on(t.createdAt)
      .where(sql`${t.status} = 'pending'`),
    foreignKey({
      name: 'webhook_deliveries_endpoint_fk',
      columns: [t.tenantId, t.endpointId],
      foreignColumns: [webhookEndpoints.tenantId, webhookEndpoints.id],
    }).onDelete('cascade'),
  ],
);

export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    tenantId: uuid('tenant_id').notNull(),
    deliveryId: uuid('delivery_id').notNull(),
    attempt: integer('attempt').notNull(),
    /** The receiver's HTTP status; null when no answer came (refused, timed out, blocked by the egress policy). */
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'webhook_attempts_pkey', columns: [t.deliveryId, t.attempt] }),
    foreignKey({
      name: 'webhook_attempts_delivery_fk',
      columns: [t.tenantId, t.deliveryId],
      foreignColumns: [webhookDeliveries.tenantId, webhookDeliveries.id],
    }).onDelete('cascade'),
  ],
);

/**
 * POSTs made with an `Idempotency-Key`: the first answer, replayed to a client that retries (after a timeout or a
 * cut connection) instead of creating a second posting, run or batch. Kept 24 hours.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.tenantId, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** sha256 of the method, route and body: the same key with another request is refused. */
    fingerprint: text('fingerprint').notNull(),
    /** Null while the first request is being handled. */
    statusCode: integer('status_code'),
    responseBody: text('response_body'),
    contentType: text('content_type'),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [t.tenantId, t.key] }),
    index('idempotency_keys_created_idx').on(t.createdAt),
  ],
);

/** A passage of a resume and its semantic similarity to the posting. */
export interface EvidencePassage {
  text: string;
  similarity: number;
}

/**
 * Evidence for a run's best results: the passages of each resume most similar to the posting (semantic model),
 * computed by the rank stage after the ranking. Erased with the run or the document (it quotes the resume).
 * The passages depend only on the resume, the posting's document and the model that embedded them (both named
 * here), so a later run of the same posting copies them rather than embedding again: re-runs quote the same
 * evidence, to the last digit, at no inference cost.
 */
export const screeningEvidence = pgTable(
  'screening_evidence',
  {
    runId: uuid('run_id').notNull(),
    tenantId: uuid('tenant_id').notNull(),
    documentId: uuid('document_id').notNull(),
    passages: jsonb('passages').$type<EvidencePassage[]>().notNull(),
    /** The posting's document and the semantic model the passages were compared with; null: none was quoted. */
    postingDocumentId: uuid('posting_document_id'),
    modelId: uuid('model_id'),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'screening_evidence_pkey', columns: [t.runId, t.documentId] }),
    index('screening_evidence_document_idx').on(t.tenantId, t.documentId),
    foreignKey({
      name: 'screening_evidence_run_fk',
      columns: [t.tenantId, t.runId],
      foreignColumns: [screeningRuns.tenantId, screeningRuns.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'screening_evidence_document_fk',
      columns: [t.tenantId, t.documentId],
      foreignColumns: [documents.tenantId, documents.id],
    }).onDelete('cascade'),
  ],
);
