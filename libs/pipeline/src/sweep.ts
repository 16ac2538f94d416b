import { DocumentRepository } from '@shortlist/db';
import { documentJobOf } from '@shortlist/queue';
import type { PipelineDependencies } from './dependencies';

/**
 * Re-enqueues documents stuck in a stage for `staleSeconds` — left by a crash between a commit and its enqueue,
 * or by retries that ran out while a service was down. Enqueueing is idempotent (job id = document id), so
 * running this anywhere, any number of times, is safe. Returns how many documents were handed on.
 */
export async function sweepStaleDocuments(
  deps: Pick<PipelineDependencies, 'db' | 'enqueue'>,
  staleSeconds: number,
  batch = 1000,
): Promise<number> {
  const documents = new DocumentRepository(deps.db);
  const stale = await documents.findStale(staleSeconds, batch);
  for (const document of stale) await deps.enqueue(document.stage, documentJobOf(document));
  await documents.touch(stale.map((d) => d.id));
  return stale.length;
}
