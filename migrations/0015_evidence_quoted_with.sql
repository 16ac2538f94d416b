ALTER TABLE "screening_evidence" ADD COLUMN "posting_document_id" uuid;--> statement-breakpoint
ALTER TABLE "screening_evidence" ADD COLUMN "model_id" uuid;