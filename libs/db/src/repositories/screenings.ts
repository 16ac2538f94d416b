import { and, asc, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { queryRows } from '../client';
import type { GateAudit } from '@shortlist/scoring';
import {
  documentDomains,
  documentStatus,
  documents,
  screeningEvidence,
  screeningResults,
  screeningRuns,
  type EvidencePassage,
} from '../schema';
import { documentDomainColumns, documentDomainOf, type DocumentDomain } from './domains';
import { afterKey, keysetTime, pageOf, type Page, type PageRequest } from './keyset';
import type { RankedCandidate } from './rankings';

export type ScreeningRun = typeof screeningRuns.$inferSelect;
export type NewScreeningRun = Pick<
  typeof screeningRuns.$inferInsert,
  'tenantId' | 'postingId' | 'scope' | 'trigger' | 'params' | 'top' | 'semanticModelId' | 'domainModelId'
> & { idempotencyKey?: string; domains?: string[] | null; evidenceTop?: number };

/**
 * A stored result: a ranked candidate, the file name its document was uploaded with (when it had one), and its
 * stored domain label (when it has been classified). `domain` stays the cosine of the two domain vectors (the
 * public contract); the label is `domainLabel`.
 */
export interface ScreeningResult extends RankedCandidate {
  file: string | null;
  domainLabel: DocumentDomain | undefined;
}

/** Statuses of a document the pipeline has not finished with, or failed on. */
const UNREADY = documentStatus.enumValues.filter((status) => status !== 'ready');

/** What an attempt to complete a run did. */
export type CompletedRun =
  /** Ranked and stored; `pending` lists the applicants that had no vectors for the run's models (not ranked). */
  | { status: 'completed'; pending: string[]; audit: GateAudit }
  /** Nothing stored: `pending` documents are still in the pipeline and the run was asked to wait for them. */
  | { status: 'waiting'; pending: number }
  /** Nothing stored: the posting's own document lacks vectors for the run's models. */
  | { status: 'posting_not_ready' }
  /** Nothing stored: the run was completed meanwhile, or deleted with its posting or tenant. */
  | { status: 'gone' };

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

  /** A page of a posting's runs in the order they were created (created_at, then id): oldest first. */
  async listRuns(tenantId: string, postingId: string, page: PageRequest): Promise<Page<ScreeningRun>> {
    const rows = await this.db
      .select({ run: screeningRuns, key: keysetTime(screeningRuns.createdAt) })
      .from(screeningRuns)
      .where(
        and(
          eq(screeningRuns.tenantId, tenantId),
          eq(screeningRuns.postingId, postingId),
          afterKey(screeningRuns.createdAt, screeningRuns.id, page.after),
        ),
      )
      .orderBy(screeningRuns.createdAt, screeningRuns.id)
      .limit(page.limit + 1);
    return pageOf(
      rows,
      page.limit,
      (row) => ({ createdAt: row.key, id: row.run.id }),
      (row) => row.run,
    );
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

  /**
   * Ranks in the database (shortlist_rank_applicants, or shortlist_rank_pool through the HNSW index), appends the
   * results and completes the run, in one transaction. The ranking is also the readiness check. A document the
   * run cannot rank (an applicant without vectors for both of the run's models; for a pool run, a resume of the
   * tenant that is not `ready`) is listed in the run's `pendingDocumentIds` — or, while such a document is still
   * in the pipeline and `waitForPending` is set, nothing is stored and the run waits. Failed documents are never
   * waited for. Applicants are counted in the statement that ranks them, so that none can become ready unseen
   * between a check and the ranking. A run already completed is left as it is (a redelivered job appends nothing
   * twice).
   */
  async complete(run: ScreeningRun, { waitForPending }: { waitForPending: boolean }): Promise<CompletedRun> {
    return this.db.transaction(async (tx): Promise<CompletedRun> => {
      // Before anything is read: an erasure of the tenant's documents in progress is waited for (its documents
      // are then gone from the ranking), and one that comes later waits for these results, to delete them.
      await tx.execute(sql`SELECT shortlist_lock_tenant_results(${run.tenantId}::uuid, false)`);
      const [locked] = await queryRows<{ status: string }>(
        tx,
        sql`SELECT status FROM screening_runs WHERE id = ${run.id} FOR UPDATE`,
      );
      // Gone: its posting (or tenant) was deleted meanwhile; results written now would belong to no run.
      if (!locked || locked.status === 'completed') return { status: 'gone' };
      const [posting] = await queryRows<{ ready: boolean }>(
        tx,
        sql`SELECT (SELECT count(*) FROM embeddings e
                    WHERE e.document_id = p.document_id
                      AND e.model_id IN (${run.semanticModelId}::uuid, ${run.domainModelId}::uuid)) = 2 AS ready
            FROM postings p WHERE p.tenant_id = ${run.tenantId} AND p.id = ${run.postingId}`,
      );
      if (!posting?.ready) return { status: 'posting_not_ready' };
      const { pending, inPipeline, audit } =
        run.scope === 'pool'
          ? await storePoolRanking(tx, run, waitForPending)
          : await storeApplicantsRanking(tx, run, waitForPending);
      // Both stored nothing in that case.
      if (waitForPending && inPipeline > 0) return { status: 'waiting', pending: inPipeline };
      await tx
        .update(screeningRuns)
        .set({
          status: 'completed',
          pendingDocumentIds: pending,
          audit,
          startedAt: sql`coalesce(${screeningRuns.startedAt}, now())`,
          finishedAt: sql`now()`,
        })
        .where(eq(screeningRuns.id, run.id));
      return { status: 'completed', pending, audit };
    });
  }

  async countResults(tenantId: string, runId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(screeningResults)
      .where(and(eq(screeningResults.tenantId, tenantId), eq(screeningResults.runId, runId)));
    return row!.n;
  }

  /** A page of a run's results in rank order, with each candidate's stored domain label. */
  async listResults(
    tenantId: string,
    runId: string,
    limit: number,
    offset: number,
  ): Promise<ScreeningResult[]> {
    const rows = await this.db
      .select({
        rank: screeningResults.rank,
        documentId: screeningResults.documentId,
        final: screeningResults.final,
        unclipped: screeningResults.unclipped,
        semantic: screeningResults.semantic,
        domain: screeningResults.domain,
        sameDomain: screeningResults.sameDomain,
        file: sql<string | null>`${documents.source}->>'filename'`,
        ...documentDomainColumns,
      })
      .from(screeningResults)
      .leftJoin(
        documents,
        and(eq(documents.tenantId, screeningResults.tenantId), eq(documents.id, screeningResults.documentId)),
      )
      .leftJoin(documentDomains, eq(documentDomains.documentId, screeningResults.documentId))
      .where(and(eq(screeningResults.tenantId, tenantId), eq(screeningResults.runId, runId)))
      .orderBy(asc(screeningResults.rank))
      .limit(limit)
      .offset(offset);
    return rows.map(({ label, similarity, runner_up, runner_up_similarity, ...result }) => ({
      ...result,
      domainLabel: documentDomainOf({ label, similarity, runner_up, runner_up_similarity }),
    }));
  }

  /**
   * Stores evidence of a run's results, quoted against `quotedWith` (the posting's document and the semantic
   * model; undefined when nothing could be quoted); a row already there is kept (a redelivered job writes nothing
   * twice).
   */
  async saveEvidence(
    run: Pick<ScreeningRun, 'id' | 'tenantId'>,
    rows: { documentId: string; passages: EvidencePassage[] }[],
    quotedWith?: { postingDocumentId: string; modelId: string },
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insert(screeningEvidence)
      .values(rows.map((r) => ({ runId: run.id, tenantId: run.tenantId, ...r, ...quotedWith })))
      .onConflictDoNothing();
  }

  /**
   * Evidence an earlier run already quoted for these documents against the same posting document and model (the
   * newest of each), by document id: the same passages and similarities a new computation would find.
   */
  async findQuotedEvidence(
    tenantId: string,
    quotedWith: { postingDocumentId: string; modelId: string },
    documentIds: string[],
  ): Promise<Map<string, EvidencePassage[]>> {
    if (documentIds.length === 0) return new Map();
    const rows = await this.db
      .selectDistinctOn([screeningEvidence.documentId], {
        documentId: screeningEvidence.documentId,
        passages: screeningEvidence.passages,
      })
      .from(screeningEvidence)
      .where(
        and(
          eq(screeningEvidence.tenantId, tenantId),
          inArray(screeningEvidence.documentId, documentIds),
          eq(screeningEvidence.postingDocumentId, quotedWith.postingDocumentId),
          eq(screeningEvidence.modelId, quotedWith.modelId),
        ),
      )
      .orderBy(screeningEvidence.documentId, desc(screeningEvidence.createdAt));
    return new Map(rows.map((r) => [r.documentId, r.passages]));
  }

  /** The run's results within its first `top` ranks that have no evidence yet. */
  async resultsLackingEvidence(
    run: Pick<ScreeningRun, 'id' | 'tenantId'>,
    top: number,
  ): Promise<{ rank: number; documentId: string }[]> {
    return queryRows<{ rank: number; documentId: string }>(
      this.db,
      sql`SELECT r.rank, r.document_id AS "documentId" FROM screening_results r
          WHERE r.tenant_id = ${run.tenantId} AND r.run_id = ${run.id} AND r.rank <= ${top}
            AND NOT EXISTS (SELECT 1 FROM screening_evidence e
                            WHERE e.run_id = r.run_id AND e.document_id = r.document_id)
          ORDER BY r.rank`,
    );
  }

  /** How many of a run's results have evidence stored. */
  async countEvidence(tenantId: string, runId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(screeningEvidence)
      .where(and(eq(screeningEvidence.tenantId, tenantId), eq(screeningEvidence.runId, runId)));
    return row!.n;
  }

  /** Evidence of these documents in a run, by document id. */
  async findEvidence(
    tenantId: string,
    runId: string,
    documentIds: string[],
  ): Promise<Map<string, EvidencePassage[]>> {
    if (documentIds.length === 0) return new Map();
    const rows = await this.db
      .select({ documentId: screeningEvidence.documentId, passages: screeningEvidence.passages })
      .from(screeningEvidence)
      .where(
        and(
          eq(screeningEvidence.tenantId, tenantId),
          eq(screeningEvidence.runId, runId),
          inArray(screeningEvidence.documentId, documentIds),
        ),
      );
    return new Map(rows.map((r) => [r.documentId, r.passages]));
  }

  /**
   * The run's documents that failed in the pipeline (with their reason), apart from those still in it: of its
   * `pendingDocumentIds` (documents it could not rank), those whose status is `failed`.
   */
  async unrankedDocuments(run: Pick<ScreeningRun, 'tenantId' | 'pendingDocumentIds'>): Promise<{
    failed: { documentId: string; failureReason: string; file: string | null }[];
    pending: { documentId: string; file: string | null }[];
  }> {
    if (run.pendingDocumentIds.length === 0) return { failed: [], pending: [] };
    const rows = await this.db
      .select({
        documentId: documents.id,
        status: documents.status,
        failureReason: documents.failureReason,
        file: sql<string | null>`${documents.source}->>'filename'`,
      })
      .from(documents)
      .where(and(eq(documents.tenantId, run.tenantId), inArray(documents.id, run.pendingDocumentIds)));
    const byId = new Map(rows.map((r) => [r.documentId, r]));
    const failed = [];
    const pending = [];
    // In the run's order; a document erased since is simply no longer listed.
    for (const id of run.pendingDocumentIds) {
      const row = byId.get(id);
      if (!row) continue;
      if (row.status === 'failed')
        failed.push({ documentId: id, failureReason: row.failureReason ?? 'failed', file: row.file });
      else pending.push({ documentId: id, file: row.file });
    }
    return { failed, pending };
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

/** What a ranking left out: the documents it could not rank, and how many of them are still in the pipeline. */
interface LeftOut {
  pending: string[];
  inPipeline: number;
  audit: GateAudit;
}

/** The audit's columns, as one row of the statement that ranks (`considered`: every candidate scored). */
interface AuditRow {
  candidates: number;
  boosted: number;
  penalised: number;
  removed_by_gate: number;
  borderline: number;
  review: number;
  review_cutoff: number | null;
}

/**
 * A CTE body counting what the gate did to every candidate of `considered` (scored, before the hard gate and the
 * top N): the same as libs/scoring's auditCandidates (BORDERLINE_MARGIN 0.05, top decile = percentile_cont(0.9)).
 */
function auditOf(run: ScreeningRun): SQL {
  const p = run.params;
  return sql`SELECT count(*)::int AS candidates,
                    count(*) FILTER (WHERE c.same_domain)::int AS boosted,
                    count(*) FILTER (WHERE NOT c.same_domain AND NOT ${p.hardGate}::boolean)::int AS penalised,
                    count(*) FILTER (WHERE NOT c.same_domain AND ${p.hardGate}::boolean)::int AS removed_by_gate,
                    count(*) FILTER (WHERE abs(c.domain - ${p.threshold}::float8) <= 0.05 + 1e-9)::int AS borderline,
                    count(*) FILTER (WHERE NOT c.same_domain
                                       AND c.semantic >= (SELECT q.cutoff FROM cutoff q))::int AS review,
                    (SELECT q.cutoff FROM cutoff q) AS review_cutoff
             FROM considered c`;
}

const CUTOFF = sql`SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY c.semantic) AS cutoff FROM considered c`;

const NO_CANDIDATES: AuditRow = {
  candidates: 0,
  boosted: 0,
  penalised: 0,
  removed_by_gate: 0,
  borderline: 0,
  review: 0,
  review_cutoff: null,
};

const auditFrom = (row: AuditRow): GateAudit => ({
  candidates: row.candidates,
  boosted: row.boosted,
  penalised: row.penalised,
  removedByGate: row.removed_by_gate,
  borderline: row.borderline,
  review: row.review,
  reviewCutoff: row.review_cutoff,
});

/** Whether a document's stored domain label is one of these (a run restricted to domains). */
function inDomains(domains: string[], documentId: SQL): SQL {
  return sql`EXISTS (SELECT 1 FROM document_domains dd WHERE dd.document_id = ${documentId}
                       AND dd.label = ANY(${sql`ARRAY[${sql.join(
                         domains.map((d) => sql`${d}`),
                         sql`, `,
                       )}]::text[]`}))`;
}

/** Appends a ranking's rows (`rank, document_id, final, unclipped, semantic, domain, same_domain`) to a run. */
function appendResults(run: ScreeningRun, ranking: SQL, where: SQL = sql`true`): SQL {
  return sql`INSERT INTO screening_results
               (run_id, tenant_id, rank, document_id, final, unclipped, semantic, domain, same_domain)
             SELECT ${run.id}::uuid, ${run.tenantId}::uuid, r.rank, r.document_id, r.final, r.unclipped,
                    r.semantic, r.domain, r.same_domain
             FROM ${ranking} r WHERE ${where}`;
}

/**
 * The pool's top k through the HNSW index. The resumes it cannot return yet are read before it is searched: one
 * that becomes ready meanwhile is listed and may be ranked as well, never left out unlisted.
 */
async function storePoolRanking(
  tx: Pick<Database, 'execute'>,
  run: ScreeningRun,
  waitForPending: boolean,
): Promise<LeftOut> {
  const [unready] = await queryRows<{ pending: string[] | null; in_pipeline: number }>(
    tx,
    sql`SELECT array_agg(d.id ORDER BY d.id) AS pending,
               count(*) FILTER (WHERE d.status <> 'failed')::int AS in_pipeline
        FROM documents d
        WHERE d.tenant_id = ${run.tenantId} AND d.kind = 'resume' AND d.duplicate_of IS NULL
          AND d.status IN (${sql.join(
            UNREADY.map((status) => sql`${status}::document_status`),
            sql`, `,
          )})`,
  );
  const leftOut = { pending: unready!.pending ?? [], inPipeline: unready!.in_pipeline };
  if (waitForPending && leftOut.inPipeline > 0) return { ...leftOut, audit: auditFrom(NO_CANDIDATES) };
  const p = run.params;
  const k = run.top ?? 50;
  // Every candidate the function scores (the gate off, so that its removals can be counted), then the gate, the
  // domains and the top k here: the same results as the function with its own gate.
  const candidates = Math.max(k * 2, 100);
  const [row] = await queryRows<AuditRow>(
    tx,
    sql`WITH considered AS MATERIALIZED (
          SELECT g.* FROM shortlist_rank_pool(${run.postingId}::uuid, ${candidates}::int, ${p.threshold}::float8,
            ${p.boost}::float8, ${p.penalty}::float8, false, ${run.semanticModelId}::uuid,
            ${run.domainModelId}::uuid, ${candidates}::int) g
          WHERE ${run.domains ? inDomains(run.domains, sql`g.document_id`) : sql`true`}
        ), cutoff AS (${CUTOFF}), stored AS (
          ${appendResults(
            run,
            sql`(SELECT row_number() OVER (ORDER BY g.rank) AS rank, g.document_id, g.final, g.unclipped,
                        g.semantic, g.domain, g.same_domain
                 FROM considered g WHERE g.same_domain OR NOT ${p.hardGate}::boolean)`,
            sql`r.rank <= ${k}::int`,
          )}
        )
        ${auditOf(run)}`,
  );
  return { ...leftOut, audit: auditFrom(row!) };
}

/**
 * Every applicant with both vectors, ranked exactly, in one statement with the count of those it lacks (so that
 * none can become ready unseen between a check and the ranking). The hard gate is applied after that count,
 * renumbering the ranks it leaves.
 */
async function storeApplicantsRanking(
  tx: Pick<Database, 'execute'>,
  run: ScreeningRun,
  waitForPending: boolean,
): Promise<LeftOut> {
  const p = run.params;
  const top = run.top ?? null;
  const [leftOut] = await queryRows<{ pending: string[] | null; in_pipeline: number } & AuditRow>(
    tx,
    sql`WITH ranked AS MATERIALIZED (
          SELECT * FROM shortlist_rank_applicants(${run.postingId}::uuid, ${p.threshold}::float8,
            ${p.boost}::float8, ${p.penalty}::float8, false, ${run.semanticModelId}::uuid,
            ${run.domainModelId}::uuid)
        ), missing AS MATERIALIZED (
          SELECT a.document_id, d.status FROM applicants a
          JOIN documents d ON d.tenant_id = a.tenant_id AND d.id = a.document_id
          WHERE a.tenant_id = ${run.tenantId} AND a.posting_id = ${run.postingId}
            -- Looked for only when the ranking lacks some.
            AND (SELECT count(*) FROM ranked) < (SELECT count(*) FROM applicants c
                 WHERE c.tenant_id = ${run.tenantId} AND c.posting_id = ${run.postingId})
            AND NOT EXISTS (SELECT 1 FROM ranked r WHERE r.document_id = a.document_id)
        ), in_pipeline AS (
          SELECT count(*)::int AS n FROM missing m WHERE m.status <> 'failed'
        ), considered AS MATERIALIZED (
          SELECT g.* FROM ranked g
          WHERE ${run.domains ? inDomains(run.domains, sql`g.document_id`) : sql`true`}
        ), cutoff AS (${CUTOFF}), audit AS (${auditOf(run)}), stored AS (
          ${appendResults(
            run,
            sql`(SELECT row_number() OVER (ORDER BY g.rank) AS rank, g.document_id, g.final, g.unclipped,
                        g.semantic, g.domain, g.same_domain
                 FROM considered g WHERE g.same_domain OR NOT ${p.hardGate}::boolean)`,
            sql`(${top}::int IS NULL OR r.rank <= ${top}::int)
                AND NOT (${waitForPending}::boolean AND (SELECT i.n FROM in_pipeline i) > 0)`,
          )}
        )
        SELECT (SELECT array_agg(m.document_id ORDER BY m.document_id) FROM missing m) AS pending,
               (SELECT i.n FROM in_pipeline i) AS in_pipeline, a.*
        FROM audit a`,
  );
  return {
    pending: leftOut!.pending ?? [],
    inPipeline: leftOut!.in_pipeline,
    audit: auditFrom(leftOut!),
  };
}
