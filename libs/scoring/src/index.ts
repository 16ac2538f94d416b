export {
  DEFAULT_PARAMS,
  InvalidScoreParamsError,
  hybridScore,
  rankCandidates,
  resolveParams,
  scoreParamsSchema,
} from './hybrid-score';
export type { Candidate, Ranked, ScoreOverrides, ScoreParams, Scored } from './hybrid-score';
export { toCsv } from './csv';
export type { CsvValue } from './csv';
export {
  CARD_DOMAINS,
  CARD_DOMAIN_SET_ID,
  DOMAIN_KEY,
  InvalidDomainSetError,
  buildDomainSet,
} from './domains';
export type { DomainDefinition } from './domains';
export {
  BORDERLINE_MARGIN,
  REASON_TEXT,
  REVIEW_TOP_SHARE,
  auditCandidates,
  flagsOf,
  gateDecision,
  reasonText,
  reviewCutoff,
} from './explain';
export type { Flag, GateAudit, GateDecision, GatedScore } from './explain';
export { SCREENING_CSV_COLUMNS, screeningCsv } from './screening-csv';
export type { CsvRankedRow, CsvUnrankedRow } from './screening-csv';
