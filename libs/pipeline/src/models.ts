import { ModelRepository, type Database } from '@shortlist/db';

interface ManifestLike {
  role: 'semantic' | 'domain';
  name: string;
  sha256: string;
  dims: number;
  maxTokens: number;
}

/**
 * Registers the models an embedding process runs (idempotent, by weights hash) and returns their ids. A role
 * with no active model gets this one; replacing an active model is a deliberate upgrade, never a side effect
 * of starting a worker.
 */
export async function registerEngineModels(
  db: Database,
  models: Record<'semantic' | 'domain', ManifestLike>,
): Promise<{ semantic: string; domain: string }> {
  const repository = new ModelRepository(db);
  const ids = { semantic: '', domain: '' };
  for (const role of ['semantic', 'domain'] as const) {
    const m = models[role];
    const row = await repository.register({
      role,
      name: m.name,
      version: m.sha256.slice(0, 12),
      sha256: m.sha256,
      dims: m.dims,
      maxTokens: m.maxTokens,
    });
    if (!(await repository.findActive(role))) {
      await repository.activate(row.id).catch(async (error: unknown) => {
        // Another process starting at the same time activated its model first (the index allows one active
        // model per role), which is what we wanted; any other failure is one.
        if (!(await repository.findActive(role))) throw error;
      });
    }
    ids[role] = row.id;
  }
  return ids;
}
