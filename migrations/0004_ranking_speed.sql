-- A 512-D vector (2,056 bytes) is just over PostgreSQL's 2 KB TOAST threshold: stored out of line, every read of
-- it is a detoast (seen as ~50 buffer hits per candidate when ranking). MAIN keeps vectors in the row (vectors
-- written before this migration move in when rewritten, e.g. by VACUUM FULL embeddings).
-- Benchmark history of the function changes this migration made: docs/ranking-sql.md.
ALTER TABLE embeddings ALTER COLUMN embedding SET STORAGE MAIN;
