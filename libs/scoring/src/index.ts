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
