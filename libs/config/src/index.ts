export { loadConfig, loadSections, requireSetting } from './config';
export type { Config } from './config';
export { coerceError, EmptyDocumentError, isUnavailable } from './errors';
export { ExitCode, SetupError, describeFailure, runMain } from './process-exit';
