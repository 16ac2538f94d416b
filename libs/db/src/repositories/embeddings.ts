import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { documents, embeddings } from '../schema';

export interface EmbeddingRow {
  tenantId: string;
  documentId: string;
  modelId: string;
  /** L2-normalised. */
  embedding: number[];
  tokenCount: number;
  chunkCount: number;
}

export class EmbeddingRepository {
  constructor(private readonly db: Database) {}

  /** One vector per (document, model): a retried or repeated job rewrites the same row. */
  async upsert(rows: EmbeddingRow[], db: Pick<Database, 'insert'> = this.db): Promise<void> {
    if (rows.length === 0) return;
    await db
      .insert(embeddings)
      .values(rows)
      .onConflictDoUpdate({
        target: [embeddings.documentId, embeddings.modelId],
        set: {
          embedding: sql`excluded.embedding`,
          tokenCount: sql`excluded.token_count`,
          chunkCount: sql`excluded.chunk_count`,
          createdAt: sql`now()`,
        },
      });
  }

  /** A document's vectors and its move to `ready`, atomically: a reader never sees `ready` without vectors. */
  async saveDocumentVectors(
    tenantId: string,
    documentId: string,
    rows: EmbeddingRow[],
    embedded: { tokenCount: number; truncated: boolean },
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.upsert(rows, tx);
      await tx
        .update(documents)
        .set({
          status: 'ready',
          failureReason: null,
          tokenCount: embedded.tokenCount,
          embedTruncated: embedded.truncated,
          updatedAt: sql`now()`,
        })
        .where(and(eq(documents.tenantId, tenantId), eq(documents.id, documentId)));
    });
  }

  /** Whether the document has a vector for every one of these models. */
  async hasVectors(documentId: string, modelIds: string[]): Promise<boolean> {
    const rows = await this.db
      .select({ modelId: embeddings.modelId })
      .from(embeddings)
      .where(and(eq(embeddings.documentId, documentId), inArray(embeddings.modelId, modelIds)));
    return rows.length === new Set(modelIds).size;
  }

  /** A document's vector from one model, if it has one. */
  async findVector(tenantId: string, documentId: string, modelId: string): Promise<number[] | undefined> {
    const [row] = await this.db
      .select({ embedding: embeddings.embedding })
      .from(embeddings)
      .where(
        and(
          eq(embeddings.tenantId, tenantId),
          eq(embeddings.documentId, documentId),
          eq(embeddings.modelId, modelId),
        ),
      );
    return row?.embedding;
  }
}
