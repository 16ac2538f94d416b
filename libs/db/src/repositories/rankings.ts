import { sql } from 'drizzle-orm';
import type { Database } from '../client';
import { queryRows } from '../client';
import type { ScoreParams } from '../schema';

export interface RankedCandidate {
  rank: number;
  documentId: string;
  final: number;
  unclipped: number;
  semantic: number;
  domain: number;
  sameDomain: boolean;
}

export interface SimilarCandidate {
  rank: number;
  documentId: string;
  similarity: number;
}

export interface RankOptions {
  params?: Partial<ScoreParams>;
  semanticModelId?: string;
  domainModelId?: string;
}

/** Ranking queries; they call the same SQL functions analysts use from psql (migrations/0002). */
export class RankingRepository {
  constructor(private readonly db: Database) {}

  /** The posting's applicants ranked by the hybrid score, exactly. */
  async rankApplicants(postingId: string, options: RankOptions = {}): Promise<RankedCandidate[]> {
    const p = options.params ?? {};
    const rows = await queryRows<{
      rank: string;
      document_id: string;
      final: number;
      unclipped: number;
      semantic: number;
      domain: number;
      same_domain: boolean;
    }>(
      this.db,
      sql`SELECT * FROM shortlist_rank_applicants(${postingId}::uuid,
            ${p.threshold ?? null}::float8, ${p.boost ?? null}::float8, ${p.penalty ?? null}::float8,
            ${p.hardGate ?? null}::boolean, ${options.semanticModelId ?? null}::uuid,
            ${options.domainModelId ?? null}::uuid)`,
    );
    return rows.map((r) => ({
      rank: Number(r.rank),
      documentId: r.document_id,
      final: r.final,
      unclipped: r.unclipped,
      semantic: r.semantic,
      domain: r.domain,
      sameDomain: r.same_domain,
    }));
  }

  /** The k resumes of the posting's tenant most similar to it (HNSW candidates, exact similarities). */
  async findSimilarCandidates(postingId: string, k: number, modelId?: string): Promise<SimilarCandidate[]> {
    const rows = await queryRows<{ rank: string; document_id: string; similarity: number }>(
      this.db,
      sql`SELECT * FROM shortlist_similar_candidates(${postingId}::uuid, ${k}::int, ${modelId ?? null}::uuid)`,
    );
    return rows.map((r) => ({ rank: Number(r.rank), documentId: r.document_id, similarity: r.similarity }));
  }
}
