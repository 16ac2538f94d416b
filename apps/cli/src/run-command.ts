import { printableLines } from './printable';
import { describeFailure } from '@shortlist/config';
import { clearEarlyNotice } from './early-notice';

/**
 * Runs a command's action: known problems (configuration, unusable services) print as one line and set the
 * documented exit code; anything else is a bug and says so, still on one line.
 */
export function runCommand<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      const { code, message } = describeFailure(error);
      clearEarlyNotice();
      process.stderr.write(`shortlist: ${printableLines(message)}\n`);
      process.exitCode = code;
    }
  };
}
