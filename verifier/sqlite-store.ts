/**
 * The verifier's store on SQLite (better-sqlite3): the embedded default, one file in the data
 * folder (`data/verifier/verifier.sqlite`, mode 0600), WAL with `synchronous = FULL`, so a
 * consumed challenge stays consumed across a crash. Challenge consumption is one conditional
 * UPDATE in the same transaction as its receipt; SQLite serialises writers, so of two
 * concurrent consumers (threads or processes) exactly one changes the row.
 */
import type Database from "better-sqlite3";
import type { KeyHash } from "../core/circuit-release.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { predicatesToJson } from "../core/proof-request.js";
import {
  EMPTY_LOG_HEAD,
  type LogEntry,
  type LogHash,
  type LogHead,
  nextEntry,
} from "../core/receipt-log.js";
import type { VerificationKey } from "../infra/artifacts.js";
import { isSqliteBusy, openSqlite, sqliteCode } from "../infra/sqlite.js";
import type { PolicyDefinition, ResolvedPredicate, StoredPolicy } from "./policy.js";
import type {
  ApiKeyRecord,
  ApiKeyRole,
  ChallengeRecord,
  ConsumeOutcome,
  ExternalCircuit,
  FlowQuery,
  FlowRow,
  Receipt,
  ReceiptQuery,
  ReceiptStats,
  VerifierStore,
} from "./store.js";
import {
  FLOW_BUCKETS,
  linkedRootsOf,
  linkedRootsToJson,
  logReceipt,
  NO_ISSUER,
  predicatesFromStored,
  statementFromJson,
  statementToJson,
} from "./store.js";

/**
 * The store's schema version; an older database is upgraded when it opens (`UPGRADES`), a newer
 * one is refused. Tables added since version 1 (`external_circuits`) are made by
 * `CREATE TABLE IF NOT EXISTS`, and an older crossproof ignores them, so adding one is not a new
 * version; a changed table is.
 */
const VERSION = 4;

/** The API key roles the `api_keys` table accepts. */
const API_KEY_TABLE = (name: string) => `CREATE TABLE ${name} (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('client', 'admin', 'auditor')),
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT`;

/**
 * Version 2 admits the `auditor` role. SQLite cannot change a CHECK constraint in place, so the
 * table is rebuilt (nothing references it) inside the upgrade's transaction.
 */
const UPGRADES: Readonly<Record<number, (db: Database.Database) => void>> = {
  2: (db) => {
    db.exec(`${API_KEY_TABLE("api_keys_v2")};
      INSERT INTO api_keys_v2 SELECT id, name, role, secret_hash, created_at, revoked_at FROM api_keys;
      DROP TABLE api_keys;
      ALTER TABLE api_keys_v2 RENAME TO api_keys;`);
  },
  // Version 3 chains the receipts into the receipt log: each gets its sequence number, its
  // predecessor's hash and its own, the existing ones in the order they were made.
  3: (db) => {
    db.exec(`ALTER TABLE receipts ADD COLUMN seq INTEGER;
      ALTER TABLE receipts ADD COLUMN prev TEXT;
      ALTER TABLE receipts ADD COLUMN hash TEXT;`);
    const update = db.prepare("UPDATE receipts SET seq = ?, prev = ?, hash = ? WHERE id = ?");
    let head: LogHead = EMPTY_LOG_HEAD;
    for (const row of db
      .prepare("SELECT * FROM receipts ORDER BY created_at, id")
      .all() as ReceiptRow[]) {
      const entry = nextEntry(head, logReceipt(toReceipt(row)));
      update.run(entry.seq, entry.prev, entry.hash, row.id);
      head = { count: entry.seq, head: entry.hash };
    }
  },
  // Version 4 keeps a `query_v2` challenge's statement (its set tables, link choices and linked
  // records) beside the `query` columns; the challenges already issued are `query` ones (NULL).
  // A linked receipt also keeps its further records' roots and issuers.
  4: (db) => {
    db.exec(`ALTER TABLE challenges ADD COLUMN statement TEXT;
      ALTER TABLE receipts ADD COLUMN linked TEXT;`);
  },
};

/** Made after the upgrades (an older database has no `seq` column before them). */
const LOG_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS receipts_by_seq ON receipts (seq)";

