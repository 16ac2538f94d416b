-- pgvector >= 0.8 (iterative index scans keep tenant-filtered HNSW searches complete).
CREATE EXTENSION IF NOT EXISTS vector;--> statement-breakpoint
DO $$
DECLARE
  installed text := (SELECT extversion FROM pg_extension WHERE extname = 'vector');
BEGIN
  IF string_to_array(split_part(installed, '-', 1), '.')::int[] < ARRAY[0, 8] THEN
    RAISE EXCEPTION 'pgvector % is installed; Shortlist needs 0.8 or newer (ALTER EXTENSION vector UPDATE after upgrading the package)', installed;
  END IF;
END
$$;
