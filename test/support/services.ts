import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { prepareTemplateDatabase } from './database';

const root = join(__dirname, '..', '..');

/**
 * Makes sure PostgreSQL (pgvector), Redis and the S3 server are up — the same script as `npm run services`, which
 * respects DATABASE_URL, REDIS_URL and S3_ENDPOINT already set — puts their environment into process.env, and
 * builds the migrated template database that test (and benchmark) databases clone.
 */
export async function ensureServices(): Promise<void> {
  const exports = execFileSync('bash', [join(root, 'infra', 'local', 'services.sh'), '--quiet'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of exports.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) process.env[match[1]!] = match[2]!;
  }
  process.env.SHORTLIST_TEST_TEMPLATE_DB = await prepareTemplateDatabase(process.env.DATABASE_URL!);
}