/**
 * How long one statement waits, synchronously, for another connection's lock. better-sqlite3
 * blocks the event loop while it waits, so this stays short: longer waits are the retries below.
 */
const BUSY_TIMEOUT_MS = 20;

/** Default time a call keeps retrying a locked database, without blocking, before it gives up. */
export const DEFAULT_LOCK_WAIT_MS = 2_000;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS policies (
  id TEXT PRIMARY KEY,
  definition TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS challenges (
  id TEXT PRIMARY KEY,
  policy_id TEXT NOT NULL REFERENCES policies(id),
  nonce TEXT NOT NULL,
  schema_id TEXT NOT NULL,
  query_hash TEXT NOT NULL,
  predicates TEXT NOT NULL,
  query TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  client_id TEXT NOT NULL,
  consumed_at INTEGER,
  receipt_id TEXT,
  statement TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS challenges_by_expiry ON challenges (expires_at);
CREATE TABLE IF NOT EXISTS receipts (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  policy_id TEXT NOT NULL,
  challenge_id TEXT,
  root TEXT,
  issuer TEXT,
  verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
  reasons TEXT NOT NULL,
  client_id TEXT NOT NULL,
  seq INTEGER,
  prev TEXT,
  hash TEXT,
  linked TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS receipts_by_time ON receipts (created_at);
CREATE INDEX IF NOT EXISTS receipts_by_client ON receipts (client_id, created_at);
CREATE INDEX IF NOT EXISTS receipts_by_policy ON receipts (policy_id, created_at);
${API_KEY_TABLE("IF NOT EXISTS api_keys")};
CREATE TABLE IF NOT EXISTS external_circuits (
  name TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  verification_key TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
`;

interface ChallengeRow {
  id: string;
  policy_id: string;
  nonce: string;
  schema_id: string;
  query_hash: string;
  predicates: string;
  query: string;
  issued_at: number;
  expires_at: number;
  client_id: string;
  consumed_at: number | null;
  receipt_id: string | null;
  statement: string | null;
}

interface ReceiptRow {
  id: string;
  created_at: number;
  policy_id: string;
  challenge_id: string | null;
  root: string | null;
  issuer: string | null;
  verified: number;
  reasons: string;
  client_id: string;
  seq: number | null;
  prev: string | null;
  hash: string | null;
  linked?: string | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  role: ApiKeyRole;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
}

type WirePredicate = { op: number; i: number; j: number; a: string; b: string };

function toChallenge(row: ChallengeRow): ChallengeRecord {
  return {
    id: row.id,
    policyId: row.policy_id,
    nonce: BigInt(row.nonce),
    schemaId: BigInt(row.schema_id),
    queryHash: BigInt(row.query_hash),
    predicates: predicatesFromStored(JSON.parse(row.predicates) as WirePredicate[]),
    query: JSON.parse(row.query) as ResolvedPredicate[],
    ...statementFromJson(row.statement === null ? null : JSON.parse(row.statement)),
    issuedAt: new Date(row.issued_at),
    expiresAt: new Date(row.expires_at),
    clientId: row.client_id,
    consumedAt: row.consumed_at === null ? null : new Date(row.consumed_at),
    receiptId: row.receipt_id,
  };
}

function toReceipt(row: ReceiptRow): Receipt {
  return {
    id: row.id,
    createdAt: new Date(row.created_at),
    policyId: row.policy_id,
    challengeId: row.challenge_id,
    root: row.root === null ? null : BigInt(row.root),
    issuer: row.issuer,
    verified: row.verified === 1,
    reasons: JSON.parse(row.reasons) as string[],
    clientId: row.client_id,
    // A row read during an upgrade from before version 4 has no such column.
    ...linkedRootsOf(row.linked ? JSON.parse(row.linked) : null),
  };
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    secretHash: row.secret_hash,
    createdAt: new Date(row.created_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

function toPolicy(row: { definition: string; created_at: string }): StoredPolicy {
  return {
    definition: JSON.parse(row.definition) as PolicyDefinition,
    createdAt: new Date(row.created_at),
  };
}

interface ExternalCircuitRow {
  name: string;
  version: string;
  key_hash: string;
  verification_key: string;
  created_at: number;
}

function toExternalCircuit(row: ExternalCircuitRow): ExternalCircuit {
  return {
    name: row.name,
    version: row.version,
    keyHash: row.key_hash as KeyHash,
    verificationKey: JSON.parse(row.verification_key) as VerificationKey,
    createdAt: new Date(row.created_at),
  };
}

function unavailable(action: string, err: unknown): CrossproofError {
  // SQLite's code names the condition (busy, full, I/O error, corrupt, read-only); never any data.
  const code = sqliteCode(err);
  return new CrossproofError(
    ErrorCode.STORE_UNAVAILABLE,
    `the verifier database cannot ${action}${code === undefined ? "" : ` (${code})`}; nothing was changed`,
    {
      cause: err,
      details: { retryAfterSeconds: 1, ...(code === undefined ? {} : { sqlite: code }) },
    },
  );
}

/** Options of {@link SqliteVerifierStore.open}. */
export interface SqliteStoreOptions {
  /**
   * How long a call retries while another connection holds a lock, in ms (default
   * {@link DEFAULT_LOCK_WAIT_MS}); then `STORE_UNAVAILABLE`. The event loop runs meanwhile.
   */
  readonly lockWaitMs?: number;
}

/** The SQLite verifier store. Open with `SqliteVerifierStore.open(path)`. */
export class SqliteVerifierStore implements VerifierStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #lockWaitMs: number;

  private constructor(path: string, db: Database.Database, lockWaitMs: number) {
    this.path = path;
    this.#db = db;
    this.#statements = prepare(db);
    this.#lockWaitMs = lockWaitMs;
  }

  /** Opens (or creates, mode 0600) the store at `path`. `STORE_UNAVAILABLE` if it cannot. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteVerifierStore {
    const lockWaitMs = options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
    if (!Number.isInteger(lockWaitMs) || lockWaitMs < 0) {
      throw new RangeError(`lockWaitMs must be a non-negative integer, not ${lockWaitMs}`);
    }
    const db = openSqlite(path, {
      ddl: DDL,
      version: VERSION,
      upgrades: UPGRADES,
      busyTimeoutMs: BUSY_TIMEOUT_MS,
      fail: (message, cause) =>
        new CrossproofError(ErrorCode.STORE_UNAVAILABLE, `the verifier database: ${message}`, {
          cause,
        }),
    });
    db.exec(LOG_INDEX);
    return new SqliteVerifierStore(path, db, lockWaitMs);
  }

  /**
   * Runs one statement or transaction. A failure changed nothing (a transaction rolls back), so
   * a locked database is retried, with the event loop free between attempts, for up to the
   * lock wait; any SQLite failure then is `STORE_UNAVAILABLE`.
   */
  async #run<T>(action: string, work: () => T): Promise<T> {
    const deadline = performance.now() + this.#lockWaitMs;
    for (let pause = 5; ; pause = Math.min(2 * pause, 200)) {
      try {
        return work();
      } catch (err) {
        if (err instanceof CrossproofError) throw err;
        const left = deadline - performance.now();
        if (!isSqliteBusy(err) || left <= 0 || !this.#db.open) throw unavailable(action, err);
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
      }
    }
  }

  createPolicy(definition: PolicyDefinition, createdAt: Date): Promise<StoredPolicy> {
    return this.#run("store the policy", () => {
      const result = this.#statements.insertPolicy.run(
        definition.id,
        JSON.stringify(definition),
        createdAt.toISOString(),
      );
      if (result.changes === 0) {
        throw new CrossproofError(
          ErrorCode.POLICY_EXISTS,
          `a policy "${definition.id}" exists: policies are immutable, give the new one another id`,
          { details: { policyId: definition.id } },
        );
      }
      return { definition, createdAt };
    });
  }

  getPolicy(id: string): Promise<StoredPolicy | null> {
    return this.#run("read the policy", () => {
      const row = this.#statements.getPolicy.get(id) as
        | { definition: string; created_at: string }
        | undefined;
      return row ? toPolicy(row) : null;
    });
  }

  listPolicies(): Promise<StoredPolicy[]> {
    return this.#run("list the policies", () =>
      (this.#statements.listPolicies.all() as { definition: string; created_at: string }[]).map(
        toPolicy,
      ),
    );
  }

  insertChallenge(c: ChallengeRecord): Promise<void> {
    return this.#run("store the challenge", () => {
      this.#statements.insertChallenge.run(
        c.id,
        c.policyId,
        c.nonce.toString(),
        c.schemaId.toString(),
        c.queryHash.toString(),
        JSON.stringify(predicatesToJson(c.predicates)),
        JSON.stringify(c.query),
        c.issuedAt.getTime(),
        c.expiresAt.getTime(),
        c.clientId,
        c.circuit === "query" ? null : JSON.stringify(statementToJson(c)),
      );
    });
  }

  getChallenge(id: string): Promise<ChallengeRecord | null> {
    return this.#run("read the challenge", () => {
      const row = this.#statements.getChallenge.get(id) as ChallengeRow | undefined;
      return row ? toChallenge(row) : null;
    });
  }

  consumeChallenge(challengeId: string, receipt: Receipt): Promise<ConsumeOutcome> {
    return this.#run("record the verification", () =>
      this.#db
        .transaction((): ConsumeOutcome => {
          const at = receipt.createdAt.getTime();
          const changed = this.#statements.consume.run(
            at,
            receipt.id,
            challengeId,
            receipt.clientId,
            at,
          ).changes;
          if (changed === 1) {
            this.#insertReceipt(receipt);
            return "consumed";
          }
          const row = this.#statements.getChallenge.get(challengeId) as ChallengeRow | undefined;
          if (!row || row.client_id !== receipt.clientId) return "unknown";
          return row.consumed_at !== null ? "already-consumed" : "expired";
        })
        .immediate(),
    );
  }

  purgeExpiredChallenges(before: Date): Promise<number> {
    return this.#run(
      "purge expired challenges",
      () => this.#statements.purge.run(before.getTime()).changes,
    );
  }

  /** Stores a receipt as the log's next entry; called inside a write transaction. */
  #insertReceipt(r: Receipt): void {
    const last = this.#statements.logHead.get() as { seq: number; hash: string } | undefined;
    const head: LogHead = last ? { count: last.seq, head: last.hash as LogHash } : EMPTY_LOG_HEAD;
    const entry = nextEntry(head, logReceipt(r));
    this.#statements.insertReceipt.run(
      r.id,
      r.createdAt.getTime(),
      r.policyId,
      r.challengeId,
      r.root === null ? null : r.root.toString(),
      r.issuer,
      r.verified ? 1 : 0,
      JSON.stringify(r.reasons),
      r.clientId,
      entry.seq,
      entry.prev,
      entry.hash,
      r.linked === undefined ? null : JSON.stringify(linkedRootsToJson(r.linked)),
    );
  }

  insertReceipt(receipt: Receipt): Promise<void> {
    return this.#run("store the receipt", () =>
      this.#db.transaction(() => this.#insertReceipt(receipt)).immediate(),
    );
  }

  logEntries(after: number, limit: number): Promise<LogEntry[]> {
    return this.#run("read the receipt log", () =>
      (this.#statements.logEntries.all(after, limit) as ReceiptRow[]).map((row) => ({
        seq: row.seq as number,
        prev: row.prev as LogHash,
        hash: row.hash as LogHash,
        receipt: logReceipt(toReceipt(row)),
      })),
    );
  }

  logHead(): Promise<LogHead> {
    return this.#run("read the receipt log", () => {
      const last = this.#statements.logHead.get() as { seq: number; hash: string } | undefined;
      return last ? { count: last.seq, head: last.hash as LogHash } : EMPTY_LOG_HEAD;
    });
  }

  flows(q: FlowQuery): Promise<FlowRow[]> {
    const size = FLOW_BUCKETS[q.bucket];
    return this.#run("count the verifications", () =>
      (
        this.#statements.flows[q.by].all(size, size, q.from.getTime(), q.to.getTime()) as {
          bucket: number;
          key: string;
          count: number;
        }[]
      ).map((r) => ({ bucket: new Date(r.bucket), key: r.key, count: r.count })),
    );
  }

  getReceipt(id: string): Promise<Receipt | null> {
    return this.#run("read the receipt", () => {
      const row = this.#statements.getReceipt.get(id) as ReceiptRow | undefined;
      return row ? toReceipt(row) : null;
    });
  }

  listReceipts(query: ReceiptQuery): Promise<Receipt[]> {
    const where: string[] = [];
    const values: (string | number)[] = [];
    if (query.clientId !== undefined) {
      where.push("client_id = ?");
      values.push(query.clientId);
    }
    if (query.verified !== undefined) {
      where.push("verified = ?");
      values.push(query.verified ? 1 : 0);
    }
    if (query.policyId !== undefined) {
      where.push("policy_id = ?");
      values.push(query.policyId);
    }
    if (query.reason !== undefined) {
      where.push("EXISTS (SELECT 1 FROM json_each(receipts.reasons) WHERE json_each.value = ?)");
      values.push(query.reason);
    }
    if (query.from !== undefined) {
      where.push("created_at >= ?");
      values.push(query.from.getTime());
    }
    if (query.to !== undefined) {
      where.push("created_at < ?");
      values.push(query.to.getTime());
    }
    if (query.before !== undefined) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      const at = query.before.createdAt.getTime();
      values.push(at, at, query.before.id);
    }
    values.push(query.limit);
    const sql = `SELECT * FROM receipts${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
      ORDER BY created_at DESC, id DESC LIMIT ?`;
    return this.#run("list the receipts", () =>
      (this.#db.prepare(sql).all(...values) as ReceiptRow[]).map(toReceipt),
    );
  }

  receiptStats(from: Date, to: Date, topReasons: number): Promise<ReceiptStats> {
    return this.#run("count the receipts", () => {
      const window = [from.getTime(), to.getTime()];
      const minutes = this.#statements.receiptsPerMinute.all(...window) as {
        minute: number;
        verified: number;
        refused: number;
      }[];
      const reasons = this.#statements.topReasons.all(...window, topReasons) as {
        reason: string;
        count: number;
      }[];
      return {
        perMinute: minutes.map((m) => ({
          minute: new Date(m.minute),
          verified: m.verified,
          refused: m.refused,
        })),
        topReasons: reasons.map((r) => ({ reason: r.reason, count: r.count })),
      };
    });
  }

  putApiKey(key: ApiKeyRecord): Promise<void> {
    return this.#run("store the API key", () => {
      this.#statements.putApiKey.run(
        key.id,
        key.name,
        key.role,
        key.secretHash,
        key.createdAt.getTime(),
        key.revokedAt?.getTime() ?? null,
      );
    });
  }

  getApiKey(id: string): Promise<ApiKeyRecord | null> {
    return this.#run("read the API key", () => {
      const row = this.#statements.getApiKey.get(id) as ApiKeyRow | undefined;
      return row ? toApiKey(row) : null;
    });
  }

  listApiKeys(): Promise<ApiKeyRecord[]> {
    return this.#run("list the API keys", () =>
      (this.#statements.listApiKeys.all() as ApiKeyRow[]).map(toApiKey),
    );
  }

  revokeApiKey(id: string, at: Date): Promise<boolean> {
    return this.#run(
      "revoke the API key",
      () => this.#statements.revokeApiKey.run(at.getTime(), id).changes === 1,
    );
  }

  insertExternalCircuit(c: ExternalCircuit): Promise<boolean> {
    return this.#run(
      "store the circuit",
      () =>
        this.#statements.insertExternalCircuit.run(
          c.name,
          c.version,
          c.keyHash,
          JSON.stringify(c.verificationKey),
          c.createdAt.getTime(),
        ).changes === 1,
    );
  }

  getExternalCircuit(name: string): Promise<ExternalCircuit | null> {
    return this.#run("read the circuit", () => {
      const row = this.#statements.getExternalCircuit.get(name) as ExternalCircuitRow | undefined;
      return row ? toExternalCircuit(row) : null;
    });
  }

  listExternalCircuits(): Promise<ExternalCircuit[]> {
    return this.#run("list the circuits", () =>
      (this.#statements.listExternalCircuits.all() as ExternalCircuitRow[]).map(toExternalCircuit),
    );
  }

  ping(): Promise<void> {
    // Reads the file (an exclusive lock or a damaged file fails) and takes the write lock for a
    // moment (a writer holding it too long fails), writing nothing.
    return this.#run("answer", () => {
      this.#statements.ping.get();
      this.#db.transaction(() => undefined).immediate();
    });
  }

  close(): Promise<void> {
    if (this.#db.open) this.#db.close();
    return Promise.resolve();
  }
}

function prepare(db: Database.Database) {
  return {
    insertPolicy: db.prepare(
      "INSERT INTO policies (id, definition, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
    ),
    getPolicy: db.prepare("SELECT definition, created_at FROM policies WHERE id = ?"),
    listPolicies: db.prepare("SELECT definition, created_at FROM policies ORDER BY id"),
    insertChallenge: db.prepare(
      `INSERT INTO challenges (id, policy_id, nonce, schema_id, query_hash, predicates, query,
         issued_at, expires_at, client_id, statement) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    getChallenge: db.prepare("SELECT * FROM challenges WHERE id = ?"),
    consume: db.prepare(
      `UPDATE challenges SET consumed_at = ?, receipt_id = ?
       WHERE id = ? AND client_id = ? AND consumed_at IS NULL AND expires_at > ?`,
    ),
    purge: db.prepare("DELETE FROM challenges WHERE consumed_at IS NULL AND expires_at < ?"),
    insertReceipt: db.prepare(
      `INSERT INTO receipts (id, created_at, policy_id, challenge_id, root, issuer, verified,
         reasons, client_id, seq, prev, hash, linked)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    logHead: db.prepare(
      "SELECT seq, hash FROM receipts WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
    ),
    logEntries: db.prepare("SELECT * FROM receipts WHERE seq > ? ORDER BY seq LIMIT ?"),
    flows: {
      policy: flowStatement(db, "policy_id", "receipts"),
      // A linked verification counts once for each record's issuer.
      issuer: flowStatement(
        db,
        `COALESCE(issuer_of.value, '${NO_ISSUER}')`,
        `receipts, json_each(CASE WHEN receipts.linked IS NULL THEN json_array(receipts.issuer)
           ELSE json_insert((SELECT json_group_array(json_extract(l.value, '$.issuer'))
             FROM json_each(receipts.linked) AS l), '$[#]', receipts.issuer) END) AS issuer_of`,
      ),
      verdict: flowStatement(
        db,
        "CASE verified WHEN 1 THEN 'verified' ELSE 'refused' END",
        "receipts",
      ),
      reason: flowStatement(db, "reason.value", "receipts, json_each(receipts.reasons) AS reason"),
    },
    getReceipt: db.prepare("SELECT * FROM receipts WHERE id = ?"),
    receiptsPerMinute: db.prepare(
      `SELECT (created_at / 60000) * 60000 AS minute, SUM(verified) AS verified,
         SUM(1 - verified) AS refused
       FROM receipts WHERE created_at >= ? AND created_at < ?
       GROUP BY created_at / 60000 ORDER BY minute`,
    ),
    topReasons: db.prepare(
      `SELECT r.value AS reason, COUNT(*) AS count
       FROM receipts, json_each(receipts.reasons) AS r
       WHERE receipts.created_at >= ? AND receipts.created_at < ? AND receipts.verified = 0
       GROUP BY r.value ORDER BY count DESC, reason LIMIT ?`,
    ),
    putApiKey: db.prepare(
      `INSERT INTO api_keys (id, name, role, secret_hash, created_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,
         secret_hash = excluded.secret_hash, revoked_at = excluded.revoked_at`,
    ),
    getApiKey: db.prepare("SELECT * FROM api_keys WHERE id = ?"),
    listApiKeys: db.prepare("SELECT * FROM api_keys ORDER BY created_at, id"),
    revokeApiKey: db.prepare(
      "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
    ),
    insertExternalCircuit: db.prepare(
      `INSERT INTO external_circuits (name, version, key_hash, verification_key, created_at)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
    ),
    getExternalCircuit: db.prepare("SELECT * FROM external_circuits WHERE name = ?"),
    listExternalCircuits: db.prepare("SELECT * FROM external_circuits ORDER BY name"),
    ping: db.prepare("SELECT value FROM meta WHERE key = 'version'"),
  };
}

/** Receipts counted by bucket (ms since the epoch, UTC) and `key`, over `[from, to)`. */
function flowStatement(db: Database.Database, key: string, from: string) {
  // Grouped by position: in GROUP BY, SQLite reads a bare name as a column of the FROM tables
  // before a result alias, and json_each has a column named `key` (the array index), so
  // `GROUP BY key` grouped the reasons, and the issuers of linked receipts, by their index.
  return db.prepare(
    `SELECT (created_at / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS bucket, ${key} AS key, COUNT(*) AS count FROM ${from}
     WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2 ORDER BY 1, 2`,
  );
}
