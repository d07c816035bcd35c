/**
 * The verifier store's contract: what every implementation of `VerifierStore` (SQLite, the
 * embedded default; PostgreSQL, the shared one) must do, as one suite run against each by
 * `store-contract.test.ts`. Policies, challenges and their one-time consumption (raced by two
 * connections and by two processes), the purge (also by three stores at once), receipts, API
 * keys, persistence across close and reopen, and `STORE_UNAVAILABLE` once closed.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors.js";
import { Op } from "../../core/query.js";
import {
  checkLog,
  EMPTY_LOG_HEAD,
  entryLine,
  type LogEntry,
  parseLog,
} from "../../core/receipt-log.js";
import { getSchema } from "../../core/schema.js";
import { PROJECT_ROOT } from "../../infra/paths.js";
import { type PolicyDefinition, parsePolicyDefinition } from "../../verifier/policy.js";
import type {
  ApiKeyRecord,
  ChallengeRecord,
  ExternalCircuit,
  Receipt,
  VerifierStore,
} from "../../verifier/store.js";
import { caught } from "../helpers/errors.js";

/** One implementation under test. */
export interface StoreBackend {
  /** `sqlite` or `postgres` (also the racer's first argument). */
  readonly kind: "sqlite" | "postgres";
  /** Called first (e.g. to assert the service is there). */
  setUp?(): Promise<void>;
  /** A new, empty place for a store: a file path, a PostgreSQL schema. */
  newLocation(): Promise<string>;
  /** Opens (a new connection to) the store at `location`. */
  open(location: string): Promise<VerifierStore>;
  /** Removes everything the backend made. */
  tearDown(): Promise<void>;
}

const ISSUER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const T0 = Date.parse("2026-05-10T12:00:00.000Z");
const TTL_MS = 300_000;
/** Above 2^53 and 2^64: they must come back exact. */
const BIG = 2n ** 250n + 12_345n;

/** A test policy with id `id`. */
export function policy(id: string, description = "a test policy"): PolicyDefinition {
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

/** A test challenge of `policyId`, issued at T0, expiring TTL_MS later. */
export function challenge(id: string, policyId = "p-main"): ChallengeRecord {
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
    circuit: "query",
    table: null,
    link: null,
    linked: [],
    receiptId: null,
  };
}

