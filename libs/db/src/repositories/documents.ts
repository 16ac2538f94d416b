import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { queryRows, type Database } from '../client';
import { postgresError } from '../errors';
import { documentDomains, documents, documentTexts, type DocumentSource } from '../schema';
import { documentDomainColumns, documentDomainOf, type DocumentDomain } from './domains';
import { afterKey, keysetTime, pageOf, type Page, type PageRequest } from './keyset';

export type Document = typeof documents.$inferSelect;
export type NewDocument = Pick<typeof documents.$inferInsert, 'tenantId' | 'kind' | 'source'> &
  Partial<
    Pick<typeof documents.$inferInsert, 'id' | 'sha256' | 'sizeBytes' | 'metadata' | 'status' | 'externalId'>
  >;
export type DocumentStatus = Document['status'];

/** Filters of the tenant's document list (all optional, combined with AND). */
export interface DocumentListFilter {
  kind?: Document['kind'];
  /** The document's status (a duplicate's is its original's). */
  status?: DocumentStatus;
  /** A key of the tenant's domain set (a duplicate has its original's label). */
  domain?: string;
  /** Created strictly after this instant (ISO 8601). */
  createdAfter?: string;
  externalId?: string;
}

/** A document as lists show it. */
export interface DocumentListItem {
  id: string;
  kind: Document['kind'];
  status: DocumentStatus;
  failureReason: string | null;
  duplicateOf: string | null;
  /** The file name of an upload. */
  file: string | null;
  /** The S3 object a document registered by reference was read from. */
  reference: { bucket: string; key: string } | null;
  externalId: string | null;
  domainLabel: DocumentDomain | undefined;
  createdAt: Date;
}

/** A document as its owner sees it: a duplicate shows its original's progress. */
export interface DocumentView {
  id: string;
  kind: Document['kind'];
  status: DocumentStatus;
  failureReason: string | null;
  duplicateOf: string | null;
  sha256: string | null;
  sizeBytes: number | null;
  /** Tokens embedded (specials included). */
  tokens: number | null;
  /** Whether the text had more tokens than were embedded; null until embedded. */
  truncated: boolean | null;
  source: Document['source'];
  metadata: Document['metadata'];
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Statuses a stage may still move a document out of; the sweeper re-enqueues rows left in them. */
const EXTRACT_PENDING: DocumentStatus[] = ['queued', 'extracting'];
const EMBED_PENDING: DocumentStatus[] = ['extracted', 'embedding'];

/** What a listed document was accepted as: its file name, or the S3 object it was registered by. */
export function namedSource(source: DocumentSource): {
  file: string | null;
  reference: { bucket: string; key: string } | null;
} {
  return {
    file: source.filename ?? null,
    reference:
      source.type === 's3' && source.bucket && source.key ? { bucket: source.bucket, key: source.key } : null,
  };
}

export class DocumentRepository {
  constructor(private readonly db: Database) {}

  async create(document: NewDocument): Promise<Document> {
    const [row] = await this.db.insert(documents).values(document).returning();
    return row!;
  }

  /** Many documents in one statement (batch registrations of up to 10,000). */
  async createMany(rows: NewDocument[]): Promise<Document[]> {
    if (rows.length === 0) return [];
    const created: Document[] = [];
    // PostgreSQL allows 65,535 bind parameters per statement; ~8 per row.
    for (let i = 0; i < rows.length; i += 5000) {
      created.push(
        ...(await this.db
          .insert(documents)
          .values(rows.slice(i, i + 5000))
          .returning()),
      );
    }
    return created;
  }

  /**
   * Inserts a document whose content hash is known, or — when the tenant already has an original of its kind with
   * the same bytes — a duplicate that links to it. Race-free: two uploads of the same bytes at once make one original.
   */
  async createOrLinkDuplicate(
    document: NewDocument & { sha256: string },
  ): Promise<{ document: Document; original: Document | undefined }> {
    for (;;) {
      const original = await this.findOriginalBySha256(document.tenantId, document.kind, document.sha256);
      if (!original) {
        const [inserted] = await this.db
          .insert(documents)
          .values(document)
          .onConflictDoNothing({
            target: [documents.tenantId, documents.kind, documents.sha256],
            where: sql`${documents.duplicateOf} IS NULL AND ${documents.sha256} IS NOT NULL`,
          })
          .returning();
        if (inserted) return { document: inserted, original: undefined };
        continue; // another upload of these bytes became the original meanwhile: link to it
      }
      try {
        const [duplicate] = await this.db
          .insert(documents)
          .values({ ...document, status: original.status, duplicateOf: original.id })
          .returning();
        return { document: duplicate!, original };
      } catch (error) {
        // The original was erased between the read and the insert: these bytes have no original now.
        if (postgresError(error)?.constraint !== 'documents_duplicate_of_fk') throw error;
      }
    }
  }

