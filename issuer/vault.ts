/**
 * The record vault, on the holder's side: SQLite (embedded, in the data folder) holding each
 * record's encoded slots and salt, its leaf and leaf index, and the roots anchored for each
 * schema's tree. This is the only place raw record data and salts live; nothing here is ever
 * sent to a verifier or written to a log.
 *
 * Every change is one transaction, so an interrupted import or anchoring leaves the vault as it
 * was. The tree of a schema is derived, not stored: the anchored records' leaves in leaf-index
 * order, revoked ones as 0; it is rebuilt when first needed and kept in memory.
 *
 * Roots move through two states: `pending` (the vault's tree has this root, the chain may not
 * yet) and `anchored` (confirmed on chain). A crash between the two leaves a pending root that
 * the next `anchorPending` completes; proofs are made only against the anchored current root.
 */
import type Database from "better-sqlite3";
import { leafHasher, randomSalt } from "../core/commitment.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { loadFastPoseidon } from "../core/poseidon.js";
import type { Slots } from "../core/record.js";
import type { Schema } from "../core/schema.js";
import { CommitmentTree, MAX_TREE_DEPTH } from "../core/tree.js";
import { vaultPath } from "../infra/paths.js";
import { openSqlite, sqliteCode } from "../infra/sqlite.js";
import type { ImportedRow } from "./import-file.js";

/** The vault's schema version; a database from another version is refused. */
const VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS imports (
  id INTEGER PRIMARY KEY,
  schema TEXT NOT NULL,
  source TEXT NOT NULL,
  rows INTEGER NOT NULL,
  imported_at TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  schema TEXT NOT NULL,
  slots TEXT NOT NULL,
  salt TEXT NOT NULL,
  leaf TEXT NOT NULL,
  leaf_index INTEGER,
  import_id INTEGER NOT NULL REFERENCES imports(id),
  revoked_at TEXT,
  UNIQUE (schema, leaf_index)
) STRICT;
CREATE TABLE IF NOT EXISTS roots (
  root TEXT PRIMARY KEY,
  schema TEXT NOT NULL,
  size INTEGER NOT NULL,
  reason TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'anchored')),
  created_at TEXT NOT NULL,
  anchored_at TEXT,
  block_number TEXT,
  transaction_hash TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS roots_by_schema ON roots (schema, created_at);
