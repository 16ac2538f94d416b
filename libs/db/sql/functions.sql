-- Today's definition of every SQL function of Shortlist, and of the triggers that call them: the one place to read
-- (and change) the ranking SQL. `migrate()` (`npm run migrate`, `shortlist migrate`, the embedded CLI) runs this
-- file after the drizzle migrations, every time, in one transaction: each statement is idempotent.
--
-- Rules (test/integration/db-functions.test.ts holds them):
--   - A function is defined here and nowhere else: no migration creates, replaces or alters a function.
--   - Every function here carries a COMMENT ON FUNCTION, shown by `\df+` in psql.
--   - Changing a signature (arguments or returned columns) is the one change CREATE OR REPLACE cannot make: a
--     migration DROPs the old function first, and this file creates the new one. A function dropped from this
--     file is dropped by a migration too: the migrated database holds exactly the functions of this file.
-- How each body came to be (plans, benchmark figures) is in docs/ranking-sql.md, not here.
--
-- Analysts, from psql:
--   SELECT * FROM shortlist_rank_applicants('<posting id>');
--   SELECT * FROM shortlist_rank_applicants('<posting id>', p_threshold => 0.6, p_hard_gate => true);
--   SELECT * FROM shortlist_rank_pool('<posting id>', 50);
--   SELECT * FROM shortlist_similar_candidates('<posting id>', 20);
--   SELECT * FROM shortlist_classify_document('<document id>');

-- The hybrid score of the nbk domain model card, for one candidate:
--   unclipped = semantic * 100 * (domain > threshold ? boost : penalty);  final = clip(unclipped, 0, 100)
CREATE OR REPLACE FUNCTION shortlist_unclipped_score(semantic float8, domain float8, threshold float8, boost float8, penalty float8)
  RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT semantic * 100 * CASE WHEN domain > threshold THEN boost ELSE penalty END
$$;
COMMENT ON FUNCTION shortlist_unclipped_score(float8, float8, float8, float8, float8) IS
  'The hybrid score before clipping: semantic * 100 * (domain > threshold ? boost : penalty). final = clip(it, 0, 100).';

-- Checks the parameters of a ranking call: the same ranges as the API's (libs/scoring scoreParamsSchema), so a
-- psql call cannot rank with a parameter the API would refuse. NULLs are "not given" and pass.
CREATE OR REPLACE FUNCTION shortlist_check_params(p_threshold float8, p_boost float8, p_penalty float8)
  RETURNS void LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF p_threshold IS NOT NULL AND NOT (p_threshold BETWEEN -1 AND 1) THEN
    RAISE EXCEPTION 'threshold must be between -1 and 1 (a cosine similarity), got %', p_threshold
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_boost IS NOT NULL AND NOT (p_boost BETWEEN 0 AND 10) THEN
    RAISE EXCEPTION 'boost must be between 0 and 10, got %', p_boost USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_penalty IS NOT NULL AND NOT (p_penalty BETWEEN 0 AND 10) THEN
    RAISE EXCEPTION 'penalty must be between 0 and 10, got %', p_penalty USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;
COMMENT ON FUNCTION shortlist_check_params(float8, float8, float8) IS
  'Raises invalid_parameter_value for a threshold outside -1..1 or a boost or penalty outside 0..10 (NULL: not given).';

-- The active model of a role: the one new vectors are made with.
CREATE OR REPLACE FUNCTION shortlist_active_model(p_role model_role) RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT id FROM models WHERE role = p_role AND active
$$;
COMMENT ON FUNCTION shortlist_active_model(model_role) IS
  'The id of the active model of a role (semantic or domain): the one new vectors are made with. NULL if none.';

-- One partial HNSW index per model, on the vectors cast to the model's dimension: vectors of models of any size
-- share one table, and a query that names the model id and the same cast uses the model's index. Called when a
-- model is registered (before it has vectors, so the build is instant). SECURITY DEFINER: the application's
-- role (shortlist_app) may not create indexes itself; it may only ask for the index of a registered model.
CREATE OR REPLACE FUNCTION shortlist_ensure_model_index(p_model uuid) RETURNS text LANGUAGE plpgsql
  SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  m_dims integer := (SELECT dims FROM models WHERE id = p_model);
  index_name text := 'embeddings_hnsw_' || replace(p_model::text, '-', '');
BEGIN
  IF m_dims IS NULL THEN
    RAISE EXCEPTION 'unknown model %', p_model USING ERRCODE = 'no_data_found';
  END IF;
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS %I ON embeddings USING hnsw ((embedding::vector(%s)) vector_ip_ops) '
    'WITH (m = 16, ef_construction = 128) WHERE model_id = %L',
    index_name, m_dims, p_model);
  RETURN index_name;
