import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { queryRows } from '../client';
import { documents, screeningResults, screeningRuns, type ScoreParams } from '../schema';
import type { RankedCandidate } from './rankings';

export type ScreeningRun = typeof screeningRuns.$inferSelect;
export type NewScreeningRun = Pick<
  typeof screeningRuns.$inferInsert,
  'tenantId' | 'postingId' | 'scope' | 'trigger' | 'params' | 'top' | 'semanticModelId' | 'domainModelId'
> & { idempotencyKey?: string };

/** A stored result: a ranked candidate, and the file name its document was uploaded with, when it had one. */
export interface ScreeningResult extends RankedCandidate {
  file: string | null;
}

export interface RunReadiness {
  /** The posting's own document has vectors for both models. */
  postingReady: boolean;
  /** Applicants without vectors for both models (still in the pipeline, or failed). */
  pending: string[];
}

/** Screening runs and their append-only results. */
export class ScreeningRepository {
  constructor(private readonly db: Database) {}

  /**
   * Creates a run, or — when a run with the same idempotency key exists for the posting (a nightly re-score
   * asked twice the same day) — returns that one.
   */
  async createRun(run: NewScreeningRun): Promise<ScreeningRun> {
    const [inserted] = await this.db.insert(screeningRuns).values(run).onConflictDoNothing().returning();
    if (inserted) return inserted;
    const [existing] = await this.db
      .select()
      .from(screeningRuns)
      .where(
        and(
          eq(screeningRuns.tenantId, run.tenantId),
          eq(screeningRuns.postingId, run.postingId),
          eq(screeningRuns.idempotencyKey, run.idempotencyKey ?? ''),
        ),
      );
    if (!existing) throw new Error('screening run neither inserted nor found');
    return existing;
  }

  async findRun(tenantId: string, runId: string): Promise<ScreeningRun | undefined> {
    const [row] = await this.db
      .select()
      .from(screeningRuns)
      .where(and(eq(screeningRuns.tenantId, tenantId), eq(screeningRuns.id, runId)));
    return row;
  }

  async markRunning(tenantId: string, runId: string): Promise<void> {
    await this.db
      .update(screeningRuns)
      .set({ status: 'running', startedAt: sql`coalesce(${screeningRuns.startedAt}, now())` })
      .where(and(eq(screeningRuns.tenantId, tenantId), eq(screeningRuns.id, runId)));
  }

  async failRun(tenantId: string, runId: string, reason: string): Promise<void> {
    await this.db
      .update(screeningRuns)
      .set({ status: 'failed', failureReason: reason, finishedAt: sql`now()` })
      .where(and(eq(screeningRuns.tenantId, tenantId), eq(screeningRuns.id, runId)));
  }

  /** Whether the run's documents have their vectors for the run's models. */
  async readiness(run: ScreeningRun): Promise<RunReadiness> {
    const [posting] = await queryRows<{ ready: boolean }>(
      this.db,
      sql`SELECT (SELECT count(*) FROM embeddings e
                  WHERE e.document_id = p.document_id
                    AND e.model_id IN (${run.semanticModelId}::uuid, ${run.domainModelId}::uuid)) = 2 AS ready
          FROM postings p WHERE p.tenant_id = ${run.tenantId} AND p.id = ${run.postingId}`,
    );
    if (run.scope === 'pool') return { postingReady: posting?.ready ?? false, pending: [] };
    const pending = await queryRows<{ document_id: string }>(
      this.db,
      sql`SELECT a.document_id FROM applicants a
          WHERE a.tenant_id = ${run.tenantId} AND a.posting_id = ${run.postingId}
            AND (SELECT count(*) FROM embeddings e
                 WHERE e.document_id = a.document_id
                   AND e.model_id IN (${run.semanticModelId}::uuid, ${run.domainModelId}::uuid)) < 2
          ORDER BY a.document_id`,
    );
    return { postingReady: posting?.ready ?? false, pending: pending.map((r) => r.document_id) };
  }

