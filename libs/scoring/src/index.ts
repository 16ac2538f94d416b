export { InvalidScoreParamsError, rankCandidates, resolveParams, scoreParamsSchema } from './hybrid-score';
export type { ScoreOverrides, ScoreParams } from './hybrid-score';
export { CARD_DOMAINS, CARD_DOMAIN_SET_ID, InvalidDomainSetError, buildDomainSet } from './domains';
export { auditCandidates, flagsOf, gateDecision, reasonText } from './explain';
export type { Flag, GateAudit, GateDecision } from './explain';
export { screeningCsv } from './screening-csv';
