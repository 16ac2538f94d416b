import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSections, requireSetting } from '@shortlist/config';
import { openPglite, openPostgres, type DatabaseHandle } from '@shortlist/db';

/** The embedded database under a data directory (`--data-dir`), else the PostgreSQL of DATABASE_URL. */
export async function openDatabase(dataDir: string | undefined): Promise<DatabaseHandle> {
  if (dataDir !== undefined) {
    await mkdir(dataDir, { recursive: true });
    return openPglite(join(dataDir, 'db'));
  }
  const config = loadSections(['database']);
  return openPostgres(requireSetting(config.database.url, 'DATABASE_URL'));
}
