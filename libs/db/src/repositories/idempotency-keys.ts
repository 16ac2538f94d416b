import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { idempotencyKeys } from '../schema';

/** How long a key is remembered. */
const KEPT = sql`interval '24 hours'`;
/** A first request still unfinished after this is taken as lost (its process died): the key is free again. */
const ABANDONED = sql`interval '5 minutes'`;

export type IdempotentRequest =
  | { state: 'first' }
  | { state: 'mismatch' }
  | { state: 'in_progress' }
  | { state: 'done'; statusCode: number; body: string; contentType: string | null };

/** The answers of POSTs made with an `Idempotency-Key`, per tenant, for 24 hours. */
export class IdempotencyKeyRepository {
  constructor(private readonly db: Database) {}

  /**
   * Claims `key` for a request with this fingerprint: `first` when this request is the one to handle it (the key
   * was new, expired, or abandoned by a process that died), else what became of the request that has it.
   */
  async claim(tenantId: string, key: string, fingerprint: string): Promise<IdempotentRequest> {
    const mine = and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key));
    await this.db
      .delete(idempotencyKeys)
      .where(
        and(
          mine,
          or(
            lt(idempotencyKeys.createdAt, sql`now() - ${KEPT}`),
            and(
              isNull(idempotencyKeys.completedAt),
              lt(idempotencyKeys.createdAt, sql`now() - ${ABANDONED}`),
            ),
          ),
        ),
      );
    const inserted = await this.db
      .insert(idempotencyKeys)
      .values({ tenantId, key, fingerprint })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) return { state: 'first' };
    const [row] = await this.db.select().from(idempotencyKeys).where(mine);
    if (!row) return this.claim(tenantId, key, fingerprint); // deleted in between: claim it again
    if (row.fingerprint !== fingerprint) return { state: 'mismatch' };
    if (row.statusCode === null || row.responseBody === null) return { state: 'in_progress' };
    return {
      state: 'done',
      statusCode: row.statusCode,
      body: row.responseBody,
      contentType: row.contentType,
    };
  }

  /** Keeps the answer of the request that claimed `key`. */
  async complete(
    tenantId: string,
    key: string,
    statusCode: number,
    body: string,
    contentType: string | null,
  ) {
    await this.db
      .update(idempotencyKeys)
      .set({ statusCode, responseBody: body, contentType, completedAt: sql`now()` })
      .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)));
  }

  /**
   * Rewrites, with `rewrite`, the kept answers of the tenant that name any of `ids` (documents being erased, whose
   * file names and external ids an answer echoes); returns how many. Rewritten, not deleted: a retry with the key
   * still gets an answer instead of running its request again.
   */
  async rewriteAnswersNaming(
    tenantId: string,
    ids: string[],
    rewrite: (body: string) => string,
  ): Promise<number> {
    if (ids.length === 0) return 0;
    const patterns = ids.map((id) => sql`${`%${id}%`}`);
    const rows = await this.db
      .select({ key: idempotencyKeys.key, body: idempotencyKeys.responseBody })
      .from(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.tenantId, tenantId),
          sql`${idempotencyKeys.responseBody} LIKE ANY (ARRAY[${sql.join(patterns, sql`, `)}])`,
        ),
      );
    for (const { key, body } of rows) {
      await this.db
        .update(idempotencyKeys)
        .set({ responseBody: rewrite(body!) })
        .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)));
    }
    return rows.length;
  }

  /** Frees `key` (the request failed on the server's side: a retry should run it again). */
  async release(tenantId: string, key: string): Promise<void> {
    await this.db
      .delete(idempotencyKeys)
      .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)));
  }

  /** Forgets keys older than 24 hours (the nightly job calls it); returns how many. */
  async removeExpired(): Promise<number> {
    const rows = await this.db
      .delete(idempotencyKeys)
      .where(lt(idempotencyKeys.createdAt, sql`now() - ${KEPT}`))
      .returning({ key: idempotencyKeys.key });
    return rows.length;
  }
}