  /** How many of the tenant's documents wait to be read (queued originals). */
  async countWaiting(tenantId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(documents)
      .where(
        and(eq(documents.tenantId, tenantId), eq(documents.status, 'queued'), isNull(documents.duplicateOf)),
      );
    return row?.n ?? 0;
  }

  /** The tenant's original of this kind with these bytes: the same bytes as another kind are another document. */
  async findOriginalBySha256(
    tenantId: string,
    kind: Document['kind'],
    sha256: string,
  ): Promise<Document | undefined> {
    const [row] = await this.db
      .select()
      .from(documents)
      .where(
        and(
          eq(documents.tenantId, tenantId),
          eq(documents.kind, kind),
          eq(documents.sha256, sha256),
          isNull(documents.duplicateOf),
        ),
      );
    return row;
  }

  /** A document of this tenant; another tenant's id reads as absent. */
  async findById(tenantId: string, id: string): Promise<Document | undefined> {
    const [row] = await this.db
      .select()
      .from(documents)
      .where(and(eq(documents.tenantId, tenantId), eq(documents.id, id)));
    return row;
  }

  /**
   * A page of the tenant's documents in (created_at, id) order, each with its stored domain label; filtered by
   * kind, status, domain label, creation time and external id. A duplicate shows, and is filtered by, its
   * original's status, failure and label.
   */
  async list(tenantId: string, filter: DocumentListFilter & PageRequest): Promise<Page<DocumentListItem>> {
    // The page is cut first, from documents alone (with the original and the label only when a filter needs
    // them), then joined for display: the joins see at most a page of rows whatever the planner guesses lies
    // after the cursor (a row comparison it estimates poorly), so a deep page never hashes a whole table.
    const original = alias(documents, 'original');
    const label = alias(documentDomains, 'label');
    let cut = this.db
      .select({
        id: documents.id,
        kind: documents.kind,
        status: documents.status,
        failureReason: documents.failureReason,
        duplicateOf: documents.duplicateOf,
        source: documents.source,
        externalId: documents.externalId,
        createdAt: documents.createdAt,
      })
      .from(documents)
      .$dynamic();
    if (filter.status) {
      cut = cut.leftJoin(
        original,
        and(eq(original.tenantId, documents.tenantId), eq(original.id, documents.duplicateOf)),
      );
    }
    if (filter.domain) {
      cut = cut.innerJoin(
        label,
        and(
          eq(label.documentId, sql`coalesce(${documents.duplicateOf}, ${documents.id})`),
          eq(label.label, filter.domain),
        ),
      );
    }
    const page = cut
      .where(
        and(
          eq(documents.tenantId, tenantId),
          filter.kind ? eq(documents.kind, filter.kind) : undefined,
          filter.status
            ? sql`coalesce(${original.status}, ${documents.status}) = ${filter.status}`
            : undefined,
          filter.externalId !== undefined ? eq(documents.externalId, filter.externalId) : undefined,
          filter.createdAfter ? sql`${documents.createdAt} > ${filter.createdAfter}::timestamptz` : undefined,
          afterKey(documents.createdAt, documents.id, filter.after),
        ),
      )
      .orderBy(documents.createdAt, documents.id)
      .limit(filter.limit + 1)
      .as('page');
    const rows = await this.db
      .select({
        id: page.id,
        kind: page.kind,
        status: sql<DocumentStatus>`coalesce(${original.status}, ${page.status})`,
        failureReason: sql<string | null>`coalesce(${original.failureReason}, ${page.failureReason})`,
        duplicateOf: page.duplicateOf,
        source: page.source,
        externalId: page.externalId,
        createdAt: page.createdAt,
        key: keysetTime(page.createdAt),
        ...documentDomainColumns,
      })
      .from(page)
      .leftJoin(original, and(eq(original.tenantId, tenantId), eq(original.id, page.duplicateOf)))
      .leftJoin(
        documentDomains,
        eq(documentDomains.documentId, sql`coalesce(${page.duplicateOf}, ${page.id})`),
      )
      .orderBy(page.createdAt, page.id);
    return pageOf(
      rows,
      filter.limit,
      (row) => ({ createdAt: row.key, id: row.id }),
      ({ key: _, source, label, similarity, runner_up, runner_up_similarity, ...document }) => ({
        ...document,
        ...namedSource(source),
        domainLabel: documentDomainOf({ label, similarity, runner_up, runner_up_similarity }),
      }),
    );
  }

