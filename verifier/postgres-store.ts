/**
 * The verifier's store on PostgreSQL (node-postgres, one pool per instance): the shared state of
 * several verifier instances (`CROSSPROOF_DATABASE_URL`). Behaves as the SQLite store does (one
 * contract test suite runs against both):
 *
 * - a challenge is consumed by one conditional `UPDATE … WHERE consumed_at IS NULL AND
 *   expires_at > now` and its receipt's `INSERT`, in one transaction. Under READ COMMITTED a
 *   second, concurrent `UPDATE` of the row waits for the first transaction, then re-checks its
 *   condition on the committed row and changes nothing: of any number of instances exactly one
 *   consumes it;
 * - the receipt log: a receipt is stored (and its transaction committed) without its place in the
 *   log, then chained — with every other receipt waiting — in one transaction holding the head
 *   row (`receipt_log_head`, `SELECT … FOR UPDATE`), before the call returns. Instances chain
 *   one batch at a time, so commits are not serialised per receipt (a lock taken inside each
 *   receipt's transaction was: it cut the decisions per second to a quarter, `bench:store`);
 * - purging expired challenges is one `DELETE` of unused, long-expired rows: several instances
 *   running it at once delete each row once, and never touch a row a consumption could still
 *   change (its expiry is past);
 * - a database that cannot be reached or used is `STORE_UNAVAILABLE` (503, `Retry-After`) with
 *   the PostgreSQL error code in `details.postgres`, never its URL or password; the pool opens
 *   new connections by itself once the server is back.
 *
 * The schema is made and upgraded by node-pg-migrate from the SQL files in
 * `verifier/migrations/` when a store opens (under an advisory lock, so instances starting
 * together apply each migration once). A database migrated by a newer crossproof is refused.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { runner } from "node-pg-migrate";
import pg from "pg";
import type { KeyHash } from "../core/circuit-release.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { predicatesToJson } from "../core/proof-request.js";
import { type LogEntry, type LogHash, type LogHead, nextEntry } from "../core/receipt-log.js";
import type { VerificationKey } from "../infra/artifacts.js";
import { PROJECT_ROOT } from "../infra/paths.js";
import { shownUrl } from "../infra/service-url.js";
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
  linkedRootsOf,
  linkedRootsToJson,
  logReceipt,
  NO_ISSUER,
  predicatesFromStored,
  statementFromJson,
  statementToJson,
} from "./store.js";

/** The folder of the store's migrations (SQL files applied in name order). */
export const MIGRATIONS_DIR = join(PROJECT_ROOT, "verifier", "migrations");

/** The table where node-pg-migrate records the migrations it applied. */
const MIGRATIONS_TABLE = "crossproof_migrations";

/** Defaults of {@link PostgresStoreOptions}. */
const DEFAULTS = { poolSize: 10, connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 };

/** Options of {@link PostgresVerifierStore.open}. */
export interface PostgresStoreOptions {
  /**
   * The schema holding the tables (default `public`), made if missing. Lets several stores (tests,
   * or deployments) share one database.
   */
  readonly schema?: string;
  /** Connections in this instance's pool (default 10). */
  readonly poolSize?: number;
  /** How long a call waits for a connection before `STORE_UNAVAILABLE` (default 2,000 ms). */
  readonly connectTimeoutMs?: number;
  /** How long one statement may run before `STORE_UNAVAILABLE` (default 5,000 ms). */
  readonly queryTimeoutMs?: number;
}

type WirePredicate = { op: number; i: number; j: number; a: string; b: string };

interface ChallengeRow {
  id: string;
  policy_id: string;
  nonce: string;
  schema_id: string;
  query_hash: string;
  predicates: WirePredicate[];
  query: ResolvedPredicate[];
  issued_at: Date;
  expires_at: Date;
  client_id: string;
  consumed_at: Date | null;
  receipt_id: string | null;
  statement: ReturnType<typeof statementToJson>;
}

