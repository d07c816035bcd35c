/**
 * The verifier's SQLite store: policies, challenges and their one-time consumption (also raced
 * by two connections and by two processes on one file), receipts, API keys, persistence, file
 * mode and the schema version check.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors.js";
import { Op } from "../../core/query.js";
import { getSchema } from "../../core/schema.js";
import { PROJECT_ROOT } from "../../infra/paths.js";
import { type PolicyDefinition, parsePolicyDefinition } from "../../verifier/policy.js";
import { SqliteVerifierStore } from "../../verifier/sqlite-store.js";
import type { ApiKeyRecord, ChallengeRecord, Receipt } from "../../verifier/store.js";
import { caught } from "../helpers/errors.js";

const ISSUER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const T0 = Date.parse("2026-05-10T12:00:00.000Z");
const TTL_MS = 300_000;
/** Above 2^53 and 2^64: stored as text, they must come back exact. */
const BIG = 2n ** 250n + 12_345n;

function policy(id: string, description = "a test policy"): PolicyDefinition {
  return parsePolicyDefinition(
    {
      id,
      description,
      schema: "credit-report-v1",
      issuers: [ISSUER],
      predicates: [{ op: "GTE", field: "creditScore", value: 650 }],
    },
    8,
  );
}

function challenge(id: string, policyId = "p-main"): ChallengeRecord {
  return {
    id,
    policyId,
    nonce: BIG + 1n,
    schemaId: getSchema("credit-report-v1").schemaId,
    queryHash: BIG + 2n,
    predicates: [
      { op: Op.EQ, i: 0, j: 0, a: BIG + 3n, b: 0n },
      { op: Op.BETWEEN, i: 2, j: 0, a: 600n, b: 18_446_744_073_709_551_615n },
      { op: Op.RATIO_LTE, i: 3, j: 4, a: 100n, b: 40n },
      { op: Op.DISCLOSE, i: 10, j: 0, a: 0n, b: 0n },
    ],
    query: [
      { op: "EQ", field: "subjectId", value: (BIG + 3n).toString() },
      { op: "BETWEEN", field: "creditScore", min: 600, max: "18446744073709551615" },
      { op: "RATIO_LTE", field: "totalDebt", per: "annualIncome", numerator: 40, denominator: 100 },
      { op: "DISCLOSE", field: "jurisdiction" },
    ],
    issuedAt: new Date(T0),
    expiresAt: new Date(T0 + TTL_MS),
    clientId: "client-1",
    consumedAt: null,
    receiptId: null,
  };
}

function receipt(id: string, challengeId: string | null, createdAtMs: number): Receipt {
  return {
    id,
    createdAt: new Date(createdAtMs),
    policyId: "p-main",
    challengeId,
    root: BIG + 4n,
    issuer: ISSUER,
    verified: true,
    reasons: [],
    clientId: "client-1",
  };
}

