export { ConfigError, loadConfig, requireSetting, exitOnConfigError } from './config';
export type { Config } from './config';
