-- Version 6 of the verifier's PostgreSQL schema: a `query_v2` challenge's statement (issue 19):
-- its set tables, link choices and linked records, beside the `query` columns (NULL for a
-- `query` challenge, as every challenge issued before this version is). The SQLite store adds
-- the same column (its version 4).

-- Up Migration
ALTER TABLE challenges ADD COLUMN statement json;

-- Down Migration
ALTER TABLE challenges DROP COLUMN statement;
