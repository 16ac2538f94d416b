DROP INDEX "postings_tenant_status_idx";--> statement-breakpoint
DROP INDEX "screening_runs_posting_idx";--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "external_id" text;--> statement-breakpoint
CREATE INDEX "applicants_posting_created_idx" ON "applicants" USING btree ("tenant_id","posting_id","created_at","document_id");--> statement-breakpoint
CREATE INDEX "documents_tenant_created_idx" ON "documents" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "documents_tenant_kind_created_idx" ON "documents" USING btree ("tenant_id","kind","created_at","id");--> statement-breakpoint
CREATE INDEX "documents_tenant_external_id_idx" ON "documents" USING btree ("tenant_id","external_id","created_at","id") WHERE "documents"."external_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "postings_tenant_created_idx" ON "postings" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "postings_tenant_status_idx" ON "postings" USING btree ("tenant_id","status","created_at","id");--> statement-breakpoint
CREATE INDEX "screening_runs_posting_idx" ON "screening_runs" USING btree ("tenant_id","posting_id","created_at","id");