import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { documents, documentTexts } from '../schema';

export type Document = typeof documents.$inferSelect;
export type NewDocument = Pick<typeof documents.$inferInsert, 'tenantId' | 'kind' | 'source'> &
  Partial<Pick<typeof documents.$inferInsert, 'id' | 'sha256' | 'sizeBytes' | 'metadata' | 'status'>>;
export type DocumentStatus = Document['status'];

export class DocumentRepository {
  constructor(private readonly db: Database) {}

  async create(document: NewDocument): Promise<Document> {
    const [row] = await this.db.insert(documents).values(document).returning();
    return row!;
  }

  /** A document of this tenant; another tenant's id reads as absent. */
  async findById(tenantId: string, id: string): Promise<Document | undefined> {
    const [row] = await this.db
      .select()
      .from(documents)
      .where(and(eq(documents.tenantId, tenantId), eq(documents.id, id)));
    return row;
  }

  async setStatus(
    tenantId: string,
    id: string,
    status: DocumentStatus,
    failureReason: string | null = null,
  ): Promise<void> {
    await this.db
      .update(documents)
      .set({ status, failureReason, updatedAt: sql`now()` })
      .where(and(eq(documents.tenantId, tenantId), eq(documents.id, id)));
  }

  /** Stores (or replaces, on a re-run) the extracted text of a document. */
  async upsertText(tenantId: string, documentId: string, text: string): Promise<void> {
    await this.db
      .insert(documentTexts)
      .values({ tenantId, documentId, text, charCount: text.length })
      .onConflictDoUpdate({
        target: documentTexts.documentId,
        set: { text, charCount: text.length },
      });
  }
}