  /**
   * Ranks in the database (shortlist_rank_applicants, or shortlist_rank_pool through the HNSW index), appends the
   * results and completes the run, in one transaction. A run already completed is left as it is (a redelivered
   * job appends nothing twice).
   */
  async complete(run: ScreeningRun, pending: string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Before anything is read: an erasure of the tenant's documents in progress is waited for (its documents
      // are then gone from the ranking), and one that comes later waits for these results, to delete them.
      await tx.execute(sql`SELECT shortlist_lock_tenant_results(${run.tenantId}::uuid, false)`);
      const [locked] = await queryRows<{ status: string }>(
        tx,
        sql`SELECT status FROM screening_runs WHERE id = ${run.id} FOR UPDATE`,
      );
      // Gone: its posting (or tenant) was deleted meanwhile; results written now would belong to no run.
      if (!locked || locked.status === 'completed') return;
      const p: ScoreParams = run.params;
      const ranking =
        run.scope === 'pool'
          ? sql`shortlist_rank_pool(${run.postingId}::uuid, ${run.top ?? 50}::int, ${p.threshold}::float8,
                ${p.boost}::float8, ${p.penalty}::float8, ${p.hardGate}::boolean,
                ${run.semanticModelId}::uuid, ${run.domainModelId}::uuid)`
          : sql`shortlist_rank_applicants(${run.postingId}::uuid, ${p.threshold}::float8, ${p.boost}::float8,
                ${p.penalty}::float8, ${p.hardGate}::boolean, ${run.semanticModelId}::uuid,
                ${run.domainModelId}::uuid)`;
      await tx.execute(
        sql`INSERT INTO screening_results
              (run_id, tenant_id, rank, document_id, final, unclipped, semantic, domain, same_domain)
            SELECT ${run.id}::uuid, ${run.tenantId}::uuid, r.rank, r.document_id, r.final, r.unclipped,
                   r.semantic, r.domain, r.same_domain
            FROM ${ranking} r
            WHERE ${run.top ?? null}::int IS NULL OR r.rank <= ${run.top ?? null}::int`,
      );
      await tx
        .update(screeningRuns)
        .set({
          status: 'completed',
          pendingDocumentIds: pending,
          startedAt: sql`coalesce(${screeningRuns.startedAt}, now())`,
          finishedAt: sql`now()`,
        })
        .where(eq(screeningRuns.id, run.id));
    });
  }

  async countResults(tenantId: string, runId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(screeningResults)
      .where(and(eq(screeningResults.tenantId, tenantId), eq(screeningResults.runId, runId)));
    return row!.n;
  }

  /** A page of a run's results in rank order. */
  async listResults(
    tenantId: string,
    runId: string,
    limit: number,
    offset: number,
  ): Promise<ScreeningResult[]> {
    return this.db
      .select({
        rank: screeningResults.rank,
        documentId: screeningResults.documentId,
        final: screeningResults.final,
        unclipped: screeningResults.unclipped,
        semantic: screeningResults.semantic,
        domain: screeningResults.domain,
        sameDomain: screeningResults.sameDomain,
        file: sql<string | null>`${documents.source}->>'filename'`,
      })
      .from(screeningResults)
      .leftJoin(
        documents,
        and(eq(documents.tenantId, screeningResults.tenantId), eq(documents.id, screeningResults.documentId)),
      )
      .where(and(eq(screeningResults.tenantId, tenantId), eq(screeningResults.runId, runId)))
      .orderBy(asc(screeningResults.rank))
      .limit(limit)
      .offset(offset);
  }

  /**
   * For each role, the model a new run of this posting should use: of every registered model, the one with
   * vectors for the most of the posting's documents (its own and its applicants'), the active one on a tie, then
   * the newest. During a model upgrade, runs keep the previous model until the new one covers as much, then
   * switch. Undefined when no model of a role exists.
   */
  async coveringModels(
    tenantId: string,
    postingId: string,
  ): Promise<{ semantic: string; domain: string } | undefined> {
    const rows = await queryRows<{ id: string; role: 'semantic' | 'domain' }>(
      this.db,
      sql`WITH docs AS (
            SELECT p.document_id FROM postings p WHERE p.tenant_id = ${tenantId} AND p.id = ${postingId}
            UNION SELECT a.document_id FROM applicants a WHERE a.tenant_id = ${tenantId} AND a.posting_id = ${postingId}
          ), ranked AS (
            SELECT m.id, m.role,
                   row_number() OVER (PARTITION BY m.role ORDER BY
                     (SELECT count(*) FROM docs JOIN embeddings e ON e.document_id = docs.document_id AND e.model_id = m.id) DESC,
                     m.active DESC, m.created_at DESC) AS n
            FROM models m
          )
          SELECT id, role::text AS role FROM ranked WHERE n = 1`,
    );
    const semantic = rows.find((r) => r.role === 'semantic')?.id;
    const domain = rows.find((r) => r.role === 'domain')?.id;
    return semantic && domain ? { semantic, domain } : undefined;
  }

  /** The runs of one night (idempotency key `nightly:<day>`), by status. */
  async nightStatus(day: string): Promise<Record<ScreeningRun['status'], number>> {
    const rows = await this.db
      .select({ status: screeningRuns.status, n: count() })
      .from(screeningRuns)
      .where(eq(screeningRuns.idempotencyKey, `nightly:${day}`))
      .groupBy(screeningRuns.status);
    const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }
}
