// package.json declares `sideEffects: false`: a bundle keeps only the modules it uses, so the extraction child and
// the inference threads import coerceError without loading zod. No module here may act when merely imported.
export { loadConfig, loadSections, requireSetting } from './config';
export type { Config } from './config';
export { coerceError, EmptyDocumentError, isUnavailable } from './errors';
export { ExitCode, SetupError, describeFailure, runMain } from './process-exit';
