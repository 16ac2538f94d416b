import type { Command } from 'commander';
import { ApiKeyRepository, TenantRepository } from '@shortlist/db';
import { openDatabase } from '../database';
import { runCommand } from '../run-command';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys');
  keys
    .command('create')
    .description('create an API key for a tenant (created if new); the key is printed once, as the last line')
    .requiredOption('--tenant <name>', 'tenant name')
    .action(
      runCommand(async (options: { tenant: string }) => {
        const handle = await openDatabase(undefined);
        try {
          const tenant = await new TenantRepository(handle.db).ensure(options.tenant);
          const { key } = await new ApiKeyRepository(handle.db).issue(tenant.tenantId);
          process.stderr.write(
            `API key for tenant ${tenant.name} (${tenant.tenantId}); it is not stored, keep it:\n`,
          );
          process.stdout.write(`${key}\n`);
        } finally {
          await handle.close();
        }
      }),
    );
}
