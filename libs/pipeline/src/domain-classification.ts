import { DomainRepository, type Database } from '@shortlist/db';
import type { JobPayload } from '@shortlist/queue';
import { CARD_DOMAINS, CARD_DOMAIN_SET_ID } from '@shortlist/scoring';
import type { Embedder, PipelineDependencies } from './dependencies';
import { done, skipped, type StageOutcome } from './outcome';

/** Databases whose card labels this process has brought in step with libs/scoring's descriptions. */
const cardLabelsSynced = new WeakMap<Database, Promise<void>>();

/**
 * Makes sure a set has a prototype for every label under this domain model: each description (new or changed)
 * embedded by the model. The card's labels are first brought in step with this code's descriptions, once per
 * process. Idempotent; two processes doing it at once write the same rows.
 */
async function ensurePrototypes(
  db: Database,
  embedder: Embedder,
  setId: string,
  modelId: string,
): Promise<void> {
  const domains = new DomainRepository(db);
  if (setId === CARD_DOMAIN_SET_ID) {
    let synced = cardLabelsSynced.get(db);
    if (!synced) {
      synced = domains.syncCardLabels(CARD_DOMAINS);
      cardLabelsSynced.set(db, synced);
      // Not a swallow: the awaiters below still see the failure; the next call tries again instead of reusing it.
      synced.catch(() => cardLabelsSynced.delete(db));
    }
    await synced;
  }
  const lacking = await domains.labelsLackingPrototypes(setId, modelId);
  const prototypes = await Promise.all(
    lacking.map(async (label) => ({
      key: label.key,
      description: label.description,
      embedding: Array.from((await embedder.embed(label.description, `domain ${label.key}`)).domain),
    })),
  );
  await domains.savePrototypes(setId, modelId, prototypes);
}

/**
 * Stores the domain of documents just embedded: the nearest of their tenant's domain set (its own, else the
 * card's 13) to their vector of this process's domain model, and the runner-up.
 */
export async function classifyDocuments(
  deps: Pick<PipelineDependencies, 'db' | 'embedding'>,
  tenantId: string,
  documentIds?: string[],
): Promise<number> {
  const { embedder, modelIds } = deps.embedding!;
  const domains = new DomainRepository(deps.db);
  const setId = await domains.activeSetId(tenantId);
  await ensurePrototypes(deps.db, embedder, setId, modelIds.domain);
  return domains.classifyDocuments(tenantId, setId, modelIds.domain, documentIds);
}

/**
 * Classifies every document of a tenant again: after its domain set changed (API), or when the nightly sweep
 * finds documents without a domain from the active domain model under the tenant's set. The set is read when the
 * job runs, so a job queued for a set since replaced classifies into the new one.
 */
export async function handleClassify(
  { tenantId }: JobPayload<'classify'>,
  deps: PipelineDependencies,
): Promise<StageOutcome> {
  if (!deps.embedding) throw new Error('this process has no embedding engine (classify jobs need one)');
  const classified = await classifyDocuments(deps, tenantId);
  return classified > 0 ? done : skipped('nothing_to_classify');
}
