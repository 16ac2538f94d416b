export * as schema from './schema';
export type { DocumentSource, EvidencePassage, ScoreParams } from './schema';
export { checkDatabase, openPglite, openPostgres, queryRows } from './client';
export type { Database, DatabaseHandle, PgliteHandle, PostgresHandle } from './client';
export { functionsFile, migrate, migrationsFolder } from './migrate';
export type { MigrationReport } from './migrate';
export { DatabaseSetupError, describeDatabaseError } from './errors';
export { TenantRepository } from './repositories/tenants';
export type { Tenant } from './repositories/tenants';
export {
  AmbiguousApiKeyError,
  ApiKeyRepository,
  hashApiKey,
  type ApiKeyListing,
} from './repositories/api-keys';
export { DocumentRepository } from './repositories/documents';
export type {
  Document,
  DocumentListFilter,
  DocumentListItem,
  DocumentStatus,
  NewDocument,
} from './repositories/documents';
export type { Keyset, Page, PageRequest } from './repositories/keyset';
export { ModelRepository } from './repositories/models';
export type { Model, ModelRole, NewModel } from './repositories/models';
export { EmbeddingRepository } from './repositories/embeddings';
export type { EmbeddingRow } from './repositories/embeddings';
export { PostingRepository } from './repositories/postings';
export type { ApplicantListItem, NewPosting, Posting } from './repositories/postings';
export { RankingRepository } from './repositories/rankings';
export { ScreeningRepository } from './repositories/screenings';
export type { CompletedRun, NewScreeningRun, ScreeningResult, ScreeningRun } from './repositories/screenings';
export type { RankedCandidate, RankOptions, SimilarCandidate } from './repositories/rankings';
export { DomainRepository, documentDomainOf } from './repositories/domains';
export type { DocumentDomain, DomainLabel, DomainSet } from './repositories/domains';
export { WEBHOOK_EVENT_TYPES, WebhookRepository } from './repositories/webhooks';
export type { WebhookDelivery, WebhookEndpoint, WebhookEventType } from './repositories/webhooks';
export { IdempotencyKeyRepository } from './repositories/idempotency-keys';
