-- The verifier's PostgreSQL schema, version 1: the same tables as the SQLite store
-- (verifier/sqlite-store.ts). Run by node-pg-migrate from verifier/postgres-store.ts when a
-- store opens; applied once per schema, under an advisory lock, so instances starting together
-- migrate once. Big integers (nonces, schema ids, query hashes, roots) are numeric(78, 0):
-- exact, and below 10^78 > 2^256. JSON documents are `json` (kept as written).

-- Up Migration
CREATE TABLE policies (
  id text PRIMARY KEY,
  definition json NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE challenges (
  id text PRIMARY KEY,
  policy_id text NOT NULL REFERENCES policies (id),
  nonce numeric(78, 0) NOT NULL,
  schema_id numeric(78, 0) NOT NULL,
  query_hash numeric(78, 0) NOT NULL,
  predicates json NOT NULL,
  query json NOT NULL,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  client_id text NOT NULL,
  consumed_at timestamptz,
  receipt_id text
);
-- The purge reads only unused challenges by expiry.
CREATE INDEX challenges_unused_by_expiry ON challenges (expires_at) WHERE consumed_at IS NULL;

CREATE TABLE receipts (
  id text PRIMARY KEY,
  created_at timestamptz NOT NULL,
  policy_id text NOT NULL,
  challenge_id text,
  root numeric(78, 0),
  issuer text,
  verified boolean NOT NULL,
  reasons json NOT NULL,
  client_id text NOT NULL
);
CREATE INDEX receipts_by_time ON receipts (created_at);
CREATE INDEX receipts_by_challenge ON receipts (challenge_id);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('client', 'admin')),
  secret_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);

-- Down Migration
DROP TABLE api_keys;
DROP TABLE receipts;
DROP TABLE challenges;
DROP TABLE policies;
