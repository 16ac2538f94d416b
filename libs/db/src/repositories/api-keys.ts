import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys } from '../schema';

export class ApiKeyRepository {
  constructor(private readonly db: Database) {}

  /** Stores a key by its hash only; the caller shows the key itself once. */
  async create(tenantId: string, keyHash: string, prefix: string): Promise<{ id: string }> {
    const [row] = await this.db
      .insert(apiKeys)
      .values({ tenantId, keyHash, prefix })
      .returning({ id: apiKeys.id });
    return row!;
  }

  /** Which tenant does this (hashed) key belong to, if it is valid and not revoked? */
  async findTenantOfKey(keyHash: string): Promise<{ tenantId: string; keyId: string } | undefined> {
    const [row] = await this.db
      .select({ tenantId: apiKeys.tenantId, keyId: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)));
    return row;
  }
}
