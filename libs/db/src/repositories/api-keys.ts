import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull, like, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { apiKeys, tenants } from '../schema';

/** Keys are stored as sha256 only: a leaked database reveals no usable key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A key as listings show it: never the key, only its first characters and the start of its hash. */
export interface ApiKeyListing {
  id: string;
  tenant: string;
  /** The key's first 8 characters (`sl_` and 5 more). */
  prefix: string;
  /** The first 12 hex digits of the key's sha256. */
  hashPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** More than one key matches what `keys revoke` was given. */
export class AmbiguousApiKeyError extends Error {
  override readonly name = 'AmbiguousApiKeyError';
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

  /** Every key (of one tenant, by name, if given), oldest first. */
  list(tenantName?: string): Promise<ApiKeyListing[]> {
    return this.listing(this.db, tenantName === undefined ? undefined : eq(tenants.name, tenantName));
  }

  /**
   * Revokes the key with this id, or whose hash starts with these hex digits (at least 8; listings show 12).
   * Undefined when none matches; revoking a revoked key keeps its first revocation time.
   */
  async revoke(idOrHashPrefix: string): Promise<ApiKeyListing | undefined> {
    const given = idOrHashPrefix.toLowerCase();
    const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(given);
    if (!isId && !/^[0-9a-f]{8,64}$/.test(given)) return undefined;
    return this.db.transaction(async (tx) => {
      const matches = await tx
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(isId ? eq(apiKeys.id, given) : like(apiKeys.keyHash, `${given}%`));
      if (matches.length > 1) {
        throw new AmbiguousApiKeyError(
          `${matches.length} keys have a hash starting ${given}: give more digits`,
        );
      }
      const match = matches[0];
      if (!match) return undefined;
      await tx
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
        .where(eq(apiKeys.id, match.id));
      const [row] = await this.listing(tx, eq(apiKeys.id, match.id));
      return row;
    });
  }

  private listing(db: Pick<Database, 'select'>, where: SQL | undefined): Promise<ApiKeyListing[]> {
    return db
      .select({
        id: apiKeys.id,
        tenant: tenants.name,
        prefix: apiKeys.prefix,
        hashPrefix: sql<string>`left(${apiKeys.keyHash}, 12)`,
        createdAt: apiKeys.createdAt,
        revokedAt: apiKeys.revokedAt,
      })
      .from(apiKeys)
      .innerJoin(tenants, eq(tenants.tenantId, apiKeys.tenantId))
      .where(where)
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  }
}
