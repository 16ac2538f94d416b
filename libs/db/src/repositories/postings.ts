import { and, count, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { applicants, documentDomains, documents, postings } from '../schema';
import { namedSource } from './documents';
import { documentDomainColumns, documentDomainOf, type DocumentDomain } from './domains';
import { afterKey, keysetTime, pageOf, type Page, type PageRequest } from './keyset';

export type Posting = typeof postings.$inferSelect;
export type NewPosting = Pick<typeof postings.$inferInsert, 'tenantId' | 'documentId' | 'title'> &
  Partial<Pick<typeof postings.$inferInsert, 'params' | 'status'>>;

/** An applicant of a posting as its list shows it: the document's progress and the names the client gave it. */
export interface ApplicantListItem {
  documentId: string;
  status: (typeof documents.$inferSelect)['status'];
  failureReason: string | null;
  /** The file name of an upload. */
  file: string | null;
  /** The S3 object a document registered by reference was read from. */
  reference: { bucket: string; key: string } | null;
  externalId: string | null;
  domainLabel: DocumentDomain | undefined;
  /** When the document was added to the posting. */
  addedAt: Date;
}

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

  /** A page of the tenant's postings in (created_at, id) order, optionally of one status. */
  async list(tenantId: string, filter: { status?: Posting['status'] } & PageRequest): Promise<Page<Posting>> {
    const rows = await this.db
      .select({ posting: postings, key: keysetTime(postings.createdAt) })
      .from(postings)
      .where(
        and(
          eq(postings.tenantId, tenantId),
          filter.status ? eq(postings.status, filter.status) : undefined,
          afterKey(postings.createdAt, postings.id, filter.after),
        ),
      )
      .orderBy(postings.createdAt, postings.id)
      .limit(filter.limit + 1);
    return pageOf(
      rows,
      filter.limit,
      (row) => ({ createdAt: row.key, id: row.posting.id }),
      (row) => row.posting,
    );
  }

  /** A page of a posting's applicants in the order they were added (created_at, then document id). */
  async listApplicants(
    tenantId: string,
    postingId: string,
    page: PageRequest,
  ): Promise<Page<ApplicantListItem>> {
    // The page is cut from applicants alone, then joined: the joins see at most a page of rows (see
    // DocumentRepository.list).
    const cut = this.db
      .select({ documentId: applicants.documentId, addedAt: applicants.createdAt })
      .from(applicants)
      .where(
        and(
          eq(applicants.tenantId, tenantId),
          eq(applicants.postingId, postingId),
          afterKey(applicants.createdAt, applicants.documentId, page.after),
        ),
      )
      .orderBy(applicants.createdAt, applicants.documentId)
      .limit(page.limit + 1)
      .as('page');
    const rows = await this.db
      .select({
        documentId: cut.documentId,
        status: documents.status,
        failureReason: documents.failureReason,
        source: documents.source,
        externalId: documents.externalId,
        addedAt: cut.addedAt,
        key: keysetTime(cut.addedAt),
        ...documentDomainColumns,
      })
      .from(cut)
      .innerJoin(documents, and(eq(documents.tenantId, tenantId), eq(documents.id, cut.documentId)))
      .leftJoin(documentDomains, eq(documentDomains.documentId, cut.documentId))
      .orderBy(cut.addedAt, cut.documentId);
    return pageOf(
      rows,
      page.limit,
      (row) => ({ createdAt: row.key, id: row.documentId }),
      ({ key: _, source, label, similarity, runner_up, runner_up_similarity, ...applicant }) => ({
        ...applicant,
        ...namedSource(source),
        domainLabel: documentDomainOf({ label, similarity, runner_up, runner_up_similarity }),
      }),
    );
  }

  /**
   * Removes a document from a posting's applicants (a duplicate's id removes its original, which is what was
   * added). Answers what happened: removed, or why not (no such document of the tenant, or not an applicant).
   */
  async removeApplicant(
    tenantId: string,
    postingId: string,
    documentId: string,
  ): Promise<'removed' | 'no_document' | 'not_applicant'> {
    const [document] = await this.db
      .select({ original: sql<string>`coalesce(${documents.duplicateOf}, ${documents.id})` })
      .from(documents)
      .where(and(eq(documents.tenantId, tenantId), eq(documents.id, documentId)));
    if (!document) return 'no_document';
    const removed = await this.db
      .delete(applicants)
      .where(
        and(
          eq(applicants.tenantId, tenantId),
          eq(applicants.postingId, postingId),
          eq(applicants.documentId, document.original),
        ),
      )
      .returning({ documentId: applicants.documentId });
    return removed.length > 0 ? 'removed' : 'not_applicant';
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
