-- A 512-D vector (2,056 bytes) is just over PostgreSQL's 2 KB TOAST threshold: stored out of line, every read of
-- it is a detoast (seen as ~50 buffer hits per candidate when ranking). MAIN keeps vectors in the row (vectors
-- written before this migration move in when rewritten, e.g. by VACUUM FULL embeddings).
ALTER TABLE embeddings ALTER COLUMN embedding SET STORAGE MAIN;--> statement-breakpoint

CREATE OR REPLACE FUNCTION shortlist_rank_applicants(
  p_posting uuid,
  p_threshold float8 DEFAULT NULL,
  p_boost float8 DEFAULT NULL,
  p_penalty float8 DEFAULT NULL,
  p_hard_gate boolean DEFAULT NULL,
  p_semantic_model uuid DEFAULT NULL,
  p_domain_model uuid DEFAULT NULL
) RETURNS TABLE (
  rank bigint, document_id uuid, final float8, unclipped float8, semantic float8, domain float8, same_domain boolean
) LANGUAGE sql STABLE AS $$
  WITH posting AS (
    SELECT p.id, p.tenant_id, p.document_id,
           coalesce(p_threshold, (p.params->>'threshold')::float8, 0.5) AS threshold,
           coalesce(p_boost, (p.params->>'boost')::float8, 1.2) AS boost,
           coalesce(p_penalty, (p.params->>'penalty')::float8, 0.6) AS penalty,
           coalesce(p_hard_gate, (p.params->>'hardGate')::boolean, false) AS hard_gate,
           coalesce(p_semantic_model, shortlist_active_model('semantic')) AS semantic_model,
           coalesce(p_domain_model, shortlist_active_model('domain')) AS domain_model
    FROM postings p WHERE p.id = p_posting
  ),
  -- Materialized: each similarity is computed once, not again in every sort key and output column.
  scored AS MATERIALIZED (
    SELECT a.document_id,
           -(rs.embedding <#> ps.embedding) AS semantic,
           -(rd.embedding <#> pd.embedding) AS domain,
           posting.threshold, posting.boost, posting.penalty, posting.hard_gate
    FROM posting
    JOIN embeddings ps ON ps.document_id = posting.document_id AND ps.model_id = posting.semantic_model
    JOIN embeddings pd ON pd.document_id = posting.document_id AND pd.model_id = posting.domain_model
    JOIN applicants a ON a.posting_id = posting.id AND a.tenant_id = posting.tenant_id
    JOIN embeddings rs ON rs.document_id = a.document_id AND rs.model_id = posting.semantic_model
    JOIN embeddings rd ON rd.document_id = a.document_id AND rd.model_id = posting.domain_model
  ),
  hybrid AS (
    SELECT document_id, semantic, domain, domain > threshold AS same_domain, hard_gate,
           shortlist_unclipped_score(semantic, domain, threshold, boost, penalty) AS unclipped
    FROM scored
  )
  SELECT row_number() OVER (ORDER BY unclipped DESC, document_id),
         document_id, least(greatest(unclipped, 0), 100), unclipped, semantic, domain, same_domain
  FROM hybrid
  WHERE same_domain OR NOT hard_gate
  ORDER BY 1
$$;--> statement-breakpoint

-- Ranking 10,000 applicants is 20,000 vector lookups: let PostgreSQL share them between parallel workers.
ALTER FUNCTION shortlist_active_model(model_role) PARALLEL SAFE;--> statement-breakpoint
ALTER FUNCTION shortlist_unclipped_score(float8, float8, float8, float8, float8) PARALLEL SAFE;--> statement-breakpoint
ALTER FUNCTION shortlist_rank_applicants(uuid, float8, float8, float8, boolean, uuid, uuid) PARALLEL SAFE;--> statement-breakpoint

-- Model indexes with a better graph (ef_construction 128, pgvector's default is 64): higher recall for the same
-- search effort, for a build about twice as long.
CREATE OR REPLACE FUNCTION shortlist_ensure_model_index(p_model uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m_dims integer := (SELECT dims FROM models WHERE id = p_model);
  index_name text := 'embeddings_hnsw_' || replace(p_model::text, '-', '');
BEGIN
  IF m_dims IS NULL THEN
    RAISE EXCEPTION 'unknown model %', p_model;
  END IF;
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS %I ON embeddings USING hnsw ((embedding::vector(%s)) vector_ip_ops) '
    'WITH (m = 16, ef_construction = 128) WHERE model_id = %L',
    index_name, m_dims, p_model);
  RETURN index_name;
END
$$;