interface ReceiptRow {
  id: string;
  created_at: Date;
  policy_id: string;
  challenge_id: string | null;
  root: string | null;
  issuer: string | null;
  verified: boolean;
  reasons: string[];
  client_id: string;
  seq: string | null;
  prev: string | null;
  hash: string | null;
  linked?: { root: string; issuer: string | null }[] | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  role: ApiKeyRole;
  secret_hash: string;
  created_at: Date;
  revoked_at: Date | null;
}

interface PolicyRow {
  definition: PolicyDefinition;
  created_at: Date;
}

function toChallenge(row: ChallengeRow): ChallengeRecord {
  return {
    id: row.id,
    policyId: row.policy_id,
    nonce: BigInt(row.nonce),
    schemaId: BigInt(row.schema_id),
    queryHash: BigInt(row.query_hash),
    predicates: predicatesFromStored(row.predicates),
    query: row.query,
    ...statementFromJson(row.statement),
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    clientId: row.client_id,
    consumedAt: row.consumed_at,
    receiptId: row.receipt_id,
  };
}

function toReceipt(row: ReceiptRow): Receipt {
  return {
    id: row.id,
    createdAt: row.created_at,
    policyId: row.policy_id,
    challengeId: row.challenge_id,
    root: row.root === null ? null : BigInt(row.root),
    issuer: row.issuer,
    verified: row.verified,
    reasons: row.reasons,
    clientId: row.client_id,
    ...linkedRootsOf(row.linked ?? null),
  };
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * PostgreSQL's code of a failed call: its SQLSTATE (`57P01` admin shutdown, `08006` connection
 * failure, …), the socket's (`ECONNREFUSED`), or `CONNECTION` for node-postgres's own connection
 * errors (a lost connection, a connect timeout, a closed pool), which carry no code.
 */
export function postgresCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code !== "" ? code : "CONNECTION";
}

function unavailable(
  action: string,
  err: unknown,
  outcome = "nothing was changed",
): CrossproofError {
  const code = postgresCode(err);
  // Only the code: node-postgres's messages can quote values of the statement.
  return new CrossproofError(
    ErrorCode.STORE_UNAVAILABLE,
    `the verifier database (PostgreSQL) cannot ${action} (${code}); ${outcome}`,
    { details: { retryAfterSeconds: 1, postgres: code } },
  );
}

/** PostgreSQL's text cannot hold U+0000; SQLite's can. Refused up front, with the field named. */
function refuseNul(value: string, what: string): void {
  if (value.includes("\u0000")) {
    throw new CrossproofError(ErrorCode.INVALID_REQUEST, `${what} must not contain U+0000`);
  }
}

