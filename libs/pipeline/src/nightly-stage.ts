import {
  DocumentRepository,
  DomainRepository,
  IdempotencyKeyRepository,
  ModelRepository,
  PostingRepository,
  ScreeningRepository,
  WebhookRepository,
} from '@shortlist/db';
import { documentJobOf, type JobPayload } from '@shortlist/queue';
import type { PipelineDependencies } from './dependencies';
import { done, type StageOutcome } from './outcome';
import { createScreeningRun } from './screening-runs';

const PAGE = 500;
const REPORT_RECHECK_MS = 5000;

const today = () => new Date().toISOString().slice(0, 10);

/**
 * The nightly re-score. First a sweep: every ready document lacking a vector of the active models is handed to
 * `embed` (this is how a model upgrade rolls out: the embed job also classifies it with the new domain model),
 * and tenants with documents lacking a domain from the active domain model get a `classify` job. Then every open posting with applicants gets a new run with
 * trigger `nightly` and the key `nightly:<day>` — running this twice the same day, or from two schedulers, makes
 * no second run. Last, a report job waits for the night's runs.
 */
export async function handleNightly(
  payload: JobPayload<'nightly'>,
  deps: PipelineDependencies,
): Promise<StageOutcome> {
  const day = payload.day ?? today();
  const models = new ModelRepository(deps.db);
  const active = await Promise.all([models.findActive('semantic'), models.findActive('domain')]);
  const activeIds = active.flatMap((m) => (m ? [m.id] : []));
  if (activeIds.length > 0) {
    const documents = new DocumentRepository(deps.db);
    for (let after: string | undefined; ;) {
      const page = await documents.findMissingVectors(activeIds, after, PAGE);
      for (const d of page) await deps.enqueue('embed', documentJobOf(d));
      if (page.length < PAGE) break;
      after = page.at(-1)!.id;
    }
  }
  // Documents without a domain from the active domain model under their tenant's set (embedded before
  // classification existed, or a set change whose job was lost); documents embedded tonight are classified
  // by their embed job.
  const domainModel = active[1];
  if (domainModel) {
    for (const { tenantId, setId } of await new DomainRepository(deps.db).tenantsNeedingClassification(
      domainModel.id,
    )) {
      await deps.enqueue('classify', { tenantId, setId });
    }
  }
  const postings = new PostingRepository(deps.db);
  for (let after: string | undefined; ;) {
    const page = await postings.findOpenWithApplicants(after, PAGE);
    for (const posting of page) {
      const { run } = await createScreeningRun(deps.db, {
        posting,
        scope: 'applicants',
        trigger: 'nightly',
        idempotencyKey: `nightly:${day}`,
      });
      if (run.status !== 'completed' && run.status !== 'failed') {
        await deps.enqueue('rank', { tenantId: run.tenantId, runId: run.id });
      }
    }
    if (page.length < PAGE) break;
    after = page.at(-1)!.id;
  }
  await deps.enqueue('nightlyReport', { day });
  await new IdempotencyKeyRepository(deps.db).removeExpired(); // keys are kept 24 hours
  // Without webhook settings (a process that sends none) deliveries are kept until a worker's nightly job runs.
  if (deps.webhooks) await new WebhookRepository(deps.db).removeFinished(deps.webhooks.retentionDays);
  return done;
}

/** Done when every run of the night has finished; its outcome carries the night's counts. */
export async function handleNightlyReport(
  { day }: JobPayload<'nightlyReport'>,
  deps: PipelineDependencies,
): Promise<StageOutcome> {
  const status = await new ScreeningRepository(deps.db).nightStatus(day);
  const open = status.queued + status.running;
  if (open > 0) {
    return { outcome: 'deferred', reason: `${open} runs of ${day} still open`, retryInMs: REPORT_RECHECK_MS };
  }
  return { outcome: 'done', report: { day, completed: status.completed, failed: status.failed } };
}