function apiKey(id: string, createdAtMs: number): ApiKeyRecord {
  return {
    id,
    name: `key ${id}`,
    role: "client",
    secretHash: "ab".repeat(32),
    createdAt: new Date(createdAtMs),
    revokedAt: null,
  };
}

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

  describe("policies", () => {
    it("creates, gets and lists them by id", async () => {
      const createdAt = new Date(T0 + 1_000);
      const stored = await store.createPolicy(policy("p-zeta"), createdAt);
      expect(stored).toEqual({ definition: policy("p-zeta"), createdAt });
      await store.createPolicy(policy("p-alpha"), createdAt);
      expect(await store.getPolicy("p-zeta")).toEqual({ definition: policy("p-zeta"), createdAt });
      expect(await store.getPolicy("p-none")).toBeNull();
      const ids = (await store.listPolicies()).map((p) => p.definition.id);
      expect(ids).toEqual(["p-alpha", "p-main", "p-zeta"]);
    });

    it("refuses a second policy with a taken id, and keeps the first", async () => {
      await store.createPolicy(policy("p-once", "first"), new Date(T0));
      const err = await caught(store.createPolicy(policy("p-once", "second"), new Date(T0 + 5)));
      expect(err.code).toBe(ErrorCode.POLICY_EXISTS);
      expect(err.details).toEqual({ policyId: "p-once" });
      const kept = await store.getPolicy("p-once");
      expect(kept?.definition.description).toBe("first");
      expect(kept?.createdAt).toEqual(new Date(T0));
    });
  });

  describe("challenges", () => {
    it("round-trips a challenge, big integers and predicates exact", async () => {
      const c = challenge("ch-roundtrip");
      await store.insertChallenge(c);
      expect(await store.getChallenge("ch-roundtrip")).toEqual(c);
      expect(await store.getChallenge("ch-none")).toBeNull();
    });

    it("consumes a challenge once, storing the receipt with it", async () => {
      await store.insertChallenge(challenge("ch-once"));
      const first = receipt("rc-once-1", "ch-once", T0 + 10_000);
      const second = receipt("rc-once-2", "ch-once", T0 + 20_000);
      expect(await store.consumeChallenge("ch-once", first)).toBe("consumed");
      expect(await store.consumeChallenge("ch-once", second)).toBe("already-consumed");
      expect(await store.getChallenge("ch-once")).toEqual({
        ...challenge("ch-once"),
        consumedAt: first.createdAt,
        receiptId: "rc-once-1",
      });
      expect(await store.getReceipt("rc-once-1")).toEqual(first);
      expect(await store.getReceipt("rc-once-2")).toBeNull();
    });

    it("refuses an expired challenge from its expiry on, storing nothing", async () => {
      await store.insertChallenge(challenge("ch-expired"));
      await store.insertChallenge(challenge("ch-last-ms"));
      const late = receipt("rc-late", "ch-expired", T0 + TTL_MS);
      expect(await store.consumeChallenge("ch-expired", late)).toBe("expired");
      expect(await store.getReceipt("rc-late")).toBeNull();
      expect((await store.getChallenge("ch-expired"))?.consumedAt).toBeNull();
      const later = receipt("rc-later", "ch-expired", T0 + TTL_MS + 60_000);
      expect(await store.consumeChallenge("ch-expired", later)).toBe("expired");
      expect(await store.getReceipt("rc-later")).toBeNull();
      // One millisecond before expiry is still in time.
      const justInTime = receipt("rc-in-time", "ch-last-ms", T0 + TTL_MS - 1);
      expect(await store.consumeChallenge("ch-last-ms", justInTime)).toBe("consumed");
      expect(await store.getReceipt("rc-in-time")).toEqual(justInTime);
    });

    it("answers already-consumed, not expired, for a consumed challenge past its expiry", async () => {
      await store.insertChallenge(challenge("ch-used-then-old"));
      const used = receipt("rc-used", "ch-used-then-old", T0 + 1);
      expect(await store.consumeChallenge("ch-used-then-old", used)).toBe("consumed");
      const old = receipt("rc-old", "ch-used-then-old", T0 + TTL_MS * 2);
      expect(await store.consumeChallenge("ch-used-then-old", old)).toBe("already-consumed");
    });

    it("purges unused challenges that expired before a time, and keeps used ones", async () => {
      await store.insertChallenge(challenge("ch-purge-unused"));
      await store.insertChallenge(challenge("ch-purge-used"));
      await store.consumeChallenge(
        "ch-purge-used",
        receipt("rc-purge-used", "ch-purge-used", T0 + 1),
      );
      // Not yet expired at that time: nothing goes.
      expect(await store.purgeExpiredChallenges(new Date(T0 + TTL_MS - 1))).toBe(0);
      expect(await store.getChallenge("ch-purge-unused")).not.toBeNull();
      const purged = await store.purgeExpiredChallenges(new Date(T0 + TTL_MS + 1));
      expect(purged).toBeGreaterThanOrEqual(1);
      expect(await store.getChallenge("ch-purge-unused")).toBeNull();
      expect((await store.getChallenge("ch-purge-used"))?.receiptId).toBe("rc-purge-used");
      expect(await store.getReceipt("rc-purge-used")).not.toBeNull();
    });

    it("answers unknown for no such challenge, storing nothing", async () => {
      const r = receipt("rc-ghost", "ch-ghost", T0 + 1);
      expect(await store.consumeChallenge("ch-ghost", r)).toBe("unknown");
      expect(await store.getReceipt("rc-ghost")).toBeNull();
    });

    it("answers unknown for another client's challenge, consuming and storing nothing", async () => {
      await store.insertChallenge(challenge("ch-owned"));
      const stranger: Receipt = { ...receipt("rc-stranger", "ch-owned", T0 + 1), clientId: "k-b" };
      expect(stranger.clientId).not.toBe(challenge("ch-owned").clientId);
      expect(await store.consumeChallenge("ch-owned", stranger)).toBe("unknown");
      expect(await store.getReceipt("rc-stranger")).toBeNull();
      expect(await store.getChallenge("ch-owned")).toEqual(challenge("ch-owned"));
      const owner = receipt("rc-owner", "ch-owned", T0 + 2);
      expect(await store.consumeChallenge("ch-owned", owner)).toBe("consumed");
    });

    it("stores a receipt that consumed nothing, nulls and reasons intact", async () => {
      const refused: Receipt = {
        ...receipt("rc-refused", null, T0 + 7),
        root: null,
        issuer: null,
        verified: false,
        reasons: ["ROOT_UNKNOWN", "PROOF_INVALID"],
      };
      await store.insertReceipt(refused);
      expect(await store.getReceipt("rc-refused")).toEqual(refused);
      expect(await store.getReceipt("rc-none")).toBeNull();
    });

    it("lets exactly one of two connections on one file consume each challenge", async () => {
      const other = SqliteVerifierStore.open(path);
      try {
        const ids = Array.from({ length: 20 }, (_, n) => `ch-two-${n}`);
        for (const id of ids) await store.insertChallenge(challenge(id));
        for (const [n, id] of ids.entries()) {
          // Alternate which connection goes first.
          const [a, b] = n % 2 === 0 ? [store, other] : [other, store];
          const outcomes = await Promise.all([
            a.consumeChallenge(id, receipt(`rc-a-${id}`, id, T0 + 1)),
            b.consumeChallenge(id, receipt(`rc-b-${id}`, id, T0 + 1)),
          ]);
          expect(outcomes).toEqual(["consumed", "already-consumed"]);
          expect((await b.getChallenge(id))?.receiptId).toBe(`rc-a-${id}`);
          expect(await a.getReceipt(`rc-b-${id}`)).toBeNull();
        }
      } finally {
        await other.close();
      }
    });
  });

  describe("API keys", () => {
    it("puts, gets, lists (oldest first) and revokes keys; a second revoke is false", async () => {
      await store.putApiKey(apiKey("k-late", T0 + 2_000));
      await store.putApiKey(apiKey("k-early", T0 + 1_000));
      expect(await store.getApiKey("k-early")).toEqual(apiKey("k-early", T0 + 1_000));
      expect(await store.getApiKey("k-none")).toBeNull();
      expect((await store.listApiKeys()).map((k) => k.id)).toEqual(["k-early", "k-late"]);

      const at = new Date(T0 + 3_000);
      expect(await store.revokeApiKey("k-early", at)).toBe(true);
      expect(await store.getApiKey("k-early")).toEqual({
        ...apiKey("k-early", T0 + 1_000),
        revokedAt: at,
      });
      expect(await store.revokeApiKey("k-early", new Date(T0 + 4_000))).toBe(false);
      expect((await store.getApiKey("k-early"))?.revokedAt).toEqual(at);
      expect(await store.revokeApiKey("k-none", at)).toBe(false);
      expect((await store.getApiKey("k-late"))?.revokedAt).toBeNull();
    });
  });

  it("keeps everything across close and reopen", async () => {
    const path2 = join(dir, "reopen", "verifier.sqlite");
    const first = SqliteVerifierStore.open(path2);
    await first.createPolicy(policy("p-main"), new Date(T0));
    await first.insertChallenge(challenge("ch-a"));
    await first.insertChallenge(challenge("ch-b"));
    const used = receipt("rc-a", "ch-a", T0 + 1);
    expect(await first.consumeChallenge("ch-a", used)).toBe("consumed");
    await first.putApiKey(apiKey("k-1", T0));
    await first.close();

    const again = SqliteVerifierStore.open(path2);
    try {
      expect(await again.getPolicy("p-main")).toEqual({
        definition: policy("p-main"),
        createdAt: new Date(T0),
      });
      expect(await again.getReceipt("rc-a")).toEqual(used);
      expect(await again.getApiKey("k-1")).toEqual(apiKey("k-1", T0));
      expect(await again.consumeChallenge("ch-a", receipt("rc-a2", "ch-a", T0 + 2))).toBe(
        "already-consumed",
      );
      expect(await again.consumeChallenge("ch-b", receipt("rc-b", "ch-b", T0 + 2))).toBe(
        "consumed",
      );
      expect((await stat(path2)).mode & 0o777).toBe(0o600);
    } finally {
      await again.close();
    }
  });

  it("refuses a database of another version with STORE_UNAVAILABLE", async () => {
    const path3 = join(dir, "old", "verifier.sqlite");
    await SqliteVerifierStore.open(path3).close();
    const db = new Database(path3);
    db.prepare("UPDATE meta SET value = '2' WHERE key = 'version'").run();
    db.close();
    const err = await caught(() => SqliteVerifierStore.open(path3));
    expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE);
    expect(err.message).toMatch(/version 2/);
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

  it("answers STORE_UNAVAILABLE once closed", async () => {
    const closed = SqliteVerifierStore.open(join(dir, "closed", "verifier.sqlite"));
    await closed.close();
    expect((await caught(closed.ping())).code).toBe(ErrorCode.STORE_UNAVAILABLE);
    expect((await caught(closed.getPolicy("p-main"))).code).toBe(ErrorCode.STORE_UNAVAILABLE);
  });
});