/** A 48-bit advisory lock number for migrating one schema (schemas migrate independently). */
function migrationLock(schema: string): number {
  return Number.parseInt(
    createHash("sha256").update(`crossproof-migrate:${schema}`).digest("hex").slice(0, 12),
    16,
  );
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Pool clients given an error listener by `#connect` (a client is reused: one listener each). */
const LISTENED = new WeakSet<pg.PoolClient>();

/** The PostgreSQL verifier store. Open with `PostgresVerifierStore.open(url)`. */
export class PostgresVerifierStore implements VerifierStore {
  /** The database URL without its password (for messages). */
  readonly shownUrl: string;
  readonly schema: string;
  readonly #pool: pg.Pool;
  #closed = false;
  #chaining: Promise<void> | undefined;
  #chainingNext: Promise<void> | undefined;

  private constructor(pool: pg.Pool, url: string, schema: string) {
    this.#pool = pool;
    this.shownUrl = shownUrl(url);
    this.schema = schema;
  }

  /**
   * Connects to `url` (`postgres://…`), applies the migrations the database lacks, and returns
   * the store. `STORE_UNAVAILABLE` naming PostgreSQL's host (never the password) if it cannot.
   */
  static async open(
    url: string,
    options: PostgresStoreOptions = {},
  ): Promise<PostgresVerifierStore> {
    const schema = options.schema ?? "public";
    if (!SCHEMA_NAME.test(schema)) {
      throw new RangeError(`schema must match ${SCHEMA_NAME}, not "${schema}"`);
    }
    const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULTS.queryTimeoutMs;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? DEFAULTS.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      query_timeout: queryTimeoutMs,
      statement_timeout: queryTimeoutMs,
      idleTimeoutMillis: 10_000,
      keepAlive: true,
      application_name: "crossproof-verifier",
      // Every connection of the pool works in the store's schema.
      options: `-c search_path=${schema}`,
    });
    // An idle connection that the server drops (a restart) is reported here; without a
    // listener node would end the process. The pool replaces it on the next call.
    pool.on("error", () => undefined);
    const store = new PostgresVerifierStore(pool, url, schema);
    try {
      await store.#migrate();
      await store.#chainUnsequenced();
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (err instanceof CrossproofError) throw err;
      throw new CrossproofError(
        ErrorCode.STORE_UNAVAILABLE,
        `the verifier database (PostgreSQL at ${store.shownUrl}) cannot be opened (${postgresCode(err)})`,
        { details: { retryAfterSeconds: 1, postgres: postgresCode(err), service: "postgres" } },
      );
    }
    return store;
  }

  /**
   * A client of the pool, listened to while it is checked out: a connection the server drops
   * between two queries of a transaction (a restart, an immediate shutdown) is reported as an
   * `error` event on its client, which without a listener would end the process (the pool
   * listens only to idle clients). The next query on it then fails, and it is released as broken.
   */
  async #connect(): Promise<pg.PoolClient> {
    const client = await this.#pool.connect();
    if (!LISTENED.has(client)) {
      client.on("error", () => undefined);
      LISTENED.add(client);
    }
    return client;
  }

  /** `#connect` for `action`: no connection is `STORE_UNAVAILABLE` saying what could not be done. */
  async #checkout(action: string): Promise<pg.PoolClient> {
    try {
      return await this.#connect();
    } catch (err) {
      throw unavailable(action, err);
    }
  }

  /** Applies the missing migrations; refuses a database migrated by a newer crossproof. */
  async #migrate(): Promise<void> {
    const client = await this.#connect();
    try {
      await runner({
        dbClient: client,
        dir: MIGRATIONS_DIR,
        direction: "up",
        migrationsTable: MIGRATIONS_TABLE,
        schema: this.schema,
        createSchema: true,
        checkOrder: true,
        singleTransaction: true,
        advisoryLockMode: "wait",
        lockValue: migrationLock(this.schema),
        log: () => undefined,
      });
      const known = new Set(
        readdirSync(MIGRATIONS_DIR)
          .filter((f) => f.endsWith(".sql"))
          .map((f) => f.slice(0, -4)),
      );
      const applied = await client.query<{ name: string }>(
        `SELECT name FROM ${pg.escapeIdentifier(this.schema)}.${MIGRATIONS_TABLE} ORDER BY run_on, id`,
      );
      const unknown = applied.rows.map((r) => r.name).filter((n) => !known.has(n));
      if (unknown.length > 0) {
        throw new CrossproofError(
          ErrorCode.STORE_UNAVAILABLE,
          `the verifier database (PostgreSQL at ${this.shownUrl}, schema ${this.schema}) was migrated by a newer crossproof (${unknown.join(", ")}): upgrade this instance`,
          { details: { postgres: "SCHEMA_NEWER", migrations: unknown } },
        );
      }
    } finally {
      client.release();
    }
  }

  /**
   * Appends every receipt stored without a place in the log yet to it, in the order they were
   * made, in one transaction holding the head row: receipts are stored concurrently (their
   * transactions commit together), then chained in batches, so instances wait for each other
   * once per batch instead of once per receipt. Receipts left unchained by a failure (or by an
   * instance that stopped in between) are chained by the next run, of any instance, or on open.
   */
  async #chainUnsequenced(): Promise<void> {
    const client = await this.#connect();
    let broken: Error | boolean = false;
    try {
      const waiting = await client.query("SELECT 1 FROM receipts WHERE seq IS NULL LIMIT 1");
      if (waiting.rowCount === 0) return;
      await client.query("BEGIN");
      let head = await lockHead(client);
      const { rows } = await client.query<ReceiptRow>(
        "SELECT * FROM receipts WHERE seq IS NULL ORDER BY created_at, id",
      );
      const ids: string[] = [];
      const seqs: number[] = [];
      const prevs: string[] = [];
      const hashes: string[] = [];
      for (const row of rows) {
        const entry = nextEntry(head, logReceipt(toReceipt(row)));
        ids.push(row.id);
        seqs.push(entry.seq);
        prevs.push(entry.prev);
        hashes.push(entry.hash);
        head = { count: entry.seq, head: entry.hash };
      }
      await client.query(
        `UPDATE receipts AS r SET seq = v.seq, prev = v.prev, hash = v.hash
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, prev, hash)
         WHERE r.id = v.id`,
        [ids, seqs, prevs, hashes],
      );
      await client.query("UPDATE receipt_log_head SET count = $1, head = $2", [
        head.count,
        head.head,
      ]);
      await client.query("COMMIT");
    } catch (err) {
      broken = err instanceof Error ? err : true;
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * Chains the receipts stored so far (a run that starts after this call), sharing runs: while
   * one runs, the callers that arrive wait for the next, which takes all of theirs at once.
   */
  #chainStored(): Promise<void> {
    if (!this.#chaining) {
      this.#chaining = this.#chainUnsequenced().finally(() => {
        this.#chaining = undefined;
      });
      return this.#chaining;
    }
    this.#chainingNext ??= this.#chaining
      .catch(() => undefined)
      .then(() => {
        this.#chainingNext = undefined;
        return this.#chainStored();
      });
    return this.#chainingNext;
  }

  /** After a receipt is stored: chain it; a failure leaves it for the next run (see above). */
  async #chainAfterStore(): Promise<void> {
    await this.#chainStored().catch(() => undefined);
  }

  /** One statement; any failure of the database is `STORE_UNAVAILABLE`. */
  async #query<R extends pg.QueryResultRow>(
    action: string,
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(text, values);
    } catch (err) {
      throw unavailable(action, err);
    }
  }

  async createPolicy(definition: PolicyDefinition, createdAt: Date): Promise<StoredPolicy> {
    const result = await this.#query(
      "store the policy",
      `INSERT INTO policies (id, definition, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO NOTHING`,
      [definition.id, JSON.stringify(definition), createdAt],
    );
    if (result.rowCount === 0) {
      throw new CrossproofError(
        ErrorCode.POLICY_EXISTS,
        `a policy "${definition.id}" exists: policies are immutable, give the new one another id`,
        { details: { policyId: definition.id } },
      );
    }
    return { definition, createdAt };
  }

  async getPolicy(id: string): Promise<StoredPolicy | null> {
    if (id.includes("\u0000")) return null;
    const { rows } = await this.#query<PolicyRow>(
      "read the policy",
      "SELECT definition, created_at FROM policies WHERE id = $1",
      [id],
    );
    const row = rows[0];
    return row ? { definition: row.definition, createdAt: row.created_at } : null;
  }

  async listPolicies(): Promise<StoredPolicy[]> {
    const { rows } = await this.#query<PolicyRow>(
      "list the policies",
      'SELECT definition, created_at FROM policies ORDER BY id COLLATE "C"',
    );
    return rows.map((row) => ({ definition: row.definition, createdAt: row.created_at }));
  }

  async insertChallenge(c: ChallengeRecord): Promise<void> {
    await this.#query(
      "store the challenge",
      `INSERT INTO challenges (id, policy_id, nonce, schema_id, query_hash, predicates, query,
         issued_at, expires_at, client_id, statement)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        c.id,
        c.policyId,
        c.nonce.toString(),
        c.schemaId.toString(),
        c.queryHash.toString(),
        JSON.stringify(predicatesToJson(c.predicates)),
        JSON.stringify(c.query),
        c.issuedAt,
        c.expiresAt,
        c.clientId,
        c.circuit === "query" ? null : JSON.stringify(statementToJson(c)),
      ],
    );
  }

  async getChallenge(id: string): Promise<ChallengeRecord | null> {
    if (id.includes("\u0000")) return null;
    const { rows } = await this.#query<ChallengeRow>(
      "read the challenge",
      "SELECT * FROM challenges WHERE id = $1",
      [id],
    );
    return rows[0] ? toChallenge(rows[0]) : null;
  }

  async consumeChallenge(challengeId: string, receipt: Receipt): Promise<ConsumeOutcome> {
    if (challengeId.includes("\u0000")) return "unknown";
    const action = "record the verification";
    const client = await this.#checkout(action);
    let committing = false;
    try {
      await client.query("BEGIN");
      const consumed = await client.query(
        `UPDATE challenges SET consumed_at = $1, receipt_id = $2
         WHERE id = $3 AND client_id = $4 AND consumed_at IS NULL AND expires_at > $1`,
        [receipt.createdAt, receipt.id, challengeId, receipt.clientId],
      );
      let outcome: ConsumeOutcome = "consumed";
      if (consumed.rowCount === 1) {
        await client.query(insertReceiptSql, receiptValues(receipt));
      } else {
        // The row as committed now (READ COMMITTED: a new snapshot per statement), so a
        // consumption that won the race a moment ago is seen as such, not as "expired".
        // Another client's challenge is "unknown", as one never issued (ownership, as the
        // verifier's read check has it).
        const { rows } = await client.query<{ consumed: boolean }>(
          "SELECT consumed_at IS NOT NULL AS consumed FROM challenges WHERE id = $1 AND client_id = $2",
          [challengeId, receipt.clientId],
        );
        outcome =
          rows[0] === undefined ? "unknown" : rows[0].consumed ? "already-consumed" : "expired";
      }
      committing = true;
      await client.query("COMMIT");
      client.release();
      if (outcome === "consumed") await this.#chainAfterStore();
      return outcome;
    } catch (err) {
      // A lost connection rolls the transaction back on the server; a connection in an unknown
      // state is destroyed rather than handed to the next caller.
      client.release(err instanceof Error ? err : true);
      throw unavailable(
        action,
        err,
        committing
          ? "the connection was lost while committing: read the challenge to know whether it was consumed"
          : "nothing was changed",
      );
    }
  }

  async purgeExpiredChallenges(before: Date): Promise<number> {
    const result = await this.#query(
      "purge expired challenges",
      "DELETE FROM challenges WHERE consumed_at IS NULL AND expires_at < $1",
      [before],
    );
    return result.rowCount ?? 0;
  }

  async insertReceipt(receipt: Receipt): Promise<void> {
    const action = "store the receipt";
    const client = await this.#checkout(action);
    try {
      await client.query(insertReceiptSql, receiptValues(receipt));
      client.release();
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw unavailable(action, err);
    }
    await this.#chainAfterStore();
  }

  async logEntries(after: number, limit: number): Promise<LogEntry[]> {
    const { rows } = await this.#query<ReceiptRow>(
      "read the receipt log",
      "SELECT * FROM receipts WHERE seq > $1 ORDER BY seq LIMIT $2",
      [after, limit],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      prev: row.prev as LogHash,
      hash: row.hash as LogHash,
      receipt: logReceipt(toReceipt(row)),
    }));
  }

  async logHead(): Promise<LogHead> {
    const { rows } = await this.#query<{ count: string; head: string }>(
      "read the receipt log",
      "SELECT count, head FROM receipt_log_head",
    );
    const row = rows[0];
    if (!row) throw unavailable("read the receipt log", { code: "NO_LOG_HEAD" });
    return { count: Number(row.count), head: row.head as LogHash };
  }

  async flows(q: FlowQuery): Promise<FlowRow[]> {
    const key = {
      policy: "policy_id",
      issuer: `COALESCE(issuer_of, '${NO_ISSUER}')`,
      verdict: "CASE WHEN verified THEN 'verified' ELSE 'refused' END",
      reason: "reason",
    }[q.by];
    const from = {
      policy: "receipts",
      // A linked verification counts once for each record's issuer.
      issuer: `receipts CROSS JOIN LATERAL (SELECT receipts.issuer AS issuer_of UNION ALL
         SELECT l->>'issuer' FROM json_array_elements(receipts.linked) AS l) AS issuers`,
      verdict: "receipts",
      reason: "receipts, json_array_elements_text(receipts.reasons) AS reason",
    }[q.by];
    // The bucket's unit is one of two fixed words (never caller text); UTC buckets.
    const unit = q.bucket === "hour" ? "hour" : "day";
    const { rows } = await this.#query<{ bucket: Date; key: string; count: string }>(
      "count the verifications",
      `SELECT * FROM (
         SELECT date_trunc('${unit}', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
           ${key} AS key, COUNT(*) AS count FROM ${from}
         WHERE created_at >= $1 AND created_at < $2 GROUP BY 1, 2
       ) AS flows ORDER BY bucket, key COLLATE "C"`,
      [q.from, q.to],
    );
    return rows.map((r) => ({ bucket: r.bucket, key: r.key, count: Number(r.count) }));
  }

  async getReceipt(id: string): Promise<Receipt | null> {
    if (id.includes("\u0000")) return null;
    const { rows } = await this.#query<ReceiptRow>(
      "read the receipt",
      "SELECT * FROM receipts WHERE id = $1",
      [id],
    );
    return rows[0] ? toReceipt(rows[0]) : null;
  }

  async listReceipts(query: ReceiptQuery): Promise<Receipt[]> {
    const texts = [query.clientId, query.policyId, query.reason, query.before?.id];
    // PostgreSQL text cannot hold U+0000, so no stored receipt matches such a filter.
    if (texts.some((t) => t?.includes("\u0000"))) return [];
    const where: string[] = [];
    const values: unknown[] = [];
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    if (query.clientId !== undefined) where.push(`client_id = ${param(query.clientId)}`);
    if (query.verified !== undefined) where.push(`verified = ${param(query.verified)}`);
    if (query.policyId !== undefined) where.push(`policy_id = ${param(query.policyId)}`);
    if (query.reason !== undefined) {
      where.push(`reasons::jsonb @> jsonb_build_array(${param(query.reason)}::text)`);
    }
    if (query.from !== undefined) where.push(`created_at >= ${param(query.from)}`);
    if (query.to !== undefined) where.push(`created_at < ${param(query.to)}`);
    if (query.before !== undefined) {
      const at = param(query.before.createdAt);
      where.push(
        `(created_at < ${at} OR (created_at = ${at} AND id COLLATE "C" < ${param(query.before.id)}))`,
      );
    }
    const { rows } = await this.#query<ReceiptRow>(
      "list the receipts",
      `SELECT * FROM receipts${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
       ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT ${param(query.limit)}`,
      values,
    );
    return rows.map(toReceipt);
  }

  async receiptStats(from: Date, to: Date, topReasons: number): Promise<ReceiptStats> {
    const [minutes, reasons] = await Promise.all([
      this.#query<{ minute: Date; verified: string; refused: string }>(
        "count the receipts",
        `SELECT date_trunc('minute', created_at) AS minute,
           count(*) FILTER (WHERE verified) AS verified,
           count(*) FILTER (WHERE NOT verified) AS refused
         FROM receipts WHERE created_at >= $1 AND created_at < $2
         GROUP BY 1 ORDER BY 1`,
        [from, to],
      ),
      this.#query<{ reason: string; count: string }>(
        "count the reasons",
        `SELECT r AS reason, count(*) AS count
         FROM receipts, json_array_elements_text(receipts.reasons) AS r
         WHERE created_at >= $1 AND created_at < $2 AND NOT verified
         GROUP BY r ORDER BY count(*) DESC, r COLLATE "C" LIMIT $3`,
        [from, to, topReasons],
      ),
    ]);
    return {
      perMinute: minutes.rows.map((m) => ({
        minute: m.minute,
        verified: Number(m.verified),
        refused: Number(m.refused),
      })),
      topReasons: reasons.rows.map((r) => ({ reason: r.reason, count: Number(r.count) })),
    };
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    refuseNul(key.name, "an API key's name");
    await this.#query(
      "store the API key",
      `INSERT INTO api_keys (id, name, role, secret_hash, created_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,
         secret_hash = excluded.secret_hash, revoked_at = excluded.revoked_at`,
      [key.id, key.name, key.role, key.secretHash, key.createdAt, key.revokedAt],
    );
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    if (id.includes("\u0000")) return null;
    const { rows } = await this.#query<ApiKeyRow>(
      "read the API key",
      "SELECT * FROM api_keys WHERE id = $1",
      [id],
    );
    return rows[0] ? toApiKey(rows[0]) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.#query<ApiKeyRow>(
      "list the API keys",
      `SELECT * FROM api_keys ORDER BY created_at, id COLLATE "C"`,
    );
    return rows.map(toApiKey);
  }

  async revokeApiKey(id: string, at: Date): Promise<boolean> {
    if (id.includes("\u0000")) return false;
    const result = await this.#query(
      "revoke the API key",
      "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
      [at, id],
    );
    return result.rowCount === 1;
  }

  async insertExternalCircuit(c: ExternalCircuit): Promise<boolean> {
    const result = await this.#query(
      "store the circuit",
      `INSERT INTO external_circuits (name, version, key_hash, verification_key, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
      [c.name, c.version, c.keyHash, JSON.stringify(c.verificationKey), c.createdAt],
    );
    return result.rowCount === 1;
  }

  async getExternalCircuit(name: string): Promise<ExternalCircuit | null> {
    if (name.includes("\u0000")) return null;
    const { rows } = await this.#query<ExternalCircuitRow>(
      "read the circuit",
      "SELECT * FROM external_circuits WHERE name = $1",
      [name],
    );
    return rows[0] ? toExternalCircuit(rows[0]) : null;
  }

  async listExternalCircuits(): Promise<ExternalCircuit[]> {
    const { rows } = await this.#query<ExternalCircuitRow>(
      "list the circuits",
      'SELECT * FROM external_circuits ORDER BY name COLLATE "C"',
    );
    return rows.map(toExternalCircuit);
  }

  async ping(): Promise<void> {
    // A read of the store's own tables: the server answers and the schema is there.
    await this.#query("answer", "SELECT 1 FROM policies LIMIT 1");
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

interface ExternalCircuitRow {
  name: string;
  version: string;
  key_hash: string;
  verification_key: VerificationKey;
  created_at: Date;
}

function toExternalCircuit(row: ExternalCircuitRow): ExternalCircuit {
  return {
    name: row.name,
    version: row.version,
    keyHash: row.key_hash as KeyHash,
    verificationKey: row.verification_key,
    createdAt: row.created_at,
  };
}

/** A receipt is stored without its place in the log; `#chainUnsequenced` gives it one. */
const insertReceiptSql = `INSERT INTO receipts (id, created_at, policy_id, challenge_id, root,
  issuer, verified, reasons, client_id, linked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`;

/** Locks the log's head row until the transaction ends, and reads it. */
async function lockHead(client: pg.PoolClient): Promise<LogHead> {
  const { rows } = await client.query<{ count: string; head: string }>(
    "SELECT count, head FROM receipt_log_head FOR UPDATE",
  );
  const row = rows[0];
  if (!row) throw Object.assign(new Error("no receipt log head"), { code: "NO_LOG_HEAD" });
  return { count: Number(row.count), head: row.head as LogHash };
}

function receiptValues(r: Receipt): unknown[] {
  return [
    r.id,
    r.createdAt,
    r.policyId,
    r.challengeId,
    r.root === null ? null : r.root.toString(),
    r.issuer,
    r.verified,
    JSON.stringify(r.reasons),
    r.clientId,
    r.linked === undefined ? null : JSON.stringify(linkedRootsToJson(r.linked)),
  ];
}
