import {
  DocumentRepository,
  EmbeddingRepository,
  ModelRepository,
  PostingRepository,
  TenantRepository,
  type Database,
  type Model,
} from '@shortlist/db';
import { dot, randomUnitVector, seededRandom } from './vectors';

export { dot };

export const DIMS = 16;

export interface Fixture {
  tenantId: string;
  otherTenantId: string;
  semantic: Model;
  domain: Model;
  postingId: string;
  postingVectors: { semantic: number[]; domain: number[] };
  resumes: { id: string; semantic: number[]; domain: number[] }[];
}

/** One tenant with a posting and 60 applicants, and a second tenant with resumes of its own. */
export async function seed(db: Database): Promise<Fixture> {
  const random = seededRandom(42);
  const tenants = new TenantRepository(db);
  const documents = new DocumentRepository(db);
  const modelRepo = new ModelRepository(db);
  const vectors = new EmbeddingRepository(db);
  const postings = new PostingRepository(db);
  const tenant = await tenants.ensure('acme');
  const other = await tenants.ensure('globex');
  const semantic = await modelRepo.register({
    role: 'semantic',
    name: 'test/semantic',
    version: '1',
    sha256: 'a'.repeat(64),
    dims: DIMS,
    maxTokens: 512,
  });
  const domain = await modelRepo.register({
    role: 'domain',
    name: 'test/domain',
    version: '1',
    sha256: 'b'.repeat(64),
    dims: DIMS,
    maxTokens: 512,
  });
  await modelRepo.activate(semantic.id);
  await modelRepo.activate(domain.id);

  const store = async (tenantId: string, kind: 'resume' | 'posting') => {
    const doc = await documents.create({ tenantId, kind, source: { type: 'text' }, status: 'ready' });
    const v = { semantic: randomUnitVector(DIMS, random), domain: randomUnitVector(DIMS, random) };
    await vectors.upsert([
      {
        tenantId,
        documentId: doc.id,
        modelId: semantic.id,
        embedding: v.semantic,
        tokenCount: 10,
        chunkCount: 1,
      },
      {
        tenantId,
        documentId: doc.id,
        modelId: domain.id,
        embedding: v.domain,
        tokenCount: 10,
        chunkCount: 1,
      },
    ]);
    return { id: doc.id, ...v };
  };

  const postingDoc = await store(tenant.tenantId, 'posting');
  const posting = await postings.create({
    tenantId: tenant.tenantId,
    documentId: postingDoc.id,
    title: 'Data engineer',
  });
  const resumes = [];
  for (let i = 0; i < 60; i++) resumes.push(await store(tenant.tenantId, 'resume'));
  for (let i = 0; i < 40; i++) await store(other.tenantId, 'resume');
  await postings.addApplicants(
    tenant.tenantId,
    posting.id,
    resumes.map((r) => r.id),
  );
  return {
    tenantId: tenant.tenantId,
    otherTenantId: other.tenantId,
    semantic,
    domain,
    postingId: posting.id,
    postingVectors: { semantic: postingDoc.semantic, domain: postingDoc.domain },
    resumes,
  };
}

/** The card's score, computed here independently of the SQL. */
export function expectedRanking(f: Fixture, threshold = 0.5, boost = 1.2, penalty = 0.6) {
  return f.resumes
    .map((r) => {
      const semantic = dot(r.semantic, f.postingVectors.semantic);
      const domain = dot(r.domain, f.postingVectors.domain);
      const unclipped = semantic * 100 * (domain > threshold ? boost : penalty);
      return { documentId: r.id, semantic, domain, unclipped, final: Math.min(100, Math.max(0, unclipped)) };
    })
    .sort(
      (a, b) =>
        b.final - a.final ||
        b.unclipped - a.unclipped ||
        b.semantic - a.semantic ||
        b.domain - a.domain ||
        a.documentId.localeCompare(b.documentId),
    );
}
