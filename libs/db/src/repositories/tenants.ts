import { eq, inArray } from 'drizzle-orm';
import type { Database } from '../client';
import { tenants } from '../schema';

export type Tenant = typeof tenants.$inferSelect;

export class TenantRepository {
  constructor(private readonly db: Database) {}

  /** The tenant with this name, created if missing (idempotent). */
  async ensure(name: string): Promise<Tenant> {
    await this.db.insert(tenants).values({ name }).onConflictDoNothing({ target: tenants.name });
    const found = await this.findByName(name);
    if (!found) throw new Error(`tenant ${name} vanished right after its creation`);
    return found;
  }

  /** Which of these ids are tenants' ids. */
  async existingIds(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .select({ tenantId: tenants.tenantId })
      .from(tenants)
      .where(inArray(tenants.tenantId, ids));
    return rows.map((r) => r.tenantId);
  }

  async findByName(name: string): Promise<Tenant | undefined> {
    const [row] = await this.db.select().from(tenants).where(eq(tenants.name, name));
    return row;
  }
}
