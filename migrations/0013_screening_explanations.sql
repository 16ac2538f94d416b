CREATE TABLE "screening_evidence" (
	"run_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"passages" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "screening_evidence_pkey" PRIMARY KEY("run_id","document_id")
);
--> statement-breakpoint
ALTER TABLE "screening_runs" ADD COLUMN "evidence_top" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "screening_runs" ADD COLUMN "audit" jsonb;--> statement-breakpoint
ALTER TABLE "screening_evidence" ADD CONSTRAINT "screening_evidence_run_fk" FOREIGN KEY ("tenant_id","run_id") REFERENCES "public"."screening_runs"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_evidence" ADD CONSTRAINT "screening_evidence_document_fk" FOREIGN KEY ("tenant_id","document_id") REFERENCES "public"."documents"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "screening_evidence_document_idx" ON "screening_evidence" USING btree ("tenant_id","document_id");