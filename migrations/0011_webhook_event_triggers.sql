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
--> statement-breakpoint
CREATE TRIGGER documents_webhook_events
AFTER UPDATE OF status ON documents
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('ready', 'failed'))
EXECUTE FUNCTION shortlist_webhook_document_event();
--> statement-breakpoint
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
--> statement-breakpoint
CREATE TRIGGER screening_runs_webhook_events
AFTER UPDATE OF status ON screening_runs
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status IN ('completed', 'failed'))
EXECUTE FUNCTION shortlist_webhook_screening_event();