  /** The owner's view of a document; a duplicate reports its original's status, failure and token count. */
  async describe(tenantId: string, id: string): Promise<DocumentView | undefined> {
    const original = alias(documents, 'original');
    const [row] = await this.db
      .select({
        id: documents.id,
        kind: documents.kind,
        status: sql<DocumentStatus>`coalesce(${original.status}, ${documents.status})`,
        failureReason: sql<string | null>`coalesce(${original.failureReason}, ${documents.failureReason})`,
        duplicateOf: documents.duplicateOf,
        sha256: documents.sha256,
        sizeBytes: documents.sizeBytes,
        tokens: sql<number | null>`coalesce(${original.tokenCount}, ${documents.tokenCount})`,
        truncated: sql<boolean | null>`coalesce(${original.embedTruncated}, ${documents.embedTruncated})`,
        source: documents.source,
        metadata: documents.metadata,
        externalId: documents.externalId,
        createdAt: documents.createdAt,
        updatedAt: documents.updatedAt,
      })
      .from(documents)
      .leftJoin(
        original,
        and(eq(original.tenantId, documents.tenantId), eq(original.id, documents.duplicateOf)),
      )
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

  /**
   * Records the content hash of a document registered by reference (known only once its bytes are read). If the
   * tenant already has an original of its kind with these bytes, the document becomes its duplicate instead;
   * returns that original's id, or undefined when this document is the original.
   */
  async recordContent(
    { tenantId, id, kind }: Pick<Document, 'tenantId' | 'id' | 'kind'>,
    sha256: string,
    sizeBytes: number,
  ): Promise<string | undefined> {
    const existing = await this.findOriginalBySha256(tenantId, kind, sha256);
    if (existing && existing.id !== id) {
      await this.linkDuplicate(tenantId, id, existing, sha256, sizeBytes);
      return existing.id;
    }
    try {
      await this.db
        .update(documents)
        .set({ sha256, sizeBytes, updatedAt: sql`now()` })
        .where(and(eq(documents.tenantId, tenantId), eq(documents.id, id)));
      return undefined;
    } catch (error) {
      // Another document with the same bytes became the original between our read and write.
      const original = await this.findOriginalBySha256(tenantId, kind, sha256);
      if (!original || original.id === id) throw error;
      await this.linkDuplicate(tenantId, id, original, sha256, sizeBytes);
      return original.id;
    }
  }

  private async linkDuplicate(
    tenantId: string,
    id: string,
    original: Document,
    sha256: string,
    sizeBytes: number,
  ): Promise<void> {
    await this.db
      .update(documents)
      .set({ sha256, sizeBytes, duplicateOf: original.id, status: original.status, updatedAt: sql`now()` })
      .where(and(eq(documents.tenantId, tenantId), eq(documents.id, id)));
  }

  /**
   * Puts a failed document back to `queued` when it failed for one of `reasons` (reasons that are not the
   * document's fault); returns the row, or undefined when it is not failed for one of them (then nothing changed).
   */
  async requeueFailed(
    tenantId: string,
    id: string,
    reasons: readonly string[],
  ): Promise<Document | undefined> {
    const [row] = await this.db
      .update(documents)
      .set({ status: 'queued', failureReason: null, updatedAt: sql`now()` })
      .where(
        and(
          eq(documents.tenantId, tenantId),
          eq(documents.id, id),
          eq(documents.status, 'failed'),
          inArray(documents.failureReason, [...reasons]),
        ),
      )
      .returning();
    return row;
  }

  /** Stores the extracted text and moves the document to `extracted`, atomically. */
  async saveText(tenantId: string, documentId: string, text: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx
        .insert(documentTexts)
        .values({ tenantId, documentId, text, charCount: text.length })
        .onConflictDoUpdate({
          target: documentTexts.documentId,
          set: { text, charCount: text.length },
        });
      await tx
        .update(documents)
        .set({ status: 'extracted', failureReason: null, updatedAt: sql`now()` })
        .where(and(eq(documents.tenantId, tenantId), eq(documents.id, documentId)));
    });
  }

