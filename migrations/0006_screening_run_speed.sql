-- screening_results loses its foreign keys (docs/ranking-sql.md says why); the triggers that do their work are
-- defined in libs/db/sql/functions.sql.
ALTER TABLE "screening_results" DROP CONSTRAINT "screening_results_run_fk";--> statement-breakpoint
ALTER TABLE "screening_results" DROP CONSTRAINT "screening_results_document_fk";
