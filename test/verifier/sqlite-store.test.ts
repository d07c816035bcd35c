/**
 * What only the SQLite store does (the behaviour it shares with PostgreSQL is the contract suite,
 * `store-contract.test.ts`): its file mode, the schema version check and upgrade, a file that is not a
 * database, and waiting for another connection's write lock without blocking the event loop.
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors.js";
import { checkLog, entryLine, parseLog } from "../../core/receipt-log.js";
import { SqliteVerifierStore } from "../../verifier/sqlite-store.js";
import { caught } from "../helpers/errors.js";
import { challenge, policy, receipt } from "./store-contract.js";

const T0 = Date.parse("2026-05-10T12:00:00.000Z");

describe("the SQLite verifier store", () => {
  let dir: string;
  let path: string;
  let store: SqliteVerifierStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-store-"));
    path = join(dir, "verifier", "verifier.sqlite");
    store = SqliteVerifierStore.open(path);
    await store.createPolicy(policy("p-main"), new Date(T0));
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("creates its database readable by its owner only, journal files included", async () => {
    // A policy was written: the -wal and -shm files exist while the store is open.
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      expect((await stat(file)).mode & 0o777, file).toBe(0o600);
    }
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it("refuses a database of a newer version with STORE_UNAVAILABLE", async () => {
    const path3 = join(dir, "newer", "verifier.sqlite");
    await SqliteVerifierStore.open(path3).close();
    const db = new Database(path3);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'version'").run();
    db.close();
    const err = await caught(() => SqliteVerifierStore.open(path3));
    expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE);
    expect(err.message).toMatch(/version 99/);
  });

  it("upgrades a version-1 database (keys limited to client and admin, receipts unchained) keeping its keys and chaining its receipts in the order they were made", async () => {
    const path1 = join(dir, "v1", "verifier.sqlite");
    await SqliteVerifierStore.open(path1).close();
    const db = new Database(path1);
    db.exec(`DROP TABLE api_keys;
      CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('client', 'admin')), secret_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL, revoked_at INTEGER) STRICT;
      INSERT INTO api_keys VALUES ('00000000000000aa', 'bank-a', 'client', '${"ab".repeat(32)}', ${T0}, NULL);
      DROP INDEX receipts_by_seq;
      DROP TABLE receipts;
      CREATE TABLE receipts (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL,
        policy_id TEXT NOT NULL, challenge_id TEXT, root TEXT, issuer TEXT,
        verified INTEGER NOT NULL CHECK (verified IN (0, 1)), reasons TEXT NOT NULL,
        client_id TEXT NOT NULL) STRICT;
      INSERT INTO receipts VALUES ('r-a', ${T0 + 2}, 'p', NULL, NULL, NULL, 0, '["ROOT_UNKNOWN"]', 'c');
      INSERT INTO receipts VALUES ('r-b', ${T0 + 1}, 'p', 'ch', '12', '0xabc', 1, '[]', 'c');
      ALTER TABLE challenges DROP COLUMN statement;
      UPDATE meta SET value = '1' WHERE key = 'version';`);
    expect(() =>
      db.exec(`INSERT INTO api_keys VALUES ('b', 'r', 'auditor', 'x', ${T0}, NULL)`),
    ).toThrow(/CHECK/);
    db.close();
    const upgraded = SqliteVerifierStore.open(path1);
    try {
      expect((await upgraded.getApiKey("00000000000000aa"))?.name).toBe("bank-a");
      await upgraded.putApiKey({
        id: "00000000000000bb",
        name: "regulator",
        role: "auditor",
        secretHash: "cd".repeat(32),
        createdAt: new Date(T0),
        revokedAt: null,
      });
      expect((await upgraded.listApiKeys()).map((k) => k.role).sort()).toEqual([
        "auditor",
        "client",
      ]);
      const entries = await upgraded.logEntries(0, 10);
      expect(entries.map((e) => [e.seq, e.receipt.id])).toEqual([
        [1, "r-b"],
        [2, "r-a"],
      ]);
      const parsed = parseLog(entries.map(entryLine).join("\n"));
      expect(checkLog(parsed.entries, []).problems).toEqual([]);
      // New receipts continue the chain.
      await upgraded.insertReceipt({ ...receipt("r-c", null, T0 + 3) });
      expect(await upgraded.logHead()).toMatchObject({ count: 3 });
    } finally {
      await upgraded.close();
    }
    const check = new Database(path1, { readonly: true });
    const version = check.prepare("SELECT value FROM meta WHERE key = 'version'").get();
    check.close();
    expect(Number((version as { value: string }).value)).toBeGreaterThanOrEqual(3);
  });

  it("refuses a file that is not a database with STORE_UNAVAILABLE", async () => {
    const junk = join(dir, "junk.sqlite");
    await writeFile(junk, "not a database, just some text that is long enough to have a header");
    expect((await caught(() => SqliteVerifierStore.open(junk))).code).toBe(
      ErrorCode.STORE_UNAVAILABLE,
    );
  });

  describe("another connection holding the write lock", () => {
    /** A second connection on the store's file that holds the write lock until released. */
    const lock = (lockPath: string) => {
      const other = new Database(lockPath);
      other.exec("BEGIN IMMEDIATE");
      return () => {
        other.exec("ROLLBACK");
        other.close();
      };
    };

    it("waits for a lock shorter than its wait without blocking the event loop, then writes", async () => {
      const release = lock(path);
      let released = false;
      setTimeout(() => {
        release();
        released = true;
      }, 150);
      // With a synchronous busy wait, the timer above could not run until the wait had failed.
      await store.insertChallenge(challenge("c-locked-briefly"));
      expect(released).toBe(true);
      expect((await store.getChallenge("c-locked-briefly"))?.id).toBe("c-locked-briefly");
    });

    it("gives up with STORE_UNAVAILABLE (Retry-After) and writes nothing while the lock outlasts its wait", async () => {
      const impatient = SqliteVerifierStore.open(path, { lockWaitMs: 200 });
      const release = lock(path);
      try {
        let yielded = false;
        setImmediate(() => {
          yielded = true;
        });
        const err = await caught(impatient.insertChallenge(challenge("c-locked")));
        expect(yielded).toBe(true);
        expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE);
        expect(err.message).toMatchInlineSnapshot(
          `"the verifier database cannot store the challenge (SQLITE_BUSY); nothing was changed"`,
        );
        expect(err.details).toEqual({ retryAfterSeconds: 1, sqlite: "SQLITE_BUSY" });
        // Readiness sees it: the ping takes the write lock for a moment.
        expect((await caught(impatient.ping())).code).toBe(ErrorCode.STORE_UNAVAILABLE);
        // Reads go on (WAL).
        expect((await impatient.getPolicy("p-main"))?.definition.id).toBe("p-main");
      } finally {
        release();
      }
      expect(await impatient.getChallenge("c-locked")).toBeNull();
      await impatient.insertChallenge(challenge("c-locked"));
      await expect(impatient.ping()).resolves.toBeUndefined();
      await impatient.close();
    });

    it("consumes nothing and stores no receipt while locked; afterwards consumes once", async () => {
      await store.insertChallenge(challenge("c-consume-locked"));
      const impatient = SqliteVerifierStore.open(path, { lockWaitMs: 100 });
      const release = lock(path);
      try {
        const err = await caught(
          impatient.consumeChallenge(
            "c-consume-locked",
            receipt("r-locked", "c-consume-locked", T0 + 1),
          ),
        );
        expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE);
      } finally {
        release();
      }
      expect((await store.getChallenge("c-consume-locked"))?.consumedAt).toBeNull();
      expect(await store.getReceipt("r-locked")).toBeNull();
      expect(
        await impatient.consumeChallenge(
          "c-consume-locked",
          receipt("r-locked", "c-consume-locked", T0 + 1),
        ),
      ).toBe("consumed");
      await impatient.close();
    });
  });
});
