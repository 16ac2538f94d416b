import {
  ModelRepository,
  ScreeningRepository,
  type Database,
  type EvidencePassage,
  type ScreeningResult,
  type ScreeningRun,
} from '@shortlist/db';
import { flagsOf, gateDecision, type Flag, type GateAudit, type GateDecision } from '@shortlist/scoring';

/** A stored result with why it ranks there: the gate's decision, its flags and (top N only) its evidence. */
export interface ExplainedResult extends ScreeningResult {
  gate: GateDecision;
  flags: Flag[];
  evidence?: EvidencePassage[];
}

/** What a run's readers (the API, `shortlist screen`) show beside its results. */
export interface RunSummary {
  models: { semantic: string | null; domain: string | null };
  /** The models' names (e.g. `0xnbk/nbk-ats-semantic-v1-en`), beside their ids. */
  modelNames: { semantic: string | null; domain: string | null };
  /**
   * Evidence of the run's best results: `none` (not asked for), `pending` (the ranking is stored; the rank stage
   * is still quoting passages), `complete`.
   */
  evidence: 'none' | 'pending' | 'complete';
  /** What the gate did over every candidate the run scored; null for runs that predate the audit. */
  audit: GateAudit | null;
  /** Documents the run could not rank because they failed in the pipeline, with why. */
  failed: { documentId: string; failureReason: string; file: string | null }[];
  /** Documents still in the pipeline when the run completed. */
  pending: { documentId: string; file: string | null }[];
}

/** Results with the gate's decision and flags worked out from the run's parameters and audit, and evidence. */
export async function explainResults(
  db: Database,
  run: ScreeningRun,
  results: ScreeningResult[],
): Promise<ExplainedResult[]> {
  const evidence =
    run.evidenceTop > 0
      ? await new ScreeningRepository(db).findEvidence(
          run.tenantId,
          run.id,
          results.filter((r) => r.rank <= run.evidenceTop).map((r) => r.documentId),
        )
      : new Map<string, EvidencePassage[]>();
  const cutoff = run.audit?.reviewCutoff ?? null;
  return results.map((r) => {
    const passages = evidence.get(r.documentId);
    return {
      ...r,
      gate: gateDecision(r, run.params),
      flags: flagsOf(r, run.params, cutoff),
      ...(passages ? { evidence: passages } : {}),
    };
  });
}

/** The models (ids and names), the audit, and the documents left out (failed apart from pending). */
export async function summariseRun(db: Database, run: ScreeningRun): Promise<RunSummary> {
  const models = new ModelRepository(db);
  const nameOf = async (id: string | null) => (id ? ((await models.findById(id))?.name ?? null) : null);
  const screenings = new ScreeningRepository(db);
  const [semantic, domain, unranked, evidence] = await Promise.all([
    nameOf(run.semanticModelId),
    nameOf(run.domainModelId),
    screenings.unrankedDocuments(run),
    evidenceStatus(screenings, run),
  ]);
  return {
    models: { semantic: run.semanticModelId, domain: run.domainModelId },
    modelNames: { semantic, domain },
    evidence,
    audit: run.audit,
    ...unranked,
  };
}

async function evidenceStatus(
  screenings: ScreeningRepository,
  run: ScreeningRun,
): Promise<RunSummary['evidence']> {
  if (run.evidenceTop <= 0 || run.status === 'failed') return 'none';
  if (run.status !== 'completed') return 'pending';
  const [stored, results] = await Promise.all([
    screenings.countEvidence(run.tenantId, run.id),
    screenings.countResults(run.tenantId, run.id),
  ]);
  return stored >= Math.min(run.evidenceTop, results) ? 'complete' : 'pending';
}
