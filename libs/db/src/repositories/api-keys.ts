import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys } from '../schema';

/** Keys are stored as sha256 only: a leaked database reveals no usable key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class ApiKeyRepository {
  constructor(private readonly db: Database) {}

  /** Issues a new key for the tenant and returns it; this is the only time the key itself exists. */
  async issue(tenantId: string): Promise<{ id: string; key: string }> {
    const key = `sl_${randomBytes(32).toString('base64url')}`;
    const [row] = await this.db
      .insert(apiKeys)
      .values({ tenantId, keyHash: hashApiKey(key), prefix: key.slice(0, 8) })
      .returning({ id: apiKeys.id });
    return { id: row!.id, key };
  }

  /** Which tenant does this key belong to, if it is valid and not revoked? */
  async findTenantOfKey(key: string): Promise<{ tenantId: string; keyId: string } | undefined> {
    const [row] = await this.db
      .select({ tenantId: apiKeys.tenantId, keyId: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, hashApiKey(key)), isNull(apiKeys.revokedAt)));
    return row;
  }
}
