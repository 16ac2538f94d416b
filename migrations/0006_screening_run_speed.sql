-- A screening run appends its whole ranking to screening_results in one INSERT ... SELECT, and each row's two
-- foreign keys were checked by trigger queries of their own: for 10,000 applicants the checks took ~400 ms of the
-- ~600 ms that INSERT took (EXPLAIN ANALYZE, 100,000 resumes). What the keys did is done per statement now:
--   - to screening_runs: the check cannot fail, results are written only by the transaction that holds their
--     run locked (ScreeningRepository.complete); a deleted run takes its results with it through a trigger.
--   - to documents: an erased document takes its results with it through a trigger. That a run being written
--     cannot slip an erased document's results past it, a lock per tenant sees to: a run takes it shared (so
--     runs go side by side) before it reads the applicants, the erasure's trigger takes it exclusively before it
--     deletes the results. A run that started first is waited for and its results deleted; a run that starts
--     after the erasure waits for its commit, and then no longer sees the document.

-- Held shared by a run writing results for the tenant, exclusively by an erasure of the tenant's documents.
CREATE FUNCTION shortlist_lock_tenant_results(p_tenant uuid, p_exclusive boolean) RETURNS void
LANGUAGE sql VOLATILE AS $$
  SELECT CASE WHEN p_exclusive THEN pg_advisory_xact_lock(7202613, hashtext(p_tenant::text))
              ELSE pg_advisory_xact_lock_shared(7202613, hashtext(p_tenant::text)) END
$$;--> statement-breakpoint
CREATE FUNCTION shortlist_delete_run_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM screening_results r USING deleted_runs d WHERE r.run_id = d.id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER screening_runs_delete_results AFTER DELETE ON screening_runs
  REFERENCING OLD TABLE AS deleted_runs
  FOR EACH STATEMENT EXECUTE FUNCTION shortlist_delete_run_results();--> statement-breakpoint
CREATE FUNCTION shortlist_delete_document_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Tenants in one order, so that two erasures cannot deadlock on their locks.
  PERFORM shortlist_lock_tenant_results(t.tenant_id, true)
  FROM (SELECT DISTINCT d.tenant_id FROM deleted_documents d ORDER BY 1) t;
  DELETE FROM screening_results r USING deleted_documents d WHERE r.document_id = d.id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER documents_delete_results AFTER DELETE ON documents
  REFERENCING OLD TABLE AS deleted_documents
  FOR EACH STATEMENT EXECUTE FUNCTION shortlist_delete_document_results();--> statement-breakpoint
ALTER TABLE "screening_results" DROP CONSTRAINT "screening_results_run_fk";--> statement-breakpoint
ALTER TABLE "screening_results" DROP CONSTRAINT "screening_results_document_fk";--> statement-breakpoint

-- Exact ranking without a second sort: rows leave the window in its own order (0005 numbered them, then sorted
-- the 10,000 rows again by that number), and the similarities are computed once in a subquery instead of a
-- materialized CTE. Same results.
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
        JOIN embeddings rs ON rs.document_id = a.document_id AND rs.model_id = v_semantic
        JOIN embeddings rd ON rd.document_id = a.document_id AND rd.model_id = v_domain
        WHERE a.posting_id = p_posting AND a.tenant_id = v_posting.tenant_id
        OFFSET 0
      ) s
      WHERE s.domain > v_threshold OR NOT v_hard_gate
    ) h
    ORDER BY h.unclipped DESC, h.document_id;
END
$$;
