-- Version 6 of the verifier's PostgreSQL schema (issue 19): a `query_v2` challenge's statement
-- (its set tables, link choices and linked records) beside the `query` columns, and a linked
-- receipt's further records (each one's root and issuer). Both are NULL for what came before:
-- `query` challenges, single-record receipts. The SQLite store adds the same columns (its
-- version 4).

-- Up Migration
ALTER TABLE challenges ADD COLUMN statement json;
ALTER TABLE receipts ADD COLUMN linked json;

-- Down Migration
ALTER TABLE receipts DROP COLUMN linked;
ALTER TABLE challenges DROP COLUMN statement;
