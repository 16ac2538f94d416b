import type { Command } from 'commander';
import { ExitCode, SetupError } from '@shortlist/config';
import { AmbiguousApiKeyError, ApiKeyRepository, TenantRepository, type ApiKeyListing } from '@shortlist/db';
import { openDatabase } from '../database';
import { ArgumentError } from '../arguments';
import { runCommand } from '../run-command';

/** `keys revoke` was given no key, or one that matches several. */
class KeyNotFoundError extends SetupError {
  override readonly name = 'KeyNotFoundError';
  readonly exitCode = ExitCode.failure;
}

/** One line per key: never the key, only its first characters and the start of its hash. */
function formatKeys(keys: ApiKeyListing[]): string {
  const rows = [
    ['id', 'tenant', 'prefix', 'sha256', 'created', 'revoked'],
    ...keys.map((k) => [
      k.id,
      k.tenant,
      `${k.prefix}…`,
      `${k.hashPrefix}…`,
      k.createdAt.toISOString(),
      k.revokedAt?.toISOString() ?? '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

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
  keys
    .command('list')
    .description('list API keys: id, tenant, first characters of the key and of its sha256, created, revoked')
    .option('--tenant <name>', 'only this tenant')
    .action(
      runCommand(async (options: { tenant?: string }) => {
        const handle = await openDatabase(undefined);
        try {
          process.stdout.write(formatKeys(await new ApiKeyRepository(handle.db).list(options.tenant)));
        } finally {
          await handle.close();
        }
      }),
    );
  keys
    .command('revoke')
    .description('revoke an API key, named by its id or the start of its sha256 (as `keys list` shows them)')
    .argument('<key>', 'key id, or at least 8 hex digits of its sha256')
    .action(
      runCommand(async (given: string) => {
        // A key id is a UUID; a sha256 prefix, 8 to 64 hex digits: anything else names no key (exit 64).
        if (!/^([0-9a-f]{8,64}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$/i.test(given))
          throw new ArgumentError(`${given}: give a key id or at least 8 hex digits of its sha256`);
        const handle = await openDatabase(undefined);
        try {
          const revoked = await new ApiKeyRepository(handle.db).revoke(given).catch((error: unknown) => {
            if (error instanceof AmbiguousApiKeyError) throw new KeyNotFoundError(error.message);
            throw error;
          });
          if (!revoked) {
            throw new KeyNotFoundError(
              `no API key with id or sha256 prefix ${given} (\`shortlist keys list\` shows them)`,
            );
          }
          process.stdout.write(
            `revoked ${revoked.id} (tenant ${revoked.tenant}, ${revoked.prefix}…, sha256 ${revoked.hashPrefix}…) ` +
              `at ${revoked.revokedAt!.toISOString()}\n`,
          );
        } finally {
          await handle.close();
        }
      }),
    );
}