END
$$;
COMMENT ON FUNCTION shortlist_ensure_model_index(uuid) IS
  'Creates (if missing) the partial HNSW index of a registered model''s vectors and returns its name. Unknown model: error.';
REVOKE ALL ON FUNCTION shortlist_ensure_model_index(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shortlist_ensure_model_index(uuid) TO shortlist_app;

-- Rank a posting's applicants by the hybrid score (exact: every applicant with vectors for both models).
-- Parameters left NULL take the posting's overrides (postings.params), then the card's defaults (threshold 0.5,
-- boost 1.2, penalty 0.6, no hard gate); models left NULL take the active ones. Ordered by unclipped (clipping is
-- monotonic, so this is the order of (final, unclipped)), then by document id. A posting without vectors for
-- the models yet ranks nothing. The plan settings below keep two index lookups per applicant whatever the
-- statistics say (docs/ranking-sql.md).
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
  PERFORM shortlist_check_params(p_threshold, p_boost, p_penalty);
  SELECT * INTO v_posting FROM postings p WHERE p.id = p_posting;
  IF v_posting.id IS NULL THEN
    RAISE EXCEPTION 'unknown posting %', p_posting USING ERRCODE = 'no_data_found';
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
    SELECT row_number() OVER (ORDER BY h.unclipped DESC, h.semantic DESC, h.domain DESC, h.document_id),
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
    ORDER BY h.unclipped DESC, h.semantic DESC, h.domain DESC, h.document_id;
END
$$;
COMMENT ON FUNCTION shortlist_rank_applicants(uuid, float8, float8, float8, boolean, uuid, uuid) IS
  'A posting''s applicants ranked exactly by the hybrid score. NULL parameters: the posting''s, then 0.5/1.2/0.6/no gate; '
  'NULL models: the active ones. Unknown posting or a parameter out of range: error. Posting without vectors: no rows. '
  'Example: SELECT * FROM shortlist_rank_applicants(''<posting id>'', p_threshold => 0.6, p_hard_gate => true);';

-- Rank the whole pool of a posting's tenant (every resume with vectors, not only the applicants): the
-- p_candidates resumes most similar to the posting under the semantic model come from its HNSW index (iterative
-- scan, so the tenant filter still yields them all; the search list is sized to yield them in one round), then
-- each is re-scored exactly with both models and the best p_k are returned. Parameters and models default as in
-- shortlist_rank_applicants; p_candidates defaults to 2 * p_k, at least 100.
CREATE OR REPLACE FUNCTION shortlist_rank_pool(
  p_posting uuid,
  p_k integer DEFAULT 50,
  p_threshold float8 DEFAULT NULL,
  p_boost float8 DEFAULT NULL,
  p_penalty float8 DEFAULT NULL,
  p_hard_gate boolean DEFAULT NULL,
  p_semantic_model uuid DEFAULT NULL,
  p_domain_model uuid DEFAULT NULL,
  p_candidates integer DEFAULT NULL
) RETURNS TABLE (
  rank bigint, document_id uuid, final float8, unclipped float8, semantic float8, domain float8, same_domain boolean
) LANGUAGE plpgsql STABLE
  SET hnsw.iterative_scan = 'relaxed_order'
  -- Restored when the function returns; the body sets it per call (SET LOCAL semantics).
  SET hnsw.ef_search = 300
AS $$
DECLARE
  v_posting postings%ROWTYPE;
  v_semantic uuid;
  v_domain uuid;
  v_dims integer;
  v_query vector;
  v_domain_query vector;
  v_candidates integer := coalesce(p_candidates, greatest(p_k * 2, 100));
BEGIN
  PERFORM shortlist_check_params(p_threshold, p_boost, p_penalty);
  IF p_k IS NULL OR p_k < 1 OR v_candidates < 1 THEN
    RAISE EXCEPTION 'p_k and p_candidates must be positive, got % and %', p_k, p_candidates
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO v_posting FROM postings p WHERE p.id = p_posting;
  IF v_posting.id IS NULL THEN
    RAISE EXCEPTION 'unknown posting %', p_posting USING ERRCODE = 'no_data_found';
  END IF;
  v_semantic := coalesce(p_semantic_model, shortlist_active_model('semantic'));
  v_domain := coalesce(p_domain_model, shortlist_active_model('domain'));
  SELECT m.dims, es.embedding, ed.embedding INTO v_dims, v_query, v_domain_query
  FROM models m
  LEFT JOIN embeddings es ON es.document_id = v_posting.document_id AND es.model_id = v_semantic
  LEFT JOIN embeddings ed ON ed.document_id = v_posting.document_id AND ed.model_id = v_domain
  WHERE m.id = v_semantic;
  IF v_query IS NULL OR v_domain_query IS NULL THEN
    RAISE EXCEPTION 'posting % has no vectors for the models yet', p_posting;
  END IF;
  PERFORM set_config('hnsw.ef_search', least(1000, greatest(300, 3 * v_candidates))::text, true);
  RETURN QUERY EXECUTE format($q$
    WITH candidates AS (
      SELECT e.document_id, -(e.embedding <#> $1) AS semantic
      FROM embeddings e
      JOIN documents d ON d.id = e.document_id AND d.tenant_id = e.tenant_id
      WHERE e.model_id = %1$L AND e.tenant_id = $2 AND d.kind = 'resume'
      ORDER BY e.embedding::vector(%2$s) <#> $1::vector(%2$s)
      LIMIT $3
    ),
    scored AS (
      SELECT c.document_id, c.semantic, -(ed.embedding <#> $4) AS domain
      FROM candidates c
      JOIN embeddings ed ON ed.document_id = c.document_id AND ed.model_id = $5
    ),
    hybrid AS (
      SELECT s.document_id, s.semantic, s.domain, s.domain > $6 AS same_domain,
             shortlist_unclipped_score(s.semantic, s.domain, $6, $7, $8) AS unclipped
      FROM scored s
    )
    SELECT row_number() OVER (ORDER BY h.unclipped DESC, h.semantic DESC, h.domain DESC, h.document_id),
           h.document_id, least(greatest(h.unclipped, 0), 100), h.unclipped, h.semantic, h.domain, h.same_domain
    FROM hybrid h
    WHERE h.same_domain OR NOT $9
    ORDER BY 1
    LIMIT $10
  $q$, v_semantic, v_dims)
  USING v_query, v_posting.tenant_id, v_candidates, v_domain_query, v_domain,
        coalesce(p_threshold, (v_posting.params->>'threshold')::float8, 0.5),
        coalesce(p_boost, (v_posting.params->>'boost')::float8, 1.2),
        coalesce(p_penalty, (v_posting.params->>'penalty')::float8, 0.6),
        coalesce(p_hard_gate, (v_posting.params->>'hardGate')::boolean, false),
        p_k;
END
$$;
COMMENT ON FUNCTION shortlist_rank_pool(uuid, integer, float8, float8, float8, boolean, uuid, uuid, integer) IS
  'The best p_k resumes of the posting''s whole tenant pool by the hybrid score: HNSW candidates (p_candidates, '
  'default 2 * p_k, at least 100), re-scored exactly. Parameters default as in shortlist_rank_applicants. Unknown '
  'posting, posting without vectors or a parameter out of range: error. Example: SELECT * FROM shortlist_rank_pool(''<posting id>'', 50);';

-- The k resumes of the posting's tenant most similar to the posting (semantic model, inner product over
-- normalised vectors = cosine), found through the model's HNSW index with an iterative scan, so the tenant
-- filter still yields k rows; similarities are exact for the rows returned.
CREATE OR REPLACE FUNCTION shortlist_similar_candidates(p_posting uuid, p_k integer DEFAULT 50, p_model uuid DEFAULT NULL)
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
  IF p_k IS NULL OR p_k < 1 THEN
    RAISE EXCEPTION 'p_k must be positive, got %', p_k USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT p.tenant_id, p.document_id INTO v_tenant, v_posting_document FROM postings p WHERE p.id = p_posting;
  IF v_tenant IS NULL THEN
    RAISE EXCEPTION 'unknown posting %', p_posting USING ERRCODE = 'no_data_found';
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
COMMENT ON FUNCTION shortlist_similar_candidates(uuid, integer, uuid) IS
  'The p_k resumes of the posting''s tenant most similar to it (semantic model unless p_model), through the model''s '
  'HNSW index; exact cosines. Unknown posting or no vector yet: error. Example: SELECT * FROM shortlist_similar_candidates(''<posting id>'', 20);';

-- The domain set a tenant's documents are classified into: its active set, else the card's.
CREATE OR REPLACE FUNCTION shortlist_domain_set(p_tenant uuid) RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT id FROM domain_sets WHERE tenant_id = p_tenant AND active),
                  '00000000-0000-4000-8000-00000000000d'::uuid)
