-- Version 4 of the verifier's PostgreSQL schema: the receipt log (issue 18). Each receipt is the
-- next entry of one hash chain: its sequence number, its predecessor's hash and its own
-- (`core/receipt-log.ts`). The head (count and last hash) is one row, locked (SELECT … FOR UPDATE)
-- by the transaction that appends a receipt, so instances sharing the database append one at a
-- time. Receipts stored before this migration are chained by the store when it opens (the hash
-- is computed in TypeScript), in the order they were made; the SQLite store's version 3 does
-- the same.

-- Up Migration
ALTER TABLE receipts ADD COLUMN seq bigint UNIQUE;
ALTER TABLE receipts ADD COLUMN prev text;
ALTER TABLE receipts ADD COLUMN hash text;
CREATE INDEX receipts_unsequenced ON receipts (created_at, id) WHERE seq IS NULL;
CREATE TABLE receipt_log_head (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  count bigint NOT NULL,
  head text NOT NULL
);
INSERT INTO receipt_log_head (id, count, head)
  VALUES (true, 0, '0x0000000000000000000000000000000000000000000000000000000000000000');

-- Down Migration
DROP TABLE receipt_log_head;
DROP INDEX receipts_unsequenced;
ALTER TABLE receipts DROP COLUMN hash;
ALTER TABLE receipts DROP COLUMN prev;
ALTER TABLE receipts DROP COLUMN seq;
