import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DocumentRepository } from '@shortlist/db';
import { ExtractionError, extractFile } from '@shortlist/extract';
import { documentJobOf, type JobPayload } from '@shortlist/queue';
import { HashingLimiter, ObjectNotFoundError, ObjectTooLargeError } from '@shortlist/storage';
import type { PipelineDependencies } from './dependencies';
import { PermanentFailure, done, skipped, unlessErased, type StageOutcome } from './outcome';
import { ScratchSpace, scratchFolder, scratchRoot } from './scratch-space';

/** The disk ran out of room (or of the user's quota). */
function isOutOfSpace(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function outOfSpace(dir: string, error: NodeJS.ErrnoException): string {
  return `no space left in this worker's scratch directory ${dir} (${error.code}) for the document's bytes: free space there or set TMPDIR`;
}

const scratchSpace = new ScratchSpace();

/**
 * Stage 1: the stored bytes -> normalised text. Streams the object to a scratch file under the size cap (hashing
 * it on the way: a document registered by reference learns its sha256 here and may turn out to be a duplicate),
 * extracts its text in a child process, stores the text and enqueues `embed`. Safe to run again at any point.
 */
export async function handleExtract(
  { tenantId, documentId }: JobPayload<'extract'>,
  deps: PipelineDependencies,
): Promise<StageOutcome> {
  const documents = new DocumentRepository(deps.db);
  const document = await documents.findById(tenantId, documentId);
  if (!document) return skipped('document_erased');
  if (document.duplicateOf) return skipped('duplicate');
  switch (document.status) {
    case 'ready':
    case 'failed':
      return skipped(`already_${document.status}`);
    case 'extracted':
    case 'embedding':
      // Extracted before a crash that lost the embed job: hand it on again (a no-op if the job exists).
      await deps.enqueue('embed', documentJobOf(document));
      return skipped('already_extracted');
    case 'queued':
    case 'extracting':
      break;
  }
  await documents.setStatus(tenantId, documentId, 'extracting');
  const fail = async (reason: string, message: string): Promise<never> => {
    await documents.setStatus(tenantId, documentId, 'failed', reason);
    throw new PermanentFailure(reason, message);
  };

  let scratch: string | undefined;
  let holding = false;
  try {
    let limiter: HashingLimiter;
    for (;;) {
      limiter = new HashingLimiter(deps.extract.maxDocumentBytes);
      const mark = scratchSpace.hold();
      holding = true;
      try {
        scratch ??= await scratchFolder();
        const { key, bucket } = document.source;
        if (!key) return await fail('source_missing', 'the document has no stored object');
        const body = await deps.store.get(key, document.source.type === 's3' ? bucket : undefined);
        await pipeline(body, limiter, createWriteStream(join(scratch, 'document')));
        break;
      } catch (error) {
        if (error instanceof ObjectNotFoundError) return await fail('source_missing', error.message);
        if (error instanceof ObjectTooLargeError) return await fail('too_large', error.message);
        if (!isOutOfSpace(error)) throw error; // the store is unreachable: retry
        if (scratch) await rm(join(scratch, 'document'), { force: true });
        holding = false;
        if (await scratchSpace.afterFull(mark, deps.shutdown)) continue;
        // This worker's disk, not the document: the reason says so, and a retry (POST .../retry, or the same
        // bytes uploaded again) processes it afresh once there is room.
        return await fail('scratch_space_full', outOfSpace(scratch ?? scratchRoot(), error));
      }
    }
    if (!document.sha256) {
      const original = await documents.recordContent(document, limiter.digest(), limiter.bytes);
      if (original) return skipped('duplicate');
    }
    let text: string;
    try {
      ({ text } = await extractFile(join(scratch, 'document'), deps.extract, deps.shutdown));
    } catch (error) {
      if (error instanceof ExtractionError) return await fail(error.reason, error.message);
      throw error; // ExtractionAbortedError (we are stopping) included: the job is not finished, nothing is recorded
    }
    const erased = await unlessErased(documents, { tenantId, documentId }, () =>
      documents.saveText(tenantId, documentId, text),
    );
    if (erased) return erased;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
    if (holding) scratchSpace.release();
  }
  await deps.enqueue('embed', documentJobOf(document));
  return done;
}
