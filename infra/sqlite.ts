/**
 * Opening crossproof's SQLite databases (the holder's vault, the verifier's store) one way:
 * the folder made 0700, WAL with `synchronous = FULL` (a committed transaction survives a crash),
 * foreign keys on, the schema applied, a version recorded in `meta` and checked on every open,
 * and the files made 0600. A failure closes the connection and is reported by the caller's
 * `fail` (so each database keeps its own error code).
 */
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** How to open one kind of database. */
export interface SqliteOptions {
  /** `CREATE TABLE IF NOT EXISTS …` statements, including a `meta (key, value)` table. */
  readonly ddl: string;
  /**
   * The schema version this code reads. An older database is brought up to it by `upgrades`; a
   * newer one (or an older one with no upgrade path) is refused.
   */
  readonly version: number;
  /**
   * Upgrades by the version they lead to: `upgrades[2]` takes a version-1 database to version 2.
   * They run in order, all in one transaction with the new version's record, after the DDL (so
   * tables it adds exist already); a failed upgrade changes nothing.
   */
  readonly upgrades?: Readonly<Record<number, (db: Database.Database) => void>>;
  /** The error to throw: a message naming the problem, and what caused it. */
  readonly fail: (message: string, cause?: unknown) => Error;
  /**
   * How long one statement waits for another connection's lock (default 5,000 ms). better-sqlite3
   * waits synchronously, blocking the event loop meanwhile: a service keeps it short and retries.
   */
  readonly busyTimeoutMs?: number;
}

/**
 * SQLite's result code of a failed call (`SQLITE_BUSY`, `SQLITE_FULL`, `SQLITE_IOERR_WRITE`, …),
 * or undefined if `err` is not SQLite's.
 */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_") ? code : undefined;
}

/** Whether `err` is another connection holding a lock: the same call may succeed later. */
export function isSqliteBusy(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"));
}

/** Opens (or creates) the database at `path`. */
export function openSqlite(path: string, options: SqliteOptions): Database.Database {
  let db: Database.Database | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5_000 });
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.exec(options.ddl);
  } catch (err) {
    if (db?.open) db.close();
    throw options.fail(`cannot open ${path}: ${(err as Error).message}`, err);
  }
  const version = db.prepare("SELECT value FROM meta WHERE key = 'version'").get() as
    | { value: string }
    | undefined;
  if (version === undefined) {
    db.prepare("INSERT INTO meta (key, value) VALUES ('version', ?)").run(String(options.version));
  } else if (version.value !== String(options.version)) {
    const from = Number(version.value);
    const steps: ((db: Database.Database) => void)[] = [];
    for (let v = from + 1; Number.isInteger(from) && v <= options.version; v++) {
      const step = options.upgrades?.[v];
      if (step) steps.push(step);
      else break;
    }
    if (from >= options.version || steps.length !== options.version - from) {
      db.close();
      throw options.fail(
        `${path} is version ${version.value}; this crossproof reads ${options.version}`,
      );
    }
    const handle = db;
    try {
      handle.transaction(() => {
        for (const step of steps) step(handle);
        handle
          .prepare("UPDATE meta SET value = ? WHERE key = 'version'")
          .run(String(options.version));
      })();
    } catch (err) {
      handle.close();
      throw options.fail(
        `cannot upgrade ${path} from version ${version.value} to ${options.version}: ${(err as Error).message}`,
        err,
      );
    }
  }
  // Both databases hold what only their owner may read (records and salts; key hashes).
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, 0o600);
    } catch {
      // -wal and -shm exist only while a connection is open; some file systems have no modes
    }
  }
  return db;
}