$$;
COMMENT ON FUNCTION shortlist_domain_set(uuid) IS
  'The domain set of a tenant: its active set, else the card''s 13 domains (00000000-0000-4000-8000-00000000000d).';

-- The nearest domain of a domain vector and the runner-up, with their cosines (vectors and prototypes are
-- L2-normalised: the inner product is the cosine), among a set's prototypes made by one domain model. No row
-- when that set has no prototypes for that model yet.
CREATE OR REPLACE FUNCTION shortlist_nearest_domains(p_vector vector, p_set uuid, p_model uuid)
  RETURNS TABLE (label text, similarity float8, runner_up text, runner_up_similarity float8)
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH nearest AS (
    SELECT p.key, -(p.embedding <#> p_vector) AS similarity,
           row_number() OVER (ORDER BY p.embedding <#> p_vector, p.key) AS n
    FROM domain_prototypes p WHERE p.set_id = p_set AND p.model_id = p_model
  )
  SELECT a.key, a.similarity, b.key, b.similarity
  FROM nearest a LEFT JOIN nearest b ON b.n = 2
  WHERE a.n = 1
$$;
COMMENT ON FUNCTION shortlist_nearest_domains(vector, uuid, uuid) IS
  'The nearest domain label of a domain vector and the runner-up, with cosines, among a set''s prototypes of one model.';

-- For analysts: the domain of a document, computed now from its domain vector. The set defaults to the tenant's
-- (its active set, else the card's 13), the model to the active domain model. Stored labels, as screening
-- results show them, are in document_domains.
--   SELECT d.id, c.* FROM documents d, shortlist_classify_document(d.id) c WHERE d.kind = 'resume';
CREATE OR REPLACE FUNCTION shortlist_classify_document(p_document uuid, p_set uuid DEFAULT NULL, p_model uuid DEFAULT NULL)
  RETURNS TABLE (label text, similarity float8, runner_up text, runner_up_similarity float8)
  LANGUAGE sql STABLE AS $$
  SELECT c.*
  FROM documents d
  JOIN embeddings e ON e.document_id = coalesce(d.duplicate_of, d.id)
                   AND e.model_id = coalesce(p_model, shortlist_active_model('domain'))
  CROSS JOIN LATERAL shortlist_nearest_domains(e.embedding, coalesce(p_set, shortlist_domain_set(d.tenant_id)),
                                               e.model_id) c
  WHERE d.id = p_document
$$;
COMMENT ON FUNCTION shortlist_classify_document(uuid, uuid, uuid) IS
  'The domain of a document computed now (its tenant''s set and the active domain model unless named), with the '
  'runner-up. Example: SELECT * FROM shortlist_classify_document(''<document id>'');';

-- Held shared by a run writing results for the tenant, exclusively by an erasure of the tenant's documents: a run
-- that started first is waited for and its results deleted; a run that starts after the erasure waits for its
-- commit, and then no longer sees the document.
CREATE OR REPLACE FUNCTION shortlist_lock_tenant_results(p_tenant uuid, p_exclusive boolean) RETURNS void
LANGUAGE sql VOLATILE AS $$
  SELECT CASE WHEN p_exclusive THEN pg_advisory_xact_lock(7202613, hashtext(p_tenant::text))
              ELSE pg_advisory_xact_lock_shared(7202613, hashtext(p_tenant::text)) END
$$;
COMMENT ON FUNCTION shortlist_lock_tenant_results(uuid, boolean) IS
  'Transaction lock of a tenant''s results: shared while a run writes them, exclusive while documents are erased.';

-- Screening results are append-only: a run, once written, is evidence. Rows leave only with their run or through
-- erasure of their document, never by UPDATE.
CREATE OR REPLACE FUNCTION shortlist_reject_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: rows cannot be updated', TG_TABLE_NAME;
END
$$;
COMMENT ON FUNCTION shortlist_reject_update() IS 'Trigger: refuses any UPDATE of an append-only table (screening_results).';
CREATE OR REPLACE TRIGGER screening_results_append_only BEFORE UPDATE ON screening_results
  FOR EACH ROW EXECUTE FUNCTION shortlist_reject_update();

-- screening_results has no foreign keys (their per-row checks made storing a ranking several times slower): a
-- deleted run and an erased document take their results with them through these statement triggers.
CREATE OR REPLACE FUNCTION shortlist_delete_run_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM screening_results r USING deleted_runs d WHERE r.run_id = d.id;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION shortlist_delete_run_results() IS 'Trigger: deleting screening runs deletes their results.';
CREATE OR REPLACE TRIGGER screening_runs_delete_results AFTER DELETE ON screening_runs
  REFERENCING OLD TABLE AS deleted_runs
  FOR EACH STATEMENT EXECUTE FUNCTION shortlist_delete_run_results();

CREATE OR REPLACE FUNCTION shortlist_delete_document_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Tenants in one order, so that two erasures cannot deadlock on their locks.
  PERFORM shortlist_lock_tenant_results(t.tenant_id, true)
  FROM (SELECT DISTINCT d.tenant_id FROM deleted_documents d ORDER BY 1) t;
  DELETE FROM screening_results r USING deleted_documents d WHERE r.document_id = d.id;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION shortlist_delete_document_results() IS
  'Trigger: erasing documents deletes their screening results (under the tenant''s exclusive results lock).';
CREATE OR REPLACE TRIGGER documents_delete_results AFTER DELETE ON documents
  REFERENCING OLD TABLE AS deleted_documents
  FOR EACH STATEMENT EXECUTE FUNCTION shortlist_delete_document_results();

-- Webhook events are written by the database itself, in the transaction that changes a status: whichever code
-- path marks a document ready or failed (a stage, the retries running out, the sweeper) or finishes a screening
-- run, every subscribed and enabled endpoint of the tenant gets its event, and none is lost to a crash between
-- the status change and a queue. The worker gathers undelivered events into batched deliveries. Events carry ids
-- and statuses only, never a file name or text: the delivery log holds nothing that erasing a document must reach.
CREATE OR REPLACE FUNCTION shortlist_webhook_document_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  event_type webhook_event := CASE NEW.status WHEN 'ready' THEN 'document.ready' ELSE 'document.failed' END;
BEGIN
  INSERT INTO webhook_events (tenant_id, endpoint_id, type, data)
  SELECT NEW.tenant_id, e.id, event_type,
         jsonb_strip_nulls(jsonb_build_object(
           'documentId', NEW.id,
           'kind', NEW.kind,
           'status', NEW.status,
           'failureReason', NEW.failure_reason))
  FROM webhook_endpoints e
  WHERE e.tenant_id = NEW.tenant_id AND e.enabled AND event_type = ANY (e.events);
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION shortlist_webhook_document_event() IS
  'Trigger: a document turning ready or failed records a document.ready/document.failed event for each subscribed endpoint.';
CREATE OR REPLACE TRIGGER documents_webhook_events
AFTER UPDATE OF status ON documents
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('ready', 'failed'))
EXECUTE FUNCTION shortlist_webhook_document_event();
CREATE OR REPLACE FUNCTION shortlist_webhook_screening_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  event_type webhook_event := CASE NEW.status WHEN 'completed' THEN 'screening.completed' ELSE 'screening.failed' END;
BEGIN
  INSERT INTO webhook_events (tenant_id, endpoint_id, type, data)
  SELECT NEW.tenant_id, e.id, event_type,
         jsonb_strip_nulls(jsonb_build_object(
           'runId', NEW.id,
           'postingId', NEW.posting_id,
           'status', NEW.status,
           'trigger', NEW.trigger,
           'failureReason', NEW.failure_reason,
           'pendingDocuments', cardinality(NEW.pending_document_ids)))
  FROM webhook_endpoints e
  WHERE e.tenant_id = NEW.tenant_id AND e.enabled AND event_type = ANY (e.events);
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION shortlist_webhook_screening_event() IS
  'Trigger: a screening run completing or failing records a screening.completed/failed event for each subscribed endpoint.';
CREATE OR REPLACE TRIGGER screening_runs_webhook_events
AFTER UPDATE OF status ON screening_runs
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('completed', 'failed'))
EXECUTE FUNCTION shortlist_webhook_screening_event();
CREATE OR REPLACE FUNCTION shortlist_webhook_screening_erased_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_events (tenant_id, endpoint_id, type, data)
  SELECT OLD.tenant_id, e.id, 'screening.failed',
         jsonb_build_object('runId', OLD.id, 'postingId', OLD.posting_id, 'status', 'failed',
                            'trigger', OLD.trigger, 'failureReason', 'posting_erased')
  FROM webhook_endpoints e
  WHERE e.tenant_id = OLD.tenant_id AND e.enabled AND 'screening.failed' = ANY (e.events);
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION shortlist_webhook_screening_erased_event() IS
  'Trigger: a run deleted before it finished (its posting, or the posting''s document, erased) records a '
  'screening.failed event (failureReason posting_erased): a client waiting for the run hears that it ended.';
CREATE OR REPLACE TRIGGER screening_runs_erased_webhook_events
AFTER DELETE ON screening_runs
FOR EACH ROW
WHEN (OLD.status NOT IN ('completed', 'failed'))
EXECUTE FUNCTION shortlist_webhook_screening_erased_event();
