export { handleExtract } from './extract-stage';
export { handleEmbed } from './embed-stage';
export { handleRank } from './rank-stage';
export { sweepStaleDocuments } from './sweep';
export { registerEngineModels } from './models';
export { PermanentFailure, done, skipped } from './outcome';
export type { StageOutcome } from './outcome';
export type { Embedder, Enqueue, PipelineDependencies } from './dependencies';
