import type { DocumentRepository } from '@shortlist/db';

/**
 * What a stage handler reports. A handler returns `done` or `skipped` (with why: the work was already done, or
 * the document is gone); it throws `PermanentFailure` when retrying cannot help (the document is already marked
 * `failed` with the reason), and any other error when a retry may succeed (a service is down).
 */
export type StageOutcome =
  | {
      outcome: 'done';
      /** Tokens embedded (embed stage). */
      tokens?: number;
      /** What a nightly re-score did (nightly report). */
      report?: { day: string; completed: number; failed: number };
    }
  | { outcome: 'skipped'; reason: string }
  /** Not yet: run again in `retryInMs` (a screening waiting for its documents' vectors). */
  | { outcome: 'deferred'; reason: string; retryInMs: number };

export class PermanentFailure extends Error {
  override readonly name = 'PermanentFailure';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}

export const done: StageOutcome = { outcome: 'done' };
export const skipped = (reason: string): StageOutcome => ({ outcome: 'skipped', reason });

/**
 * A stage's write for a document; when it fails because the document was erased meanwhile (its row is gone, so a
 * foreign key refuses the write), the job is over — `document_erased` — instead of a retry that fails the same way.
 */
export async function unlessErased(
  documents: DocumentRepository,
  { tenantId, documentId }: { tenantId: string; documentId: string },
  write: () => Promise<void>,
): Promise<StageOutcome | undefined> {
  try {
    await write();
    return undefined;
  } catch (error) {
    if (!(await documents.findById(tenantId, documentId))) return skipped('document_erased');
    throw error;
  }
}
