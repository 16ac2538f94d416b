// First: shows a line within moments of start, while the rest loads.
import { clearEarlyNotice } from './early-notice';
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo';
import { registerEmbed } from './commands/embed';
import { registerKeys } from './commands/keys';
import { registerMigrate } from './commands/migrate';
import { registerModels } from './commands/models';
import { registerRescore } from './commands/rescore';
import { registerScreen } from './commands/screen';
import { coerceError, ExitCode } from '@shortlist/config';

const program = new Command('shortlist')
  .description('Screen resumes against job descriptions with sentence-embedding models.')
  .exitOverride()
  // An argument commander refuses (unknown option, missing or invalid value) as one line, like every other problem.
  .configureOutput({
    outputError: (message, write) =>
      write(`shortlist: ${message.replace(/^error: /, '').trimEnd()} (see --help)\n`),
  });

registerMigrate(program);
registerKeys(program);
registerModels(program);
registerScreen(program);
registerEmbed(program);
registerRescore(program);
registerDemo(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and version exit cleanly; argument errors were already printed by commander.
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    return;
  }
  clearEarlyNotice();
  process.stderr.write(`shortlist: unexpected error: ${coerceError(error).message}\n`);
  process.exitCode = ExitCode.internal;
});
