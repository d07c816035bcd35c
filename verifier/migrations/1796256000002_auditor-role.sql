-- Version 3 of the verifier's PostgreSQL schema: API keys may have the `auditor` role (issue 18),
-- a read-only key that sees flows in aggregate and the receipt log, never a subject or a client's
-- receipt in detail. The SQLite store's version 2 makes the same change.

-- Up Migration
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
  CHECK (role IN ('client', 'admin', 'auditor'));

-- Down Migration
DELETE FROM api_keys WHERE role = 'auditor';
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('client', 'admin'));