  async findText(tenantId: string, documentId: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ text: documentTexts.text })
      .from(documentTexts)
      .where(and(eq(documentTexts.tenantId, tenantId), eq(documentTexts.documentId, documentId)));
    return row?.text;
  }

  /** A document and its duplicates (the rows erase() takes with it), or none when there is no such document. */
  async withCopies(tenantId: string, id: string): Promise<Document[]> {
    return this.db
      .select()
      .from(documents)
      .where(and(eq(documents.tenantId, tenantId), or(eq(documents.id, id), eq(documents.duplicateOf, id))));
  }

  /**
   * Erases a document and everything derived from it (text, vectors, applications, results and its duplicates,
   * by cascade). Returns the erased rows; the caller deletes their stored objects first (withCopies), so that an
   * object store that fails leaves the rows, and the erasure can be asked for again.
   */
  async erase(tenantId: string, id: string): Promise<Document[]> {
    return this.db.transaction(async (tx) => {
      const copies = await tx
        .select()
        .from(documents)
        .where(and(eq(documents.tenantId, tenantId), eq(documents.duplicateOf, id)));
      const erased = await tx
        .delete(documents)
        .where(and(eq(documents.tenantId, tenantId), eq(documents.id, id)))
        .returning();
      return erased.length ? [...erased, ...copies] : [];
    });
  }

  /** Erases rows an intake created and then had to take back (a later step of the same request failed). */
  async eraseMany(tenantId: string, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 5000) {
      await this.db
        .delete(documents)
        .where(and(eq(documents.tenantId, tenantId), inArray(documents.id, ids.slice(i, i + 5000))));
    }
  }

  /**
   * Documents whose stage has not moved for `olderThanSeconds`: left behind by a crash between a commit and its
   * enqueue, or by a job that ran out of retries while a service was down. Oldest first.
   */
  async findStale(
    olderThanSeconds: number,
    limit: number,
  ): Promise<{ tenantId: string; id: string; kind: Document['kind']; stage: 'extract' | 'embed' }[]> {
    const rows = await this.db
      .select({
        tenantId: documents.tenantId,
        id: documents.id,
        kind: documents.kind,
        status: documents.status,
      })
      .from(documents)
      .where(
        and(
          inArray(documents.status, [...EXTRACT_PENDING, ...EMBED_PENDING]),
          isNull(documents.duplicateOf),
          lt(documents.updatedAt, sql`now() - make_interval(secs => ${olderThanSeconds})`),
        ),
      )
      .orderBy(documents.updatedAt)
      .limit(limit);
    return rows.map((r) => ({
      tenantId: r.tenantId,
      id: r.id,
      kind: r.kind,
      stage: EXTRACT_PENDING.includes(r.status) ? 'extract' : 'embed',
    }));
  }

  /** Touches rows so the sweeper does not pick them again at once. */
  async touch(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(documents)
      .set({ updatedAt: sql`now()` })
      .where(inArray(documents.id, ids));
  }

  /** Documents by status over all tenants (for /metrics). */
  async countByStatus(): Promise<Record<DocumentStatus, number>> {
    const rows = await this.db
      .select({ status: documents.status, count: sql<number>`count(*)::int` })
      .from(documents)
      .groupBy(documents.status);
    const counts = { queued: 0, extracting: 0, extracted: 0, embedding: 0, ready: 0, failed: 0 };
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }

  /** Documents that became ready in the last `seconds`, and their tokens (embedding throughput, all tenants). */
  async readyInLast(seconds: number): Promise<{ documents: number; tokens: number }> {
    const [row] = await this.db
      .select({
        documents: sql<number>`count(*)::int`,
        tokens: sql<number>`coalesce(sum(${documents.tokenCount}), 0)::bigint`,
      })
      .from(documents)
      .where(
        and(
          eq(documents.status, 'ready'),
          isNull(documents.duplicateOf),
          sql`${documents.updatedAt} > now() - make_interval(secs => ${seconds})`,
        ),
      );
    return { documents: row!.documents, tokens: Number(row!.tokens) };
  }

  /**
   * Ready originals that lack a vector of any of these models (after a model upgrade, or vectors lost), in id
   * order after `afterId`: the nightly sweep pages through them and enqueues their embedding.
   */
  async findMissingVectors(
    modelIds: string[],
    afterId: string | undefined,
    limit: number,
  ): Promise<{ tenantId: string; id: string; kind: Document['kind'] }[]> {
    return queryRows<{ tenantId: string; id: string; kind: Document['kind'] }>(
      this.db,
      sql`SELECT d.tenant_id AS "tenantId", d.id, d.kind FROM documents d
          WHERE d.status = 'ready' AND d.duplicate_of IS NULL
            AND d.id > ${afterId ?? '00000000-0000-0000-0000-000000000000'}::uuid
            AND (SELECT count(*) FROM embeddings e WHERE e.document_id = d.id AND e.model_id IN ${modelIds})
                < ${modelIds.length}
          ORDER BY d.id LIMIT ${limit}`,
    );
  }
}
