import { EmptyDocumentError } from '@shortlist/config';
import { DocumentRepository, EmbeddingRepository } from '@shortlist/db';
import type { JobPayload } from '@shortlist/queue';
import type { PipelineDependencies } from './dependencies';
import { classifyDocuments } from './domain-classification';
import { PermanentFailure, skipped, unlessErased, type StageOutcome } from './outcome';

/**
 * Stage 2: text -> one vector per model, and the document's domain (nearest prototype of its tenant's set). Many
 * of these run at once in a worker; the embedder batches their passes, sharing the model fairly between documents
 * and tenants. Vectors and the move to `ready` are written in one transaction, as upserts: a rerun rewrites the same
 * rows.
 */
export async function handleEmbed(
  { tenantId, documentId }: JobPayload<'embed'>,
  deps: PipelineDependencies,
): Promise<StageOutcome> {
  if (!deps.embedding) throw new Error('this process has no embedding engine (embed jobs need one)');
  const { embedder, modelIds } = deps.embedding;
  const documents = new DocumentRepository(deps.db);
  const vectors = new EmbeddingRepository(deps.db);
  const document = await documents.findById(tenantId, documentId);
  if (!document) return skipped('document_erased');
  if (document.duplicateOf) return skipped('duplicate');
  switch (document.status) {
    case 'ready':
      // A ready document lacking this engine's vectors (a new model version) gets them; it stays ready, and
      // rankings use its previous vectors until the new ones cover their documents.
      if (await vectors.hasVectors(documentId, [modelIds.semantic, modelIds.domain])) {
        return skipped('already_ready');
      }
      break;
    case 'failed':
      return skipped('already_failed');
    case 'queued':
    case 'extracting':
      return skipped('not_extracted');
    case 'extracted':
    case 'embedding':
      break;
  }
  const text = await documents.findText(tenantId, documentId);
  if (text === undefined) {
    // The text row is written with the `extracted` status, so this is a document erased mid-flight.
    return skipped('text_missing');
  }
  if (document.status === 'extracted') await documents.setStatus(tenantId, documentId, 'embedding');
  let result: Awaited<ReturnType<typeof embedder.embed>>;
  try {
    result = await embedder.embed(text, documentId, { tenant: tenantId });
  } catch (error) {
    if (error instanceof EmptyDocumentError) {
      await documents.setStatus(tenantId, documentId, 'failed', 'no_text');
      throw new PermanentFailure('no_text', error.message);
    }
    throw error;
  }
  const common = { tenantId, documentId, tokenCount: result.tokens.length, chunkCount: result.passes };
  const erased = await unlessErased(documents, { tenantId, documentId }, () =>
    vectors.saveDocumentVectors(
      tenantId,
      documentId,
      [
        { ...common, modelId: modelIds.semantic, embedding: Array.from(result.semantic) },
        { ...common, modelId: modelIds.domain, embedding: Array.from(result.domain) },
      ],
      { tokenCount: result.tokens.length, truncated: result.truncated },
    ),
  );
  if (erased) return erased;
  // After the vectors are stored: a failure here leaves the document ready and unlabelled, which the nightly
  // sweep finds and classifies.
  await classifyDocuments(deps, tenantId, [documentId]);
  return { outcome: 'done', tokens: result.tokens.length };
}
