-- Two group roles (NOLOGIN); login roles are made members of them (README, "Database roles"):
--   shortlist_app       the api, worker and cli: rows read and written, no DDL, no TRUNCATE. Model indexes come
--                       through shortlist_ensure_model_index (SECURITY DEFINER, libs/db/sql/functions.sql).
--   shortlist_analyst   psql, read-only: SELECT on every table but api_keys, and the functions of functions.sql.
-- Roles belong to the server, not to one database: each is created only if missing (and a concurrent migration of
-- another database may create it first). A migrating role without CREATEROLE needs them created beforehand.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shortlist_app') THEN
    CREATE ROLE shortlist_app NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
  WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'role shortlist_app is missing and % may not create roles', current_user
      USING HINT = 'create roles shortlist_app and shortlist_analyst (NOLOGIN) as an administrator: docs/operations.md, "Database roles"';
END
$$;--> statement-breakpoint
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shortlist_analyst') THEN
    CREATE ROLE shortlist_analyst NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
  WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'role shortlist_analyst is missing and % may not create roles', current_user
      USING HINT = 'create roles shortlist_app and shortlist_analyst (NOLOGIN) as an administrator: docs/operations.md, "Database roles"';
END
$$;--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO shortlist_app, shortlist_analyst;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO shortlist_app;--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO shortlist_app;--> statement-breakpoint
GRANT SELECT ON ALL TABLES IN SCHEMA public TO shortlist_analyst;--> statement-breakpoint
REVOKE ALL ON api_keys FROM shortlist_analyst;--> statement-breakpoint
-- Webhook secrets and the answers kept for Idempotency-Key retries are the service's, not analysis material.
REVOKE ALL ON webhook_endpoints, idempotency_keys FROM shortlist_analyst;--> statement-breakpoint
-- Tables that later migrations create (as the role that runs them) get the same rights.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO shortlist_app;--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO shortlist_app;--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO shortlist_analyst;
