import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { models } from '../schema';

export type Model = typeof models.$inferSelect;
export type ModelRole = Model['role'];
export type NewModel = Pick<Model, 'role' | 'name' | 'version' | 'sha256' | 'dims' | 'maxTokens'>;

export class ModelRepository {
  constructor(private readonly db: Database) {}

  /**
   * Registers a model (idempotent on role + weights hash) and makes sure its HNSW index exists, so every
   * similarity query on its vectors is indexed from the first vector on.
   */
  async register(model: NewModel): Promise<Model> {
    return this.db.transaction(async (tx) => {
      await tx
        .insert(models)
        .values(model)
        .onConflictDoNothing({ target: [models.role, models.sha256] });
      const [row] = await tx
        .select()
        .from(models)
        .where(and(eq(models.role, model.role), eq(models.sha256, model.sha256)));
      await tx.execute(sql`SELECT shortlist_ensure_model_index(${row!.id})`);
      return row!;
    });
  }

  /** Makes this model the one new vectors are made with for its role. */
  async activate(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [model] = await tx.select({ role: models.role }).from(models).where(eq(models.id, id));
      if (!model) throw new Error(`unknown model ${id}`);
      await tx
        .update(models)
        .set({ active: false })
        .where(and(eq(models.role, model.role), eq(models.active, true)));
      await tx.update(models).set({ active: true }).where(eq(models.id, id));
    });
  }

  async findActive(role: ModelRole): Promise<Model | undefined> {
    const [row] = await this.db
      .select()
      .from(models)
      .where(and(eq(models.role, role), eq(models.active, true)));
    return row;
  }

  async findById(id: string): Promise<Model | undefined> {
    const [row] = await this.db.select().from(models).where(eq(models.id, id));
    return row;
  }
}
