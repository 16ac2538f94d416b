import type { JobName, JobPayload } from '@shortlist/queue';
import type { PipelineDependencies } from './dependencies';
import { handleClassify } from './domain-classification';
import { handleEmbed } from './embed-stage';
import { handleExtract } from './extract-stage';
import { handleNightly, handleNightlyReport } from './nightly-stage';
import type { StageOutcome } from './outcome';
import { handleRank } from './rank-stage';
import { handleWebhook } from './webhook-stage';

export type StageHandler<N extends JobName> = (
  payload: JobPayload<N>,
  deps: PipelineDependencies,
) => Promise<StageOutcome>;

/**
 * Each job of the catalogue and its one handler, for every transport (the BullMQ worker, the in-process runner).
 * The mapped type makes a job without a handler, or a handler without a job, a compile error.
 */
export const STAGE_HANDLERS: { [N in JobName]: StageHandler<N> } = {
  extract: handleExtract,
  embed: handleEmbed,
  rank: handleRank,
  nightly: handleNightly,
  nightlyReport: handleNightlyReport,
  classify: handleClassify,
  webhook: handleWebhook,
};
