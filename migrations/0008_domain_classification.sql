CREATE TABLE "document_domains" (
	"document_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"set_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"label" text NOT NULL,
	"similarity" double precision NOT NULL,
	"runner_up" text,
	"runner_up_similarity" double precision,
	"classified_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "domain_labels" (
	"set_id" uuid NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"description" text NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "domain_labels_pkey" PRIMARY KEY("set_id","key")
);
--> statement-breakpoint
CREATE TABLE "domain_prototypes" (
	"set_id" uuid NOT NULL,
	"key" text NOT NULL,
	"model_id" uuid NOT NULL,
	"description" text NOT NULL,
	"embedding" vector NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "domain_prototypes_pkey" PRIMARY KEY("set_id","model_id","key")
);
--> statement-breakpoint
CREATE TABLE "domain_sets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"name" text NOT NULL,
	"active" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "screening_runs" ADD COLUMN "domains" text[];--> statement-breakpoint
ALTER TABLE "document_domains" ADD CONSTRAINT "document_domains_set_id_domain_sets_id_fk" FOREIGN KEY ("set_id") REFERENCES "public"."domain_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_domains" ADD CONSTRAINT "document_domains_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_domains" ADD CONSTRAINT "document_domains_document_fk" FOREIGN KEY ("tenant_id","document_id") REFERENCES "public"."documents"("tenant_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_labels" ADD CONSTRAINT "domain_labels_set_id_domain_sets_id_fk" FOREIGN KEY ("set_id") REFERENCES "public"."domain_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_prototypes" ADD CONSTRAINT "domain_prototypes_model_id_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."models"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_prototypes" ADD CONSTRAINT "domain_prototypes_label_fk" FOREIGN KEY ("set_id","key") REFERENCES "public"."domain_labels"("set_id","key") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_sets" ADD CONSTRAINT "domain_sets_tenant_id_tenants_tenant_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("tenant_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "document_domains_tenant_label_idx" ON "document_domains" USING btree ("tenant_id","label");--> statement-breakpoint
CREATE UNIQUE INDEX "domain_sets_one_active_per_tenant_idx" ON "domain_sets" USING btree ("tenant_id") WHERE "domain_sets"."active";--> statement-breakpoint
-- Domain classification (the nbk domain model card's first use). The card's 13 domains are one shared set with a
-- fixed id; its labels and descriptions come from libs/scoring (domains.ts) and are written by the processes that
-- embed, which also make the prototypes (each description embedded by a domain model).
-- Its functions (shortlist_domain_set, shortlist_nearest_domains, shortlist_classify_document): libs/db/sql/functions.sql.
INSERT INTO domain_sets (id, tenant_id, name, active) VALUES ('00000000-0000-4000-8000-00000000000d', NULL, 'card', false);