describe("consumption raced by two processes", () => {
  const COUNT = 200;
  const started: ChildProcessWithoutNullStreams[] = [];
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-race-"));
  });
  afterAll(async () => {
    // Only if a test failed half-way: the racers this file started, by their own handles.
    for (const child of started) if (child.exitCode === null) child.kill();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts a racer and resolves once it has opened the store. */
  async function racer(path: string, label: string): Promise<ChildProcessWithoutNullStreams> {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx/esm",
        join(PROJECT_ROOT, "test/verifier/workers/consume-race.ts"),
        path,
        label,
        String(COUNT),
      ],
      { cwd: PROJECT_ROOT, stdio: ["pipe", "pipe", "pipe"] },
    );
    started.push(child);
    const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
    expect(line).toBe("ready");
    return child;
  }

  async function outcomesOf(
    child: ChildProcessWithoutNullStreams,
  ): Promise<Record<string, string>> {
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const [code] = (await once(child, "exit")) as [number | null];
    if (code !== 0) throw new Error(`racer exited with ${code}: ${err}`);
    return JSON.parse(out) as Record<string, string>;
  }

  it("consumes each challenge exactly once in total", { timeout: 60_000 }, async () => {
    const path = join(dir, "verifier.sqlite");
    const setup = SqliteVerifierStore.open(path);
    const ids = Array.from({ length: COUNT }, (_, n) => `race-${n}`);
    try {
      await setup.createPolicy(policy("race"), new Date());
      const now = Date.now();
      for (const id of ids) {
        await setup.insertChallenge({
          ...challenge(id, "race"),
          issuedAt: new Date(now),
          expiresAt: new Date(now + 3_600_000),
        });
      }
    } finally {
      await setup.close();
    }

    const racers = await Promise.all([racer(path, "left"), racer(path, "right")]);
    const results = racers.map(outcomesOf);
    for (const r of racers) r.stdin.end("go\n");
    const [left, right] = (await Promise.all(results)) as [
      Record<string, string>,
      Record<string, string>,
    ];

    const check = SqliteVerifierStore.open(path);
    try {
      for (const [n, id] of ids.entries()) {
        const pair = [left[id], right[id]].sort();
        expect(pair, id).toEqual(["already-consumed", "consumed"]);
        const winner = left[id] === "consumed" ? "left" : "right";
        const loser = winner === "left" ? "right" : "left";
        const stored = await check.getChallenge(id);
        expect(stored?.receiptId).toBe(`${winner}-${n}`);
        expect(await check.getReceipt(`${winner}-${n}`)).toMatchObject({ challengeId: id });
        expect(await check.getReceipt(`${loser}-${n}`)).toBeNull();
      }
    } finally {
      await check.close();
    }
  });
});
