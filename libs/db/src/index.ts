export * as schema from './schema';
export type { DocumentSource, EvidencePassage } from './schema';
export { checkDatabase, openPglite, openPostgres, queryRows } from './client';
export { withoutQueryParameters } from './errors';
export type { Database, DatabaseHandle, PostgresHandle } from './client';
export { functionsFile, migrate, migrationsFolder } from './migrate';
export { TenantRepository } from './repositories/tenants';
export {
  AmbiguousApiKeyError,
  ApiKeyRepository,
  hashApiKey,
  type ApiKeyListing,
} from './repositories/api-keys';
export { DocumentRepository } from './repositories/documents';
export type { Document, DocumentListFilter } from './repositories/documents';
export type { Keyset, Page } from './repositories/keyset';
export { ModelRepository } from './repositories/models';
export type { Model } from './repositories/models';
export { EmbeddingRepository } from './repositories/embeddings';
export { PostingRepository } from './repositories/postings';
export type { Posting } from './repositories/postings';
export { RankingRepository } from './repositories/rankings';
export { ScreeningRepository } from './repositories/screenings';
export type { ScreeningResult, ScreeningRun } from './repositories/screenings';
export type { RankedCandidate } from './repositories/rankings';
export { DomainRepository } from './repositories/domains';
export type { DocumentDomain, DomainSet } from './repositories/domains';
export { WEBHOOK_EVENT_TYPES, WebhookRepository } from './repositories/webhooks';
export type { WebhookEventType } from './repositories/webhooks';
export { IdempotencyKeyRepository } from './repositories/idempotency-keys';
