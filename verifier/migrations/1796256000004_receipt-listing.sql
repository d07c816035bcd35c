-- Version 5 of the verifier's PostgreSQL schema: indexes for listing receipts (issue 18, the
-- console's `GET /v1/receipts`): a client's own receipts and one policy's, newest first. The
-- SQLite store makes the same indexes (`CREATE INDEX IF NOT EXISTS`).

-- Up Migration
CREATE INDEX receipts_by_client ON receipts (client_id, created_at);
CREATE INDEX receipts_by_policy ON receipts (policy_id, created_at);

-- Down Migration
DROP INDEX receipts_by_policy;
DROP INDEX receipts_by_client;
