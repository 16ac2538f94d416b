import { and, count, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { applicants, documents, postings } from '../schema';

export type Posting = typeof postings.$inferSelect;
export type NewPosting = Pick<typeof postings.$inferInsert, 'tenantId' | 'documentId' | 'title'> &
  Partial<Pick<typeof postings.$inferInsert, 'params' | 'status'>>;

export class PostingRepository {
  constructor(private readonly db: Database) {}

  async create(posting: NewPosting): Promise<Posting> {
    const [row] = await this.db.insert(postings).values(posting).returning();
    return row!;
  }

  async findById(tenantId: string, id: string): Promise<Posting | undefined> {
    const [row] = await this.db
      .select()
      .from(postings)
      .where(and(eq(postings.tenantId, tenantId), eq(postings.id, id)));
    return row;
  }

  async countApplicants(tenantId: string, postingId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(applicants)
      .where(and(eq(applicants.tenantId, tenantId), eq(applicants.postingId, postingId)));
    return row!.n;
  }

  /**
   * Adds applicants; adding one twice is a no-op. A duplicate upload applies as its original (whose vectors
   * it shares). Ids that are not the tenant's resumes are refused as a whole: returns them, adding nothing.
   */
  async addApplicants(
    tenantId: string,
    postingId: string,
    documentIds: string[],
  ): Promise<{ missing: string[]; notResumes: string[]; added: number }> {
    if (documentIds.length === 0) return { missing: [], notResumes: [], added: 0 };
    const unique = [...new Set(documentIds)];
    const found = await this.db
      .select({
        id: documents.id,
        original: sql<string>`coalesce(${documents.duplicateOf}, ${documents.id})`,
        kind: documents.kind,
      })
      .from(documents)
      .where(and(eq(documents.tenantId, tenantId), inArray(documents.id, unique)));
    const known = new Map(found.map((d) => [d.id, d.original]));
    const missing = unique.filter((id) => !known.has(id));
    if (missing.length > 0) return { missing, notResumes: [], added: 0 };
    // A posting's document among the applicants would rank against itself: none is added.
    const notResumes = found.filter((d) => d.kind !== 'resume').map((d) => d.id);
    if (notResumes.length > 0) return { missing: [], notResumes, added: 0 };
    const inserted = await this.db
      .insert(applicants)
      .values([...new Set(known.values())].map((documentId) => ({ tenantId, postingId, documentId })))
      .onConflictDoNothing()
      .returning({ documentId: applicants.documentId });
    return { missing: [], notResumes: [], added: inserted.length };
  }

  /** Open postings with at least one applicant, over all tenants, in id order after `afterId` (nightly). */
  async findOpenWithApplicants(afterId: string | undefined, limit: number): Promise<Posting[]> {
    return this.db
      .select()
      .from(postings)
      .where(
        and(
          eq(postings.status, 'open'),
          sql`${postings.id} > ${afterId ?? '00000000-0000-0000-0000-000000000000'}::uuid`,
          sql`EXISTS (SELECT 1 FROM applicants a WHERE a.posting_id = ${postings.id})`,
        ),
      )
      .orderBy(postings.id)
      .limit(limit);
  }

  /** The posting made from this document (the embedded mode keeps one posting per job description file). */
  async findByDocument(tenantId: string, documentId: string): Promise<Posting | undefined> {
    const [row] = await this.db
      .select()
      .from(postings)
      .where(and(eq(postings.tenantId, tenantId), eq(postings.documentId, documentId)))
      .orderBy(postings.createdAt)
      .limit(1);
    return row;
  }

  /** Makes the posting's applicants exactly these documents (a folder screened again: files come and go). */
  async setApplicants(tenantId: string, postingId: string, documentIds: string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .delete(applicants)
        .where(
          and(
            eq(applicants.tenantId, tenantId),
            eq(applicants.postingId, postingId),
            ...(documentIds.length ? [notInArray(applicants.documentId, documentIds)] : []),
          ),
        );
      if (documentIds.length) {
        await tx
          .insert(applicants)
          .values(documentIds.map((documentId) => ({ tenantId, postingId, documentId })))
          .onConflictDoNothing();
      }
    });
  }
}
