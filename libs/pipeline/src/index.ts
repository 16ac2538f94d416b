export { handleExtract } from './extract-stage';
export { handleEmbed } from './embed-stage';
export { handleRank } from './rank-stage';
export { handleNightly } from './nightly-stage';
export { SCREENING_LIMITS, ScreeningRequestError, createScreeningRun } from './screening-runs';
export { STAGE_HANDLERS } from './stage-handlers';
export type { StageHandler } from './stage-handlers';
export { InProcessRunner } from './in-process-runner';
export type { StageProgress } from './in-process-runner';
export { sweepStaleDocuments } from './sweep';
export { registerEngineModels } from './models';
export { PermanentFailure } from './outcome';
export type { PipelineDependencies } from './dependencies';
export {
  acceptDocument,
  discardStored,
  registerDocuments,
  retryDocument,
  storeBytes,
} from './document-intake';
export type { Accepted, DocumentBytes, IntakeDependencies, StoredBytes } from './document-intake';
export { NOT_THE_DOCUMENTS_FAULT, isRetryableFailure } from './failure-reasons';
export {
  EXTERNAL_ID_LENGTH,
  InvalidIntakeError,
  checkExternalId,
  checkMetadata,
  checkStorable,
  checkText,
} from './intake-checks';
export { dispatchWebhookEvents } from './webhook-stage';

export { splitPassages } from './evidence';
export { explainResults, summariseRun } from './screening-view';
export type { ExplainedResult } from './screening-view';
