export { ConfigError, loadConfig, requireSetting } from './config';
export type { Config } from './config';
export { ExitCode, SetupError, describeFailure, runMain } from './process-exit';
