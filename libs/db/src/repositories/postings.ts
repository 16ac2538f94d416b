import type { Database } from '../client';
import { applicants, postings } from '../schema';

export type Posting = typeof postings.$inferSelect;
export type NewPosting = Pick<typeof postings.$inferInsert, 'tenantId' | 'documentId' | 'title'> &
  Partial<Pick<typeof postings.$inferInsert, 'params' | 'status'>>;

export class PostingRepository {
  constructor(private readonly db: Database) {}

  async create(posting: NewPosting): Promise<Posting> {
    const [row] = await this.db.insert(postings).values(posting).returning();
    return row!;
  }

  /** Adds applicants; adding one twice is a no-op. */
  async addApplicants(tenantId: string, postingId: string, documentIds: string[]): Promise<void> {
    if (documentIds.length === 0) return;
    await this.db
      .insert(applicants)
      .values(documentIds.map((documentId) => ({ tenantId, postingId, documentId })))
      .onConflictDoNothing();
  }
}
