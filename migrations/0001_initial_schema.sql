CREATE TYPE "public"."document_kind" AS ENUM('resume', 'posting');--> statement-breakpoint
CREATE TYPE "public"."document_status" AS ENUM('queued', 'extracting', 'extracted', 'embedding', 'ready', 'failed');--> statement-breakpoint
CREATE TYPE "public"."model_role" AS ENUM('semantic', 'domain');--> statement-breakpoint
CREATE TYPE "public"."posting_status" AS ENUM('open', 'closed');--> statement-breakpoint
CREATE TYPE "public"."screening_scope" AS ENUM('applicants', 'pool');--> statement-breakpoint
CREATE TYPE "public"."screening_status" AS ENUM('queued', 'running', 'completed', 'failed');--> statement-breakpoint
CREATE TYPE "public"."screening_trigger" AS ENUM('api', 'nightly', 'cli');--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"key_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "applicants" (
	"posting_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "applicants_pkey" PRIMARY KEY("posting_id","document_id")
);
--> statement-breakpoint
CREATE TABLE "document_texts" (
	"document_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"text" text NOT NULL,
	"char_count" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" "document_kind" NOT NULL,
	"status" "document_status" DEFAULT 'queued' NOT NULL,
	"failure_reason" text,
	"sha256" text,
	"duplicate_of" uuid,
	"source" jsonb NOT NULL,
	"size_bytes" bigint,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"token_count" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "documents_tenant_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "embeddings" (
	"document_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"embedding" vector NOT NULL,
	"token_count" integer NOT NULL,
	"chunk_count" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "embeddings_pkey" PRIMARY KEY("document_id","model_id")
);
--> statement-breakpoint
CREATE TABLE "models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"role" "model_role" NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"sha256" text NOT NULL,
	"dims" integer NOT NULL,
	"max_tokens" integer NOT NULL,
	"active" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "models_role_sha256_key" UNIQUE("role","sha256")
);
--> statement-breakpoint
CREATE TABLE "postings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"title" text NOT NULL,
	"status" "posting_status" DEFAULT 'open' NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "postings_tenant_id_key" UNIQUE("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "screening_results" (
	"run_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"rank" integer NOT NULL,
	"document_id" uuid NOT NULL,
	"final" double precision NOT NULL,
	"unclipped" double precision NOT NULL,
	"semantic" double precision NOT NULL,
	"domain" double precision NOT NULL,
	"same_domain" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "screening_results_pkey" PRIMARY KEY("run_id","rank")
);
--> statement-breakpoint
CREATE TABLE "screening_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"posting_id" uuid NOT NULL,
	"scope" "screening_scope" NOT NULL,
	"trigger" "screening_trigger" NOT NULL,
	"status" "screening_status" DEFAULT 'queued' NOT NULL,
	"params" jsonb NOT NULL,
	"top" integer,
	"semantic_model_id" uuid,
	"domain_model_id" uuid,
	"pending_document_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"failure_reason" text,
	"idempotency_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "screening_runs_tenant_id_key" UNIQUE("tenant_id","id"),
	CONSTRAINT "screening_runs_idempotency_key" UNIQUE("tenant_id","posting_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"tenant_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applicants" ADD CONSTRAINT "applicants_posting_fk" FOREIGN KEY ("tenant_id","posting_id") REFERENCES "public"."postings"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applicants" ADD CONSTRAINT "applicants_document_fk" FOREIGN KEY ("tenant_id","document_id") REFERENCES "public"."documents"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_texts" ADD CONSTRAINT "document_texts_document_fk" FOREIGN KEY ("tenant_id","document_id") REFERENCES "public"."documents"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_duplicate_of_fk" FOREIGN KEY ("tenant_id","duplicate_of") REFERENCES "public"."documents"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "embeddings" ADD CONSTRAINT "embeddings_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "embeddings" ADD CONSTRAINT "embeddings_document_fk" FOREIGN KEY ("tenant_id","document_id") REFERENCES "public"."documents"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postings" ADD CONSTRAINT "postings_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "postings" ADD CONSTRAINT "postings_document_fk" FOREIGN KEY ("tenant_id","document_id") REFERENCES "public"."documents"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_results" ADD CONSTRAINT "screening_results_run_fk" FOREIGN KEY ("tenant_id","run_id") REFERENCES "public"."screening_runs"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_results" ADD CONSTRAINT "screening_results_document_fk" FOREIGN KEY ("tenant_id","document_id") REFERENCES "public"."documents"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_runs" ADD CONSTRAINT "screening_runs_semantic_model_id_models_id_fk" FOREIGN KEY ("semantic_model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_runs" ADD CONSTRAINT "screening_runs_domain_model_id_models_id_fk" FOREIGN KEY ("domain_model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_runs" ADD CONSTRAINT "screening_runs_posting_fk" FOREIGN KEY ("tenant_id","posting_id") REFERENCES "public"."postings"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_tenant_idx" ON "api_keys" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "applicants_document_idx" ON "applicants" USING btree ("document_id");--> statement-breakpoint
CREATE UNIQUE INDEX "documents_tenant_sha256_original_idx" ON "documents" USING btree ("tenant_id","sha256") WHERE "documents"."duplicate_of" IS NULL AND "documents"."sha256" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "documents_tenant_status_idx" ON "documents" USING btree ("tenant_id","status");--> statement-breakpoint
CREATE INDEX "documents_status_updated_idx" ON "documents" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "embeddings_tenant_model_idx" ON "embeddings" USING btree ("tenant_id","model_id");--> statement-breakpoint
CREATE UNIQUE INDEX "models_one_active_per_role_idx" ON "models" USING btree ("role") WHERE "models"."active";--> statement-breakpoint
CREATE INDEX "postings_tenant_status_idx" ON "postings" USING btree ("tenant_id","status");--> statement-breakpoint
CREATE INDEX "screening_results_document_idx" ON "screening_results" USING btree ("document_id");--> statement-breakpoint
CREATE INDEX "screening_runs_posting_idx" ON "screening_runs" USING btree ("tenant_id","posting_id","created_at");