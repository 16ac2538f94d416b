import { sql } from 'drizzle-orm';
import type { Database } from '../client';
import { embeddings } from '../schema';

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
  async upsert(rows: EmbeddingRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
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
}
