import { toCsv, type CsvValue } from './csv';
import type { Flag } from './explain';

/**
 * The one CSV of a screening, written by `shortlist screen --format csv` and `GET /v1/screenings/:id/export.csv`
 * alike: one row per ranked candidate in rank order (`status` = `ranked`), then one per document the run could
 * not rank (`skipped`: never stored, e.g. too large; `failed`: its text could not be read; `pending`: still in the
 * pipeline), with its reason code. 0–100 scores with 2 decimals, cosines with 4; flags separated by spaces.
 */
export const SCREENING_CSV_COLUMNS = [
  'rank',
  'status',
  'file',
  'documentId',
  'final',
  'unclipped',
  'semantic',
  'domain',
  'sameDomain',
  'gateFactor',
  'clipped',
  'flags',
  'domainLabel',
  'domainSimilarity',
  'domainRunnerUp',
  'reason',
  'evidence',
] as const;

export interface CsvRankedRow {
  rank: number;
  documentId: string;
  file?: string | null | undefined;
  final: number;
  unclipped: number;
  semantic: number;
  domain: number;
  sameDomain: boolean;
  gate: { factor: number; clipped: boolean };
  flags: readonly Flag[];
  domainLabel?:
    { label: string; similarity: number; runnerUp: { label: string } | null | undefined } | null | undefined;
  evidence?: readonly { text: string; similarity: number }[] | undefined;
}

export interface CsvUnrankedRow {
  status: 'skipped' | 'failed' | 'pending';
  reason: string;
  file?: string | null | undefined;
  documentId?: string | null | undefined;
}

const score = (n: number) => n.toFixed(2);
const cosine = (n: number) => n.toFixed(4);

export function screeningCsv(
  ranked: readonly CsvRankedRow[],
  unranked: readonly CsvUnrankedRow[] = [],
): string {
  type Row = Record<(typeof SCREENING_CSV_COLUMNS)[number], CsvValue>;
  const rows: Row[] = ranked.map((r) => ({
    rank: r.rank,
    status: 'ranked',
    file: r.file,
    documentId: r.documentId,
    final: score(r.final),
    unclipped: score(r.unclipped),
    semantic: cosine(r.semantic),
    domain: cosine(r.domain),
    sameDomain: r.sameDomain,
    gateFactor: r.gate.factor,
    clipped: r.gate.clipped,
    flags: r.flags.join(' '),
    domainLabel: r.domainLabel?.label,
    domainSimilarity: r.domainLabel ? cosine(r.domainLabel.similarity) : undefined,
    domainRunnerUp: r.domainLabel?.runnerUp?.label,
    reason: undefined,
    evidence: r.evidence?.map((e) => `${cosine(e.similarity)} ${e.text}`).join(' | '),
  }));
  for (const u of unranked) {
    rows.push({
      rank: undefined,
      status: u.status,
      file: u.file,
      documentId: u.documentId,
      final: undefined,
      unclipped: undefined,
      semantic: undefined,
      domain: undefined,
      sameDomain: undefined,
      gateFactor: undefined,
      clipped: undefined,
      flags: undefined,
      domainLabel: undefined,
      domainSimilarity: undefined,
      domainRunnerUp: undefined,
      reason: u.reason,
      evidence: undefined,
    });
  }
  return toCsv(SCREENING_CSV_COLUMNS, rows);
}
