-- Version 2 of the verifier's PostgreSQL schema: external circuits (issue 16), the verification
-- keys of other systems' circom/snarkjs Groth16 circuits that the admin registers through
-- `POST /v1/circuits`. The key is kept as written (json); its hash is the sha256 of its RFC 8785
-- canonical JSON, as registered on chain. The SQLite store has the same table.

-- Up Migration
CREATE TABLE external_circuits (
  name text PRIMARY KEY,
  version text NOT NULL,
  key_hash text NOT NULL,
  verification_key json NOT NULL,
  created_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE external_circuits;
