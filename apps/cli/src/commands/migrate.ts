import type { Command } from 'commander';
import { migrate } from '@shortlist/db';
import { openDatabase } from '../database';
import { runCommand } from '../run-command';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (PostgreSQL from DATABASE_URL, or the embedded database)')
    .option('--data-dir <dir>', 'migrate the embedded database in this data directory instead')
    .action(
      runCommand(async (options: { dataDir?: string }) => {
        const handle = await openDatabase(options.dataDir);
        try {
          const report = await migrate(handle);
          process.stdout.write(
            report.applied === 0
              ? `database is up to date (${report.total} migrations)\n`
              : `applied ${report.applied} of ${report.total} migrations\n`,
          );
        } finally {
          await handle.close();
        }
      }),
    );
}