`;

/** A record as the prover needs it. Holds the raw slots and the salt: never send it anywhere. */
export interface VaultRecord {
  readonly id: string;
  readonly schema: string;
  readonly slots: Slots;
  readonly salt: bigint;
  readonly leaf: bigint;
  /** Its place in the schema's tree, or null until an anchoring adds it. */
  readonly leafIndex: number | null;
  readonly revokedAt: Date | null;
}

/** A root of a schema's tree, as the vault knows it. */
export interface VaultRoot {
  readonly root: bigint;
  readonly schema: string;
  readonly size: number;
  /** Why it was made: `import` (new records added) or `revoke:<recordId>`. */
  readonly reason: string;
  readonly state: "pending" | "anchored";
  readonly createdAt: Date;
  readonly anchoredAt: Date | null;
  readonly blockNumber: bigint | null;
  readonly transactionHash: string | null;
}

/** Counts for `crossproof issuer status`. */
export interface SchemaStatus {
  readonly schema: string;
  readonly records: number;
  /** Imported but not yet in the tree (the next anchoring adds them). */
  readonly unanchored: number;
  readonly revoked: number;
  readonly treeSize: number;
  readonly latest: VaultRoot | null;
}

interface RecordRow {
  id: string;
  schema: string;
  slots: string;
  salt: string;
  leaf: string;
  leaf_index: number | null;
  revoked_at: string | null;
}

interface RootRow {
  root: string;
  schema: string;
  size: number;
  reason: string;
  state: "pending" | "anchored";
  created_at: string;
  anchored_at: string | null;
  block_number: string | null;
  transaction_hash: string | null;
}

function toRecord(row: RecordRow): VaultRecord {
  return {
    id: row.id,
    schema: row.schema,
    slots: (JSON.parse(row.slots) as string[]).map((s) => BigInt(s)),
    salt: BigInt(row.salt),
    leaf: BigInt(row.leaf),
    leafIndex: row.leaf_index,
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

function toRoot(row: RootRow): VaultRoot {
  return {
    root: BigInt(row.root),
    schema: row.schema,
    size: row.size,
    reason: row.reason,
    state: row.state,
    createdAt: new Date(row.created_at),
    anchoredAt: row.anchored_at === null ? null : new Date(row.anchored_at),
    blockNumber: row.block_number === null ? null : BigInt(row.block_number),
    transactionHash: row.transaction_hash,
  };
}

function vaultError(message: string, cause?: unknown): CrossproofError {
  return new CrossproofError(ErrorCode.VAULT_UNAVAILABLE, message, { cause });
}

/**
 * Runs one write of the vault (a statement or a transaction, which rolls back when it fails): a
 * failure of SQLite's (disk full, I/O error, locked) becomes `VAULT_UNAVAILABLE` naming its code.
 */
function write<T>(action: string, work: () => T): T {
  try {
    return work();
  } catch (err) {
    const code = sqliteCode(err);
    if (code === undefined) throw err;
    throw new CrossproofError(
      ErrorCode.VAULT_UNAVAILABLE,
      `the vault cannot ${action} (${code}); nothing was changed`,
      { cause: err, details: { sqlite: code } },
    );
  }
}

/** The record vault. Open with `await Vault.open(path)`, close with `close()`. */
export class Vault {
  readonly path: string;
  readonly #db: Database.Database;
  /** Trees built so far, with the roots-table version they reflect (see `tree`). */
  readonly #trees = new Map<string, { version: number; tree: CommitmentTree }>();

  /** The tree's node hash: Poseidon(2) on circomlibjs (≈ 4.6× poseidon-lite here). */
  readonly #hash: (left: bigint, right: bigint) => bigint;

  private constructor(
    path: string,
    db: Database.Database,
    hash: (inputs: readonly bigint[]) => bigint,
  ) {
    this.path = path;
    this.#db = db;
    this.#hash = (left, right) => hash([left, right]);
  }

  /** Opens (or creates, mode 0600) the vault at `path` (default: `data/vault.sqlite`). */
  static async open(path = vaultPath()): Promise<Vault> {
    const hash = await loadFastPoseidon();
    const db = openSqlite(path, {
      ddl: DDL,
      version: VERSION,
      fail: (message, cause) => vaultError(`the vault: ${message}`, cause),
    });
    return new Vault(path, db, hash);
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /**
   * Adds validated rows as new records of `schema`, with fresh salts, in one transaction:
   * all or nothing. A record id already in the vault refuses the whole import. `onProgress`
   * counts commitments made (the slow part: two Poseidon hashes per record).
   */
  async importRecords(
    schema: Schema,
    rows: readonly ImportedRow[],
    source: string,
    onProgress?: (committed: number) => void,
  ): Promise<{ imported: number }> {
    const hashLeaf = await leafHasher();
    const leaves = rows.map((row, n) => {
      const salt = randomSalt();
      if (n % 500 === 0) onProgress?.(n);
      return { row, salt, leaf: hashLeaf(schema.schemaId, row.slots, salt) };
    });
    onProgress?.(rows.length);
    const exists = this.#db.prepare("SELECT 1 FROM records WHERE id = ?").pluck();
    const insertImport = this.#db.prepare(
      "INSERT INTO imports (schema, source, rows, imported_at) VALUES (?, ?, ?, ?)",
    );
    const insert = this.#db.prepare(
      "INSERT INTO records (id, schema, slots, salt, leaf, import_id) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const run = this.#db.transaction(() => {
      const duplicate = rows.find((r) => exists.get(r.recordId) !== undefined);
      if (duplicate) {
        throw new CrossproofError(
          ErrorCode.IMPORT_INVALID,
          `${source}: line ${duplicate.line}: recordId: ${duplicate.recordId} is already in the vault; nothing was imported`,
          {
            details: {
              count: 1,
              problems: [
                {
                  line: duplicate.line,
                  field: "recordId",
                  code: "DUPLICATE_RECORD",
                  reason: "is already in the vault",
                },
              ],
            },
          },
        );
      }
      const importId = insertImport.run(
        schema.id,
        source,
        rows.length,
        new Date().toISOString(),
      ).lastInsertRowid;
      for (const { row, salt, leaf } of leaves) {
        insert.run(
          row.recordId,
          schema.id,
          JSON.stringify(row.slots.map((s) => s.toString())),
          salt.toString(),
          leaf.toString(),
          importId,
        );
      }
    });
    write(`import ${source}`, run);
    return { imported: rows.length };
  }

  /** A record, or `UNKNOWN_RECORD`. */
  record(id: string): VaultRecord {
    const row = this.#db
      .prepare(
        "SELECT id, schema, slots, salt, leaf, leaf_index, revoked_at FROM records WHERE id = ?",
      )
      .get(id) as RecordRow | undefined;
    if (!row) {
      throw new CrossproofError(ErrorCode.UNKNOWN_RECORD, `no record ${id} in the vault`, {
        details: { recordId: id },
      });
    }
    return toRecord(row);
  }

  /** Record ids, in import order (for sampling in tests, benchmarks and batch files). */
  recordIds(options: { schema?: string; limit?: number } = {}): string[] {
    return this.#db
      .prepare(
        `SELECT id FROM records ${options.schema ? "WHERE schema = @schema" : ""} ORDER BY seq LIMIT @limit`,
      )
      .pluck()
      .all({ schema: options.schema, limit: options.limit ?? -1 }) as string[];
  }

  /** The schemas the vault holds records for. */
  schemas(): string[] {
    return this.#db
      .prepare("SELECT DISTINCT schema FROM records ORDER BY schema")
      .pluck()
      .all() as string[];
  }

  /**
   * Every change to a schema's tree adds a row to `roots` in the same transaction, so the last
   * row id tells whether a tree built earlier (perhaps before another process anchored or
   * revoked) is still the vault's.
   */
  #treeVersion(schema: string): number {
    return this.#db
      .prepare("SELECT COALESCE(MAX(rowid), 0) FROM roots WHERE schema = ?")
      .pluck()
      .get(schema) as number;
  }

  /** The tree of `schema` as the vault has it now (anchored records; revoked leaves are 0). */
  tree(schema: string): CommitmentTree {
    const version = this.#treeVersion(schema);
    const cached = this.#trees.get(schema);
    if (cached?.version === version) return cached.tree;
    const leaves = this.#db
      .prepare(
        "SELECT leaf, revoked_at FROM records WHERE schema = ? AND leaf_index IS NOT NULL ORDER BY leaf_index",
      )
      .all(schema) as { leaf: string; revoked_at: string | null }[];
    const tree = new CommitmentTree(
      leaves.map((l) => (l.revoked_at === null ? BigInt(l.leaf) : 0n)),
      MAX_TREE_DEPTH,
      this.#hash,
    );
    this.#trees.set(schema, { version, tree });
    return tree;
  }

  /** The latest root of `schema` (pending or anchored), or null. */
  latestRoot(schema: string): VaultRoot | null {
    const row = this.#db
      .prepare("SELECT * FROM roots WHERE schema = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
      .get(schema) as RootRow | undefined;
    return row ? toRoot(row) : null;
  }

  /** Roots not yet confirmed on chain, oldest first. */
  pendingRoots(): VaultRoot[] {
    return (
      this.#db
        .prepare("SELECT * FROM roots WHERE state = 'pending' ORDER BY created_at, rowid")
        .all() as RootRow[]
    ).map(toRoot);
  }

  /**
   * Adds every unanchored record of `schema` to its tree and records the new root as pending,
   * in one transaction. Returns the pending root, or null if there is nothing to add.
   */
  stageNewRecords(schema: string): VaultRoot | null {
    const waiting = this.#db
      .prepare(
        "SELECT seq, leaf FROM records WHERE schema = ? AND leaf_index IS NULL AND revoked_at IS NULL ORDER BY seq",
      )
      .all(schema) as { seq: number; leaf: string }[];
    if (waiting.length === 0) return null;
    // The tree is changed in place (O(new leaves · depth)); if the transaction fails, the cached
    // tree is dropped and rebuilt from the vault on next use.
    const tree = this.tree(schema);
    const first = tree.append(waiting.map((w) => BigInt(w.leaf)));
    const setIndex = this.#db.prepare("UPDATE records SET leaf_index = ? WHERE seq = ?");
    const stage = this.#db.transaction(() => {
      waiting.forEach((w, n) => {
        setIndex.run(first + n, w.seq);
      });
      this.#insertPending(schema, tree, "import");
    });
    this.#commitTreeChange(schema, tree, stage);
    return this.latestRoot(schema);
  }

  /**
   * Revokes a record: its leaf becomes 0 and the new root is recorded as pending, in one
   * transaction. A record not yet in the tree is simply marked revoked (no new root).
   */
  stageRevocation(recordId: string): VaultRoot | null {
    const record = this.record(recordId);
    if (record.revokedAt !== null) {
      throw new CrossproofError(ErrorCode.RECORD_REVOKED, `record ${recordId} is already revoked`, {
        details: { recordId },
      });
    }
    const mark = this.#db.prepare("UPDATE records SET revoked_at = ? WHERE id = ?");
    if (record.leafIndex === null) {
      write("revoke the record", () => mark.run(new Date().toISOString(), recordId));
      return null;
    }
    const tree = this.tree(record.schema);
    tree.revoke(record.leafIndex);
    const stage = this.#db.transaction(() => {
      mark.run(new Date().toISOString(), recordId);
      this.#insertPending(record.schema, tree, `revoke:${recordId}`);
    });
    this.#commitTreeChange(record.schema, tree, stage);
    return this.latestRoot(record.schema);
  }

  /** Runs the transaction that records a tree change; the cached tree follows it or is dropped. */
  #commitTreeChange(schema: string, tree: CommitmentTree, stage: () => void): void {
    try {
      write("record the new root", stage);
    } catch (err) {
      this.#trees.delete(schema);
      throw err;
    }
    this.#trees.set(schema, { version: this.#treeVersion(schema), tree });
  }

  #insertPending(schema: string, tree: CommitmentTree, reason: string): void {
    this.#db
      .prepare(
        "INSERT INTO roots (root, schema, size, reason, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
      )
      .run(tree.root.toString(), schema, tree.size, reason, new Date().toISOString());
  }

  /**
   * Marks a pending root as anchored, with when the chain confirmed it (and where, when known: a
   * root found already anchored after a crash has no receipt at hand).
   */
  markAnchored(
    root: bigint,
    at: { anchoredAt: Date; blockNumber: bigint | null; transactionHash: string | null },
  ): void {
    const changed = write("mark the root anchored", () =>
      this.#db
        .prepare(
          "UPDATE roots SET state = 'anchored', anchored_at = ?, block_number = ?, transaction_hash = ? WHERE root = ? AND state = 'pending'",
        )
        .run(
          at.anchoredAt.toISOString(),
          at.blockNumber?.toString() ?? null,
          at.transactionHash,
          root.toString(),
        ),
    );
    if (changed.changes !== 1) {
      throw vaultError(`root ${root} is not pending in the vault`);
    }
  }

  /** Counts and the latest root, per schema. */
  status(): SchemaStatus[] {
    const counts = this.#db
      .prepare(
        `SELECT schema, COUNT(*) AS records,
                SUM(leaf_index IS NULL AND revoked_at IS NULL) AS unanchored,
                SUM(revoked_at IS NOT NULL) AS revoked,
                SUM(leaf_index IS NOT NULL) AS treeSize
         FROM records GROUP BY schema ORDER BY schema`,
      )
      .all() as {
      schema: string;
      records: number;
      unanchored: number;
      revoked: number;
      treeSize: number;
    }[];
    return counts.map((c) => ({ ...c, latest: this.latestRoot(c.schema) }));
  }

  /** SQLite's own consistency check (`ok` when the file is sound). */
  integrityCheck(): string {
    return String(this.#db.pragma("integrity_check", { simple: true }));
  }
}