/** A verified receipt for `challengeId`. */
export function receipt(id: string, challengeId: string | null, createdAtMs: number): Receipt {
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

/** Declares the contract suite for `backend` (call inside a `describe`). */
export function storeContract(backend: StoreBackend): void {
  let location: string;
  let store: VerifierStore;

  beforeAll(async () => {
    await backend.setUp?.();
    location = await backend.newLocation();
    store = await backend.open(location);
    await store.createPolicy(policy("p-main"), new Date(T0));
  });
  afterAll(async () => {
    await store?.close();
    await backend.tearDown();
  });

  it("answers a ping", async () => {
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

    it("keeps a description's unusual text exactly (quotes, U+0000, emoji)", async () => {
      const text = 'a "quoted" \\ back\u0000slash, \u{1F600} and\nnew line';
      await store.createPolicy(policy("p-text", text), new Date(T0));
      expect((await store.getPolicy("p-text"))?.definition.description).toBe(text);
    });
  });

  describe("challenges", () => {
    it("round-trips a challenge, big integers and predicates exact", async () => {
      const c = challenge("ch-roundtrip");
      await store.insertChallenge(c);
      expect(await store.getChallenge("ch-roundtrip")).toEqual(c);
      expect(await store.getChallenge("ch-none")).toBeNull();
    });

    it("round-trips a linked query_v2 challenge: set masks, tables, links and each record's query", async () => {
      const table = [BIG + 5n, 7n, ...new Array<bigint>(14).fill(0n)];
      const c: ChallengeRecord = {
        ...challenge("ch-linked"),
        predicates: [{ op: 12, i: 3, j: 0, a: 0n, b: 3n }],
        query: [{ op: "IN", field: "creditScore", values: [7, (BIG + 5n).toString()] }],
        circuit: "query_v2",
        table,
        link: 0,
        linked: [
          {
            schemaId: getSchema("residency-v1").schemaId,
            queryHash: BIG + 6n,
            predicates: [{ op: 13, i: 6, j: 0, a: 0n, b: 1n }],
            query: [{ op: "NIN", field: "addressDistrict", values: ["Islands"] }],
            table: [BIG + 7n, ...new Array<bigint>(15).fill(0n)],
            link: 0,
          },
        ],
      };
      await store.insertChallenge(c);
      expect(await store.getChallenge("ch-linked")).toEqual(c);
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

    it("consumes nothing when the receipt cannot be stored (its id is taken)", async () => {
      await store.insertChallenge(challenge("ch-dup-receipt"));
      await store.insertReceipt(receipt("rc-taken", null, T0 + 1));
      const err = await caught(
        store.consumeChallenge("ch-dup-receipt", receipt("rc-taken", "ch-dup-receipt", T0 + 2)),
      );
      expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE);
      expect((await store.getChallenge("ch-dup-receipt"))?.consumedAt).toBeNull();
      expect((await store.getReceipt("rc-taken"))?.challengeId).toBeNull();
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

    it("answers unknown for no such challenge, storing nothing", async () => {
      const r = receipt("rc-ghost", "ch-ghost", T0 + 1);
      expect(await store.consumeChallenge("ch-ghost", r)).toBe("unknown");
      expect(await store.getReceipt("rc-ghost")).toBeNull();
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

    it("lets exactly one of two connections consume each challenge", async () => {
      const other = await backend.open(location);
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
          const winner = outcomes[0] === "consumed" ? "a" : "b";
          expect([...outcomes].sort()).toEqual(["already-consumed", "consumed"]);
          expect((await b.getChallenge(id))?.receiptId).toBe(`rc-${winner}-${id}`);
          expect(await a.getReceipt(`rc-${winner === "a" ? "b" : "a"}-${id}`)).toBeNull();
        }
      } finally {
        await other.close();
      }
    });

    it("purges each expired challenge once when three stores purge at the same time", async () => {
      const others = [await backend.open(location), await backend.open(location)];
      try {
        const ids = Array.from({ length: 30 }, (_, n) => `ch-purge3-${n}`);
        const old = T0 - 10 * TTL_MS;
        for (const id of ids) {
          await store.insertChallenge({
            ...challenge(id),
            issuedAt: new Date(old),
            expiresAt: new Date(old + TTL_MS),
          });
        }
        // One of them was used: it stays.
        await store.consumeChallenge("ch-purge3-0", receipt("rc-purge3", "ch-purge3-0", old + 1));
        const counts = await Promise.all(
          [store, ...others].map((s) => s.purgeExpiredChallenges(new Date(old + TTL_MS + 1))),
        );
        expect(counts.reduce((a, b) => a + b, 0)).toBe(ids.length - 1);
        for (const id of ids.slice(1)) expect(await store.getChallenge(id)).toBeNull();
        expect((await store.getChallenge("ch-purge3-0"))?.receiptId).toBe("rc-purge3");
      } finally {
        for (const o of others) await o.close();
      }
    });
  });

  describe("the receipt log", () => {
    let log: VerifierStore;
    let at: string;
    beforeAll(async () => {
      at = await backend.newLocation();
      log = await backend.open(at);
      await log.createPolicy(policy("p-main"), new Date(T0));
      await log.createPolicy(policy("p-other"), new Date(T0));
    });
    afterAll(async () => {
      await log?.close();
    });

    const intact = async (s: VerifierStore, count: number) => {
      const entries = await s.logEntries(0, 10_000);
      const parsed = parseLog(entries.map(entryLine).join("\n"));
      const check = checkLog(parsed.entries, [], parsed.problems);
      expect(check.problems).toEqual([]);
      expect(check.head).toEqual(await s.logHead());
      expect(check.head.count).toBe(count);
      return entries;
    };

    it("starts empty, then chains every stored receipt, consumed or not, in order", async () => {
      expect(await log.logHead()).toEqual(EMPTY_LOG_HEAD);
      expect(await log.logEntries(0, 10)).toEqual([]);
      await log.insertChallenge(challenge("ch-log-1"));
      expect(await log.consumeChallenge("ch-log-1", receipt("rc-log-1", "ch-log-1", T0 + 1))).toBe(
        "consumed",
      );
      await log.insertReceipt({
        ...receipt("rc-log-2", null, T0 + 2),
        verified: false,
        issuer: null,
        root: null,
        reasons: ["POLICY_UNKNOWN", "ROOT_UNKNOWN"],
      });
      // A refused consumption stores nothing, so it appends nothing.
      expect(await log.consumeChallenge("ch-log-1", receipt("rc-log-x", "ch-log-1", T0 + 3))).toBe(
        "already-consumed",
      );
      const entries = await intact(log, 2);
      expect(entries.map((e) => [e.seq, e.receipt.id])).toEqual([
        [1, "rc-log-1"],
        [2, "rc-log-2"],
      ]);
      expect(entries[1]?.receipt).toEqual({
        id: "rc-log-2",
        createdAt: new Date(T0 + 2).toISOString(),
        policyId: "p-main",
        challengeId: null,
        root: null,
        issuer: null,
        verified: false,
        reasons: ["POLICY_UNKNOWN", "ROOT_UNKNOWN"],
        clientId: "client-1",
      });
      expect(entries[0]?.receipt.root).toBe((BIG + 4n).toString());
      // Paging: after a number, at most a limit.
      expect((await log.logEntries(1, 10)).map((e) => e.seq)).toEqual([2]);
      expect((await log.logEntries(0, 1)).map((e) => e.seq)).toEqual([1]);
    });

    it("keeps one chain when two connections append at the same time, and across reopen", async () => {
      const other = await backend.open(at);
      try {
        await Promise.all(
          Array.from({ length: 24 }, (_, n) =>
            (n % 2 === 0 ? log : other).insertReceipt(
              receipt(`rc-log-race-${n}`, null, T0 + 10 + n),
            ),
          ),
        );
        await intact(other, 26);
      } finally {
        await other.close();
      }
      const reopened = await backend.open(at);
      try {
        expect(await reopened.logHead()).toEqual(await log.logHead());
      } finally {
        await reopened.close();
      }
    });

    it("counts flows by policy, issuer, verdict and reason, per hour or day", async () => {
      const H = 3_600_000;
      const day = Date.parse("2026-06-01T00:00:00.000Z");
      const put = (id: string, ms: number, over: Partial<Receipt>) =>
        log.insertReceipt({ ...receipt(id, null, ms), ...over });
      await put("rc-flow-1", day + 10, {});
      await put("rc-flow-2", day + 20, { policyId: "p-other" });
      await put("rc-flow-3", day + H + 5, {
        verified: false,
        issuer: null,
        reasons: ["ROOT_UNKNOWN", "NONCE_MISMATCH"],
      });
      await put("rc-flow-4", day + 2 * H, { verified: false, reasons: ["ROOT_UNKNOWN"] });
      // Another receipt's first reason in the same hour: counted under its own code.
      await put("rc-flow-5", day + H + 6, {
        verified: false,
        issuer: null,
        reasons: ["ISSUER_REMOVED"],
      });
      const range = { from: new Date(day), to: new Date(day + 2 * H) };
      const rows = async (by: "policy" | "issuer" | "verdict" | "reason", bucket: "hour" | "day") =>
        (await log.flows({ by, bucket, ...range })).map((r) => [
          r.bucket.toISOString(),
          r.key,
          r.count,
        ]);
      const h0 = new Date(day).toISOString();
      const h1 = new Date(day + H).toISOString();
      expect(await rows("policy", "hour")).toEqual([
        [h0, "p-main", 1],
        [h0, "p-other", 1],
        [h1, "p-main", 2],
      ]);
      expect(await rows("verdict", "day")).toEqual([
        [h0, "refused", 2],
        [h0, "verified", 2],
      ]);
      expect(await rows("issuer", "day")).toEqual([
        [h0, "(none)", 2],
        [h0, ISSUER, 2],
      ]);
      // The receipt at day + 2h is outside [from, to).
      expect(await rows("reason", "hour")).toEqual([
        [h1, "ISSUER_REMOVED", 1],
        [h1, "NONCE_MISMATCH", 1],
        [h1, "ROOT_UNKNOWN", 1],
      ]);
    });

    it("keeps a linked receipt's further roots and issuers, logs them, and counts each issuer once", async () => {
      const day = Date.parse("2026-07-01T00:00:00.000Z");
      const other = "0x2222222222222222222222222222222222222222";
      const linked = {
        ...receipt("rc-linked", null, day + 10),
        linked: [
          { root: BIG + 9n, issuer: other },
          { root: BIG + 10n, issuer: null },
        ],
      };
      await log.insertReceipt(linked);
      await log.insertReceipt(receipt("rc-single", null, day + 20));
      expect(await log.getReceipt("rc-linked")).toEqual(linked);
      expect(await log.getReceipt("rc-single")).toEqual(receipt("rc-single", null, day + 20));
      const head = await log.logHead();
      const [entry] = (await log.logEntries(head.count - 2, 1)) as LogEntry[];
      expect(entry?.receipt.linked).toEqual([
        { root: (BIG + 9n).toString(), issuer: other },
        { root: (BIG + 10n).toString(), issuer: null },
      ]);
      const flows = await log.flows({
        by: "issuer",
        bucket: "day",
        from: new Date(day),
        to: new Date(day + 86_400_000),
      });
      expect(flows.map((r) => [r.key, r.count])).toEqual([
        ["(none)", 1],
        [other, 1],
        [ISSUER, 2],
      ]);
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

    it("sees a key revoked through another connection at once", async () => {
      const other = await backend.open(location);
      try {
        await store.putApiKey(apiKey("k-shared", T0));
        expect((await other.getApiKey("k-shared"))?.revokedAt).toBeNull();
        expect(await other.revokeApiKey("k-shared", new Date(T0 + 1))).toBe(true);
        expect((await store.getApiKey("k-shared"))?.revokedAt).toEqual(new Date(T0 + 1));
      } finally {
        await other.close();
      }
    });
  });

  describe("external circuits", () => {
    const circuit = (name: string, version = "1"): ExternalCircuit => ({
      name,
      version,
      keyHash: `0x${"ab".repeat(32)}`,
      verificationKey: {
        protocol: "groth16",
        curve: "bn128",
        nPublic: 1,
        vk_alpha_1: ["1", "2", "1"],
        vk_beta_2: [
          ["1", "2"],
          ["3", "4"],
          ["1", "0"],
        ],
        vk_gamma_2: [
          ["5", "6"],
          ["7", "8"],
          ["1", "0"],
        ],
        vk_delta_2: [
          ["9", "10"],
          ["11", "12"],
          ["1", "0"],
        ],
        IC: [
          ["1", "2", "1"],
          ["3", "4", "1"],
        ],
      },
      createdAt: new Date(T0),
    });
    it("stores, gets and lists them by name; a taken name changes nothing", async () => {
      expect(await store.insertExternalCircuit(circuit("zeta"))).toBe(true);
      expect(await store.insertExternalCircuit(circuit("alpha"))).toBe(true);
      expect(await store.insertExternalCircuit(circuit("zeta", "2"))).toBe(false);
      expect(await store.getExternalCircuit("zeta")).toEqual(circuit("zeta"));
      expect(await store.getExternalCircuit("none")).toBeNull();
      expect((await store.listExternalCircuits()).map((c) => c.name)).toEqual(["alpha", "zeta"]);
    });
  });

  describe("receipt listing and counts", () => {
    /** A window of its own, far from the other cases' receipts. */
    const T1 = Date.parse("2026-06-01T08:00:00.000Z");
    const at = (minutes: number, ms = 0) => T1 + minutes * 60_000 + ms;
    const made = (id: string, createdAtMs: number, fields: Partial<Receipt> = {}): Receipt => ({
      ...receipt(id, null, createdAtMs),
      ...fields,
    });
    const refused = (reasons: string[]): Partial<Receipt> => ({
      verified: false,
      reasons,
      root: null,
      issuer: null,
    });
    const all = [
      made("rc-l1", at(0, 5)),
      made("rc-l2", at(0, 900), refused(["ROOT_UNKNOWN", "PROOF_INVALID"])),
      // Two in the same millisecond: the id breaks the tie, and the cursor keeps it.
      made("rc-l3a", at(2, 10), { clientId: "client-2", policyId: "p-other" }),
      made("rc-l3b", at(2, 10), refused(["ROOT_UNKNOWN"])),
      made("rc-l4", at(2, 59_999), refused(["CHALLENGE_EXPIRED"])),
      made("rc-l5", at(3), { clientId: "client-2", ...refused(["ROOT_UNKNOWN"]) }),
    ];
    const window = { from: new Date(at(0)), to: new Date(at(4)) };
    const ids = (receipts: readonly Receipt[]) => receipts.map((r) => r.id);

    beforeAll(async () => {
      for (const r of all) await store.insertReceipt(r);
      // Just outside the window on either side.
      await store.insertReceipt(made("rc-before", at(0) - 1, refused(["ROOT_UNKNOWN"])));
      await store.insertReceipt(made("rc-after", at(4), refused(["ROOT_UNKNOWN"])));
    });

    it("lists receipts newest first, the id breaking ties, each filter applied", async () => {
      const list = (q: Partial<Parameters<VerifierStore["listReceipts"]>[0]> = {}) =>
        store.listReceipts({ ...window, limit: 50, ...q });
      expect(await list()).toEqual([...all].reverse());
      expect(ids(await list({ clientId: "client-2" }))).toEqual(["rc-l5", "rc-l3a"]);
      expect(ids(await list({ verified: true }))).toEqual(["rc-l3a", "rc-l1"]);
      expect(ids(await list({ verified: false, clientId: "client-1" }))).toEqual([
        "rc-l4",
        "rc-l3b",
        "rc-l2",
      ]);
      expect(ids(await list({ policyId: "p-other" }))).toEqual(["rc-l3a"]);
      expect(ids(await list({ reason: "ROOT_UNKNOWN" }))).toEqual(["rc-l5", "rc-l3b", "rc-l2"]);
      expect(ids(await list({ reason: "PROOF_INVALID" }))).toEqual(["rc-l2"]);
      expect(ids(await list({ reason: "ROOT" }))).toEqual([]);
      expect(ids(await list({ from: new Date(at(2, 10)), to: new Date(at(3)) }))).toEqual([
        "rc-l4",
        "rc-l3b",
        "rc-l3a",
      ]);
      expect(ids(await list({ limit: 2 }))).toEqual(["rc-l5", "rc-l4"]);
      // No window: the receipts outside it come too.
      const everything = ids(await store.listReceipts({ limit: 1_000 }));
      expect(everything).toContain("rc-before");
      expect(everything.indexOf("rc-after")).toBeLessThan(everything.indexOf("rc-l5"));
    });

    it("pages with the keyset cursor: every receipt once, in order, across a tie", async () => {
      const seen: Receipt[] = [];
      let before: { createdAt: Date; id: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const got = await store.listReceipts({
          ...window,
          limit: 2,
          ...(before ? { before } : {}),
        });
        seen.push(...got);
        const last = got.at(-1);
        if (got.length < 2 || !last) break;
        before = { createdAt: last.createdAt, id: last.id };
      }
      expect(ids(seen)).toEqual(ids([...all].reverse()));
      // A cursor in the middle of the tie.
      const after = await store.listReceipts({
        ...window,
        limit: 50,
        before: { createdAt: new Date(at(2, 10)), id: "rc-l3b" },
      });
      expect(ids(after)).toEqual(["rc-l3a", "rc-l2", "rc-l1"]);
    });

    it("counts receipts per minute and the top reasons of refusals, in [from, to)", async () => {
      const stats = await store.receiptStats(window.from, window.to, 10);
      expect(stats.perMinute).toEqual([
        { minute: new Date(at(0)), verified: 1, refused: 1 },
        { minute: new Date(at(2)), verified: 1, refused: 2 },
        { minute: new Date(at(3)), verified: 0, refused: 1 },
      ]);
      expect(stats.topReasons).toEqual([
        { reason: "ROOT_UNKNOWN", count: 3 },
        { reason: "CHALLENGE_EXPIRED", count: 1 },
        { reason: "PROOF_INVALID", count: 1 },
      ]);
      const top = await store.receiptStats(window.from, window.to, 1);
      expect(top.topReasons).toEqual([{ reason: "ROOT_UNKNOWN", count: 3 }]);
      const empty = await store.receiptStats(new Date(at(10)), new Date(at(20)), 10);
      expect(empty).toEqual({ perMinute: [], topReasons: [] });
    });
  });

  it("keeps everything across close and reopen", async () => {
    const where = await backend.newLocation();
    const first = await backend.open(where);
    await first.createPolicy(policy("p-main"), new Date(T0));
    await first.insertChallenge(challenge("ch-a"));
    await first.insertChallenge(challenge("ch-b"));
    const used = receipt("rc-a", "ch-a", T0 + 1);
    expect(await first.consumeChallenge("ch-a", used)).toBe("consumed");
    await first.putApiKey(apiKey("k-1", T0));
    await first.close();

    const again = await backend.open(where);
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
    } finally {
      await again.close();
    }
  });

  it("answers STORE_UNAVAILABLE once closed", async () => {
    const closed = await backend.open(await backend.newLocation());
    await closed.close();
    expect((await caught(closed.ping())).code).toBe(ErrorCode.STORE_UNAVAILABLE);
    expect((await caught(closed.getPolicy("p-main"))).code).toBe(ErrorCode.STORE_UNAVAILABLE);
  });

  describe("consumption raced by two processes", () => {
    const COUNT = 200;
    const started: ChildProcessWithoutNullStreams[] = [];
    afterAll(() => {
      // Only if a test failed half-way: the racers this file started, by their own handles.
      for (const child of started) if (child.exitCode === null) child.kill();
    });

    /** Starts a racer and resolves once it has opened the store. */
    async function racer(where: string, label: string): Promise<ChildProcessWithoutNullStreams> {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx/esm",
          join(PROJECT_ROOT, "test/verifier/workers/consume-race.ts"),
          backend.kind,
          where,
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
      const where = await backend.newLocation();
      const setup = await backend.open(where);
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

      const racers = await Promise.all([racer(where, "left"), racer(where, "right")]);
      const results = racers.map(outcomesOf);
      for (const r of racers) r.stdin.end("go\n");
      const [left, right] = (await Promise.all(results)) as [
        Record<string, string>,
        Record<string, string>,
      ];

      const check = await backend.open(where);
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
}
