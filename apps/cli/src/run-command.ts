import { ConfigError } from '@shortlist/config';
import { DatabaseSetupError } from '@shortlist/db';
import { ModelLoadError, ProviderUnavailableError } from '@shortlist/embedding';
import { RedisSetupError } from '@shortlist/queue';
import { ExitCode } from './exit-codes';

/**
 * Runs a command's action: known problems (configuration, unusable services) print as one line and set the
 * documented exit code; anything else is a bug and says so, still on one line unless SHORTLIST_DEBUG asks more.
 */
export function runCommand<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      const [code, message] =
        error instanceof ConfigError
          ? [ExitCode.config, error.message]
          : error instanceof DatabaseSetupError ||
              error instanceof RedisSetupError ||
              error instanceof ModelLoadError ||
              error instanceof ProviderUnavailableError
            ? [ExitCode.unavailable, error.message]
            : [ExitCode.internal, `unexpected error: ${(error as Error).message ?? String(error)}`];
      process.stderr.write(`shortlist: ${message}\n`);
      process.exitCode = code;
    }
  };
}
