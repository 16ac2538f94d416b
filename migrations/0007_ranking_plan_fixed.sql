-- Exact ranking driven by the posting's applicants, whatever the statistics say. With the applicants' statistics
-- taken when one posting held most of them (then 100,000 applicants added to other postings, no ANALYZE since),
-- the planner took that posting's 10,000 applicants for 149,000 and, hash and merge joins being off, turned the
-- nested loop around: every vector of one model read in turn, each looked up in applicants by document
-- (154 ms against 39, median of 15 alternating calls on 100,000 resumes). The join keys are now written so that
-- only the embeddings side can be looked up by index. With fresh statistics the plan and its time are unchanged
-- (35.7 ms against 35.0).
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
) LANGUAGE plpgsql STABLE PARALLEL SAFE
  -- Two index lookups per applicant, whatever the statistics say: with applicants counted before a bulk insert,
  -- the planner took a posting's 10,000 applicants for 100,000 and hashed every vector of both models (913 ms
  -- instead of ~100). Even for a posting whose applicants are the whole pool of 100,000, the lookups were no
  -- slower than the planner's hash joins (median of 6 alternating calls: 850 ms against 980). No JIT either:
  -- the work is index lookups and pgvector's C functions, and the same inflated estimates had it compile for
  -- 95-250 ms per call.
  SET enable_hashjoin = off
  SET enable_mergejoin = off
  SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  v_posting postings%ROWTYPE;
  v_semantic uuid;
  v_domain uuid;
  v_query vector;
  v_domain_query vector;
  v_threshold float8;
  v_boost float8;
  v_penalty float8;
  v_hard_gate boolean;
BEGIN
  SELECT * INTO v_posting FROM postings p WHERE p.id = p_posting;
  IF v_posting.id IS NULL THEN
    RETURN;
  END IF;
  v_semantic := coalesce(p_semantic_model, shortlist_active_model('semantic'));
  v_domain := coalesce(p_domain_model, shortlist_active_model('domain'));
  v_query := (SELECT e.embedding FROM embeddings e WHERE e.document_id = v_posting.document_id AND e.model_id = v_semantic);
  v_domain_query := (SELECT e.embedding FROM embeddings e WHERE e.document_id = v_posting.document_id AND e.model_id = v_domain);
  IF v_query IS NULL OR v_domain_query IS NULL THEN
    RETURN;
  END IF;
  v_threshold := coalesce(p_threshold, (v_posting.params->>'threshold')::float8, 0.5);
  v_boost := coalesce(p_boost, (v_posting.params->>'boost')::float8, 1.2);
  v_penalty := coalesce(p_penalty, (v_posting.params->>'penalty')::float8, 0.6);
  v_hard_gate := coalesce(p_hard_gate, (v_posting.params->>'hardGate')::boolean, false);
  RETURN QUERY
    SELECT row_number() OVER (ORDER BY h.unclipped DESC, h.document_id),
           h.document_id, least(greatest(h.unclipped, 0), 100), h.unclipped, h.semantic, h.domain,
           h.domain > v_threshold
    FROM (
      SELECT s.document_id, s.semantic, s.domain,
             shortlist_unclipped_score(s.semantic, s.domain, v_threshold, v_boost, v_penalty) AS unclipped
      FROM (
        -- OFFSET 0 keeps the similarities computed once per applicant, by the parallel workers that read them.
        SELECT a.document_id, -(rs.embedding <#> v_query) AS semantic, -(rd.embedding <#> v_domain_query) AS domain
        FROM applicants a
        -- coalesce(x, x) is x, but no index of applicants can serve it: the join cannot be turned around.
        JOIN embeddings rs ON rs.document_id = coalesce(a.document_id, a.document_id) AND rs.model_id = v_semantic
        JOIN embeddings rd ON rd.document_id = coalesce(a.document_id, a.document_id) AND rd.model_id = v_domain
        WHERE a.posting_id = p_posting AND a.tenant_id = v_posting.tenant_id
        OFFSET 0
      ) s
      WHERE s.domain > v_threshold OR NOT v_hard_gate
    ) h
    ORDER BY h.unclipped DESC, h.document_id;
END
$$;
