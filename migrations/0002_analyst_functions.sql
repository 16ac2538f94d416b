-- Screening results are append-only: a run, once written, is evidence. Rows leave only with their run or
-- through erasure of their document (DELETE cascades), never by UPDATE.
CREATE FUNCTION shortlist_reject_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: rows cannot be updated', TG_TABLE_NAME;
END
$$;--> statement-breakpoint
CREATE TRIGGER screening_results_append_only BEFORE UPDATE ON screening_results
  FOR EACH ROW EXECUTE FUNCTION shortlist_reject_update();--> statement-breakpoint

-- One partial HNSW index per model, on the vectors cast to the model's dimension: vectors of models of any
-- size share one table, and a query that names the model id and the same cast uses the model's index.
-- Called when a model is registered (before it has vectors, so the build is instant).
CREATE FUNCTION shortlist_ensure_model_index(p_model uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m_dims integer := (SELECT dims FROM models WHERE id = p_model);
  index_name text := 'embeddings_hnsw_' || replace(p_model::text, '-', '');
BEGIN
  IF m_dims IS NULL THEN
    RAISE EXCEPTION 'unknown model %', p_model;
  END IF;
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS %I ON embeddings USING hnsw ((embedding::vector(%s)) vector_ip_ops) WHERE model_id = %L',
    index_name, m_dims, p_model);
  RETURN index_name;
END
$$;--> statement-breakpoint

-- The active model of a role: the one new vectors are made with.
CREATE FUNCTION shortlist_active_model(p_role model_role) RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT id FROM models WHERE role = p_role AND active
$$;--> statement-breakpoint

-- The hybrid score of the nbk domain model card, for one candidate:
--   unclipped = semantic * 100 * (domain > threshold ? boost : penalty);  final = clip(unclipped, 0, 100)
CREATE FUNCTION shortlist_unclipped_score(semantic float8, domain float8, threshold float8, boost float8, penalty float8)
  RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT semantic * 100 * CASE WHEN domain > threshold THEN boost ELSE penalty END
$$;--> statement-breakpoint

-- Rank a posting's applicants by the hybrid score (exact: every applicant with vectors for both models).
-- Parameters left NULL take the posting's overrides (postings.params), then the card's defaults
-- (threshold 0.5, boost 1.2, penalty 0.6, no hard gate); models left NULL take the active ones.
-- Ties on the clipped score are broken by the unclipped value, then by document id.
--   SELECT * FROM shortlist_rank_applicants('<posting id>');
--   SELECT * FROM shortlist_rank_applicants('<posting id>', p_threshold => 0.6, p_hard_gate => true);
CREATE FUNCTION shortlist_rank_applicants(
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
  scored AS (
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
  SELECT row_number() OVER (ORDER BY least(greatest(unclipped, 0), 100) DESC, unclipped DESC, document_id),
         document_id, least(greatest(unclipped, 0), 100), unclipped, semantic, domain, same_domain
  FROM hybrid
  WHERE same_domain OR NOT hard_gate
  ORDER BY 1
$$;--> statement-breakpoint

-- The k resumes of the posting's tenant most similar to the posting (semantic model, inner product over
-- normalised vectors = cosine), found through the model's HNSW index with an iterative scan, so the tenant
-- filter still yields k rows; similarities are exact for the rows returned.
--   SELECT * FROM shortlist_similar_candidates('<posting id>', 20);
CREATE FUNCTION shortlist_similar_candidates(p_posting uuid, p_k integer DEFAULT 50, p_model uuid DEFAULT NULL)
  RETURNS TABLE (rank bigint, document_id uuid, similarity float8)
  LANGUAGE plpgsql STABLE
  SET hnsw.iterative_scan = 'relaxed_order'
  SET hnsw.ef_search = 100
AS $$
DECLARE
  v_model uuid := coalesce(p_model, shortlist_active_model('semantic'));
  v_dims integer := (SELECT dims FROM models WHERE id = v_model);
  v_tenant uuid;
  v_posting_document uuid;
  v_query vector;
BEGIN
  SELECT p.tenant_id, p.document_id INTO v_tenant, v_posting_document FROM postings p WHERE p.id = p_posting;
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION 'unknown posting %', p_posting;
  END IF;
  IF v_dims IS NULL THEN
    RAISE EXCEPTION 'no semantic model: pass p_model or activate one';
  END IF;
  SELECT e.embedding INTO v_query FROM embeddings e WHERE e.document_id = v_posting_document AND e.model_id = v_model;
  IF v_query IS NULL THEN
    RAISE EXCEPTION 'posting % has no vector for model % yet', p_posting, v_model;
  END IF;
  -- The model id and dimension are literals so that the planner matches the model's partial index.
  RETURN QUERY EXECUTE format($q$
    SELECT row_number() OVER (ORDER BY c.similarity DESC, c.document_id), c.document_id, c.similarity
    FROM (
      SELECT e.document_id, -(e.embedding <#> $1) AS similarity
      FROM embeddings e
      JOIN documents d ON d.id = e.document_id AND d.tenant_id = e.tenant_id
      WHERE e.model_id = %1$L AND e.tenant_id = $2 AND d.kind = 'resume'
      ORDER BY e.embedding::vector(%2$s) <#> $1::vector(%2$s)
      LIMIT $3
    ) c
    ORDER BY 1
  $q$, v_model, v_dims) USING v_query, v_tenant, p_k;
END
$$;
