import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { queryRows } from '../client';
import { CARD_DOMAIN_SET_ID as CARD_SET_ID } from '@shortlist/scoring';
import { documentDomains, domainLabels, domainPrototypes, domainSets } from '../schema';

export interface DomainLabel {
  key: string;
  name: string;
  description: string;
}

export interface DomainSet {
  id: string;
  /** Absent for the card's built-in set. */
  tenantId: string | null;
  name: string;
  active: boolean;
  createdAt: Date;
  domains: DomainLabel[];
}

/** A document's stored domain: the nearest label of its tenant's set, and the runner-up. */
export interface DocumentDomain {
  label: string;
  similarity: number;
  runnerUp: { label: string; similarity: number } | null;
}

/** Domain sets, their prototypes (descriptions embedded by a domain model), and documents' stored domains. */
export class DomainRepository {
  constructor(private readonly db: Database) {}

  /** Writes the card's labels as this code knows them (idempotent): new descriptions make new prototypes. */
  async syncCardLabels(domains: readonly DomainLabel[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.delete(domainLabels).where(
        and(
          eq(domainLabels.setId, CARD_SET_ID),
          sql`${domainLabels.key} <> ALL(${sql`ARRAY[${sql.join(
            domains.map((d) => sql`${d.key}`),
            sql`, `,
          )}]::text[]`})`,
        ),
      );
      await tx
        .insert(domainLabels)
        .values(domains.map((d, position) => ({ setId: CARD_SET_ID, ...d, position })))
        .onConflictDoUpdate({
          target: [domainLabels.setId, domainLabels.key],
          set: {
            name: sql`excluded.name`,
            description: sql`excluded.description`,
            position: sql`excluded.position`,
          },
        });
    });
  }

  /** The set a tenant's documents are classified into: its active one, else the card's. */
  async activeSetId(tenantId: string): Promise<string> {
    const [row] = await queryRows<{ id: string }>(
      this.db,
      sql`SELECT shortlist_domain_set(${tenantId}::uuid) AS id`,
    );
    return row!.id;
  }

  /** The labels of a set whose prototype for this model is missing or was made of another description. */
  async labelsLackingPrototypes(setId: string, modelId: string): Promise<DomainLabel[]> {
    return queryRows<DomainLabel>(
      this.db,
      sql`SELECT l.key, l.name, l.description FROM domain_labels l
          LEFT JOIN domain_prototypes p ON p.set_id = l.set_id AND p.key = l.key AND p.model_id = ${modelId}::uuid
          WHERE l.set_id = ${setId}::uuid AND (p.key IS NULL OR p.description <> l.description)
          ORDER BY l.position`,
    );
  }

  async savePrototypes(
    setId: string,
    modelId: string,
    prototypes: { key: string; description: string; embedding: number[] }[],
  ): Promise<void> {
    if (prototypes.length === 0) return;
    await this.db
      .insert(domainPrototypes)
      .values(prototypes.map((p) => ({ setId, modelId, ...p })))
      .onConflictDoUpdate({
        target: [domainPrototypes.setId, domainPrototypes.modelId, domainPrototypes.key],
        set: {
          description: sql`excluded.description`,
          embedding: sql`excluded.embedding`,
          createdAt: sql`now()`,
        },
      });
  }

  /**
   * Classifies a tenant's documents (these, or all that have a vector of the model) into the set, from their
   * vectors of this domain model, and stores the label and runner-up (one row per document, rewritten).
   * Returns how many were classified; 0 when the set has no prototypes for the model yet.
   */
  async classifyDocuments(
    tenantId: string,
    setId: string,
    modelId: string,
    documentIds?: string[],
  ): Promise<number> {
    const only = documentIds
      ? sql`AND e.document_id = ANY(${sql`ARRAY[${sql.join(
          documentIds.map((id) => sql`${id}`),
          sql`, `,
        )}]::uuid[]`})`
      : sql``;
    const rows = await queryRows<{ n: number }>(
      this.db,
      sql`WITH classified AS (
            INSERT INTO document_domains AS dd
              (document_id, tenant_id, set_id, model_id, label, similarity, runner_up, runner_up_similarity)
            SELECT e.document_id, e.tenant_id, ${setId}::uuid, e.model_id, c.label, c.similarity, c.runner_up,
                   c.runner_up_similarity
            FROM embeddings e
            CROSS JOIN LATERAL shortlist_nearest_domains(e.embedding, ${setId}::uuid, e.model_id) c
            WHERE e.tenant_id = ${tenantId}::uuid AND e.model_id = ${modelId}::uuid ${only}
            ON CONFLICT (document_id) DO UPDATE SET
              set_id = excluded.set_id, model_id = excluded.model_id, label = excluded.label,
              similarity = excluded.similarity, runner_up = excluded.runner_up,
              runner_up_similarity = excluded.runner_up_similarity, classified_at = now()
            RETURNING 1
          ) SELECT count(*)::int AS n FROM classified`,
    );
    return rows[0]!.n;
  }

  /**
   * Tenants with documents that have a vector of this domain model but no stored domain from it under their
   * current set (documents embedded before classification existed, or a set change whose job was lost).
   */
  async tenantsNeedingClassification(modelId: string): Promise<{ tenantId: string; setId: string }[]> {
    return queryRows<{ tenantId: string; setId: string }>(
      this.db,
      sql`SELECT t.tenant_id AS "tenantId", shortlist_domain_set(t.tenant_id) AS "setId" FROM tenants t
          WHERE EXISTS (
            SELECT 1 FROM embeddings e
            LEFT JOIN document_domains dd ON dd.document_id = e.document_id
            WHERE e.tenant_id = t.tenant_id AND e.model_id = ${modelId}::uuid
              AND (dd.document_id IS NULL OR dd.model_id <> e.model_id
                   OR dd.set_id <> shortlist_domain_set(t.tenant_id)))
          ORDER BY t.tenant_id`,
    );
  }

  /** A tenant's own sets and the card's, with their domains in order. */
  async listSets(tenantId: string): Promise<DomainSet[]> {
    const sets = await this.db
      .select()
      .from(domainSets)
      .where(or(eq(domainSets.tenantId, tenantId), isNull(domainSets.tenantId)))
      .orderBy(asc(domainSets.createdAt), asc(domainSets.id));
    const activeId = await this.activeSetId(tenantId);
    return Promise.all(
      sets.map(async (set) => ({
        ...set,
        active: set.id === activeId,
        domains: await this.labelsOf(set.id),
      })),
    );
  }

  /** One of the tenant's sets, or the card's; another tenant's reads as absent. */
  async findSet(tenantId: string, id: string): Promise<DomainSet | undefined> {
    return (await this.listSets(tenantId)).find((s) => s.id === id);
  }

  private async labelsOf(setId: string): Promise<DomainLabel[]> {
    return this.db
      .select({ key: domainLabels.key, name: domainLabels.name, description: domainLabels.description })
      .from(domainLabels)
      .where(eq(domainLabels.setId, setId))
      .orderBy(asc(domainLabels.position));
  }

  /** A tenant's new set, made its active one when asked (the one active before is no longer). */
  async createSet(
    tenantId: string,
    name: string,
    domains: readonly DomainLabel[],
    activate: boolean,
  ): Promise<string> {
    return this.db.transaction(async (tx) => {
      if (activate) {
        await tx
          .update(domainSets)
          .set({ active: false })
          .where(and(eq(domainSets.tenantId, tenantId), eq(domainSets.active, true)));
      }
      const [set] = await tx
        .insert(domainSets)
        .values({ tenantId, name, active: activate })
        .returning({ id: domainSets.id });
      await tx
        .insert(domainLabels)
        .values(domains.map((d, position) => ({ setId: set!.id, ...d, position })));
      return set!.id;
    });
  }

  /** Makes one of the tenant's sets its active one, or — with the card's id — goes back to the card's. */
  async activateSet(tenantId: string, id: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx
        .update(domainSets)
        .set({ active: false })
        .where(and(eq(domainSets.tenantId, tenantId), eq(domainSets.active, true)));
      if (id === CARD_SET_ID) return true;
      const updated = await tx
        .update(domainSets)
        .set({ active: true })
        .where(and(eq(domainSets.tenantId, tenantId), eq(domainSets.id, id)))
        .returning({ id: domainSets.id });
      return updated.length > 0;
    });
  }

  /** Deletes one of the tenant's sets (its stored domains go with it); false when it has none of that id. */
  async deleteSet(tenantId: string, id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(domainSets)
      .where(and(eq(domainSets.tenantId, tenantId), eq(domainSets.id, id)))
      .returning({ id: domainSets.id });
    return deleted.length > 0;
  }

  /** A document's stored domain (a duplicate shows its original's). */
  async findDocumentDomain(tenantId: string, documentId: string): Promise<DocumentDomain | undefined> {
    const [row] = await queryRows<{
      label: string;
      similarity: number;
      runner_up: string | null;
      runner_up_similarity: number | null;
    }>(
      this.db,
      sql`SELECT dd.label, dd.similarity, dd.runner_up, dd.runner_up_similarity
          FROM documents d JOIN document_domains dd ON dd.document_id = coalesce(d.duplicate_of, d.id)
          WHERE d.tenant_id = ${tenantId}::uuid AND d.id = ${documentId}::uuid`,
    );
    return row ? documentDomainOf(row) : undefined;
  }
}

/** The columns of document_domains that `documentDomainOf` reads, for a select joined to it. */
export const documentDomainColumns = {
  label: documentDomains.label,
  similarity: documentDomains.similarity,
  runner_up: documentDomains.runnerUp,
  runner_up_similarity: documentDomains.runnerUpSimilarity,
};

/** The API's shape of a stored domain row. */
export function documentDomainOf(row: {
  label: string | null;
  similarity: number | null;
  runner_up: string | null;
  runner_up_similarity: number | null;
}): DocumentDomain | undefined {
  if (row.label === null || row.similarity === null) return undefined;
  return {
    label: row.label,
    similarity: row.similarity,
    runnerUp:
      row.runner_up !== null && row.runner_up_similarity !== null
        ? { label: row.runner_up, similarity: row.runner_up_similarity }
        : null,
  };
}
