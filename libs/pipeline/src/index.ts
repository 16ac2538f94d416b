export { handleExtract } from './extract-stage';
export { handleEmbed } from './embed-stage';
export { handleRank } from './rank-stage';
export { handleNightly, handleNightlyReport } from './nightly-stage';
export { ScreeningRequestError, createScreeningRun } from './screening-runs';
export { STAGE_HANDLERS } from './stage-handlers';
export type { StageHandler } from './stage-handlers';
export { InProcessRunner } from './in-process-runner';
export type { StageProgress } from './in-process-runner';
export type { ScreeningRequest } from './screening-runs';
export { sweepStaleDocuments } from './sweep';
export { registerEngineModels } from './models';
export { PermanentFailure, done, skipped } from './outcome';
export type { StageOutcome } from './outcome';
export type { Embedder, Enqueue, PipelineDependencies } from './dependencies';
export { classifyDocuments, ensurePrototypes, handleClassify } from './domain-classification';
export {
  acceptDocument,
  discardStored,
  registerDocuments,
  retryDocument,
  storeBytes,
} from './document-intake';
export type {
  Accepted,
  DocumentBytes,
  DocumentReference,
  IntakeDependencies,
  StoredBytes,
} from './document-intake';
export { NOT_THE_DOCUMENTS_FAULT, isRetryableFailure } from './failure-reasons';
export {
  EXTERNAL_ID_LENGTH,
  InvalidIntakeError,
  METADATA_LIMITS,
  checkExternalId,
  checkMetadata,
  checkText,
  textProblem,
} from './intake-checks';
export { dispatchWebhookEvents } from './webhook-stage';
export type { WebhookDelivery } from './webhook-stage';

export { EVIDENCE_PASSAGES, addEvidence, bestPassages, splitPassages } from './evidence';
export { explainResults, summariseRun } from './screening-view';
export type { ExplainedResult, RunSummary } from './screening-view';
