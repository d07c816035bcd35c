/**
 * What only the PostgreSQL store does (the rest is the contract suite, `store-contract.test.ts`):
 * migrations applied once by instances opening together, a database from a newer crossproof
 * refused, an unreachable server, and a server that goes down and comes back (a private cluster
 * of this file's own: the shared server is never stopped) — `STORE_UNAVAILABLE` meanwhile,
 * nothing half-written, recovery without reopening, and the password in no error.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors.js";
import { checkLog, entryLine, parseLog } from "../../core/receipt-log.js";
import { PROJECT_ROOT } from "../../infra/paths.js";
import { freeLoopbackPort } from "../../infra/ports.js";
import { PostgresVerifierStore } from "../../verifier/postgres-store.js";
import { caught } from "../helpers/errors.js";
import { type PrivatePostgres, startPrivatePostgres } from "../helpers/private-services.js";
import {
  checkServices,
  dropSchema,
  queryOnce,
  TEST_DATABASE_URL,
  uniqueName,
} from "../helpers/shared-services.js";
import { challenge, policy, receipt } from "./store-contract.js";

/** Every migration the store runs, in order: all of them apply to a new schema. */
const MIGRATIONS_DIR = join(PROJECT_ROOT, "verifier", "migrations");

const T0 = Date.parse("2026-05-10T12:00:00.000Z");
const services = await checkServices(["postgres"], "the PostgreSQL store tests");

/** Every text an error shows or carries: message, details, JSON, and its cause's message. */
function shown(err: Error): string {
  return [
    err.message,
    JSON.stringify(err),
    String((err as { cause?: unknown }).cause ?? ""),
    err.stack ?? "",
  ].join("\n");
}

describe.runIf(services.run)("the PostgreSQL verifier store", () => {
  const schemas: string[] = [];
  const newSchema = () => {
    const s = uniqueName("cp_pgstore");
    schemas.push(s);
    return s;
  };
  beforeAll(() => services.assertAvailable());
  afterAll(async () => {
    for (const s of schemas) await dropSchema(TEST_DATABASE_URL, s);
  });

  it("migrates a new schema once when five instances open it together", async () => {
    const schema = newSchema();
    const stores = await Promise.all(
      Array.from({ length: 5 }, () => PostgresVerifierStore.open(TEST_DATABASE_URL, { schema })),
    );
    try {
      const rows = await queryOnce<{ name: string }>(
        TEST_DATABASE_URL,
        `SELECT name FROM ${schema}.crossproof_migrations ORDER BY id`,
      );
      const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql")).sort();
      expect(files.length).toBeGreaterThanOrEqual(5);
      expect(rows.map((r) => r.name)).toEqual(files.map((f) => f.replace(/\.sql$/, "")));
      await stores[0]?.createPolicy(policy("p-main"), new Date(T0));
      expect((await stores[4]?.getPolicy("p-main"))?.definition.id).toBe("p-main");
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it("chains receipts stored without a place in the log (before its migration) when it opens", async () => {
    const schema = newSchema();
    const first = await PostgresVerifierStore.open(TEST_DATABASE_URL, { schema });
    await first.insertReceipt(receipt("rc-chained", null, T0));
    await first.close();
    // Two receipts as an older crossproof wrote them: no seq, prev or hash.
    for (const [id, ms] of [
      ["rc-old-b", T0 + 2],
      ["rc-old-a", T0 + 1],
    ] as const) {
      await queryOnce(
        TEST_DATABASE_URL,
        `INSERT INTO ${schema}.receipts (id, created_at, policy_id, verified, reasons, client_id)
         VALUES ('${id}', to_timestamp(${ms} / 1000.0), 'p-main', false, '["ROOT_UNKNOWN"]', 'c')`,
      );
    }
    const reopened = await PostgresVerifierStore.open(TEST_DATABASE_URL, { schema });
    try {
      const entries = await reopened.logEntries(0, 10);
      expect(entries.map((e) => [e.seq, e.receipt.id])).toEqual([
        [1, "rc-chained"],
        [2, "rc-old-a"],
        [3, "rc-old-b"],
      ]);
      const parsed = parseLog(entries.map(entryLine).join("\n"));
      expect(checkLog(parsed.entries, []).problems).toEqual([]);
      expect(await reopened.logHead()).toEqual({ count: 3, head: entries[2]?.hash });
    } finally {
      await reopened.close();
    }
  });

  it("refuses a database migrated by a newer crossproof", async () => {
    const schema = newSchema();
    await (await PostgresVerifierStore.open(TEST_DATABASE_URL, { schema })).close();
    await queryOnce(
      TEST_DATABASE_URL,
      `INSERT INTO ${schema}.crossproof_migrations (name, run_on) VALUES ('1900000000000_future', now())`,
    );
    const err = await caught(PostgresVerifierStore.open(TEST_DATABASE_URL, { schema }));
    expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE);
    expect(err.details).toMatchObject({ postgres: "SCHEMA_NEWER" });
    expect(err.message).toMatch(/newer crossproof \(1900000000000_future\)/);
  });

  it("refuses an API key name PostgreSQL cannot hold (U+0000) as a bad request", async () => {
    const store = await PostgresVerifierStore.open(TEST_DATABASE_URL, { schema: newSchema() });
    try {
      const err = await caught(
        store.putApiKey({
          id: "k-nul",
          name: "a\u0000b",
          role: "client",
          secretHash: "ab".repeat(32),
          createdAt: new Date(T0),
          revokedAt: null,
        }),
      );
      expect(err.code).toBe(ErrorCode.INVALID_REQUEST);
      expect(await store.getApiKey("k-nul")).toBeNull();
    } finally {
      await store.close();
    }
  });

  it("answers STORE_UNAVAILABLE naming the host, never the password, when nothing listens", async () => {
    const port = await freeLoopbackPort();
    const url = `postgres://root:hunter2-secret@127.0.0.1:${port}/test`;
    const started = performance.now();
    const err = await caught(PostgresVerifierStore.open(url, { connectTimeoutMs: 1_000 }));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE);
    expect(err.message).toBe(
      `the verifier database (PostgreSQL at postgres://root@127.0.0.1:${port}/test) cannot be opened (ECONNREFUSED)`,
    );
    expect(shown(err)).not.toContain("hunter2");
  });

  describe("a server that goes down and comes back", () => {
    let server: PrivatePostgres;
    let store: PostgresVerifierStore;
    beforeAll(async () => {
      server = await startPrivatePostgres();
      store = await PostgresVerifierStore.open(server.url, { connectTimeoutMs: 1_000 });
      await store.createPolicy(policy("p-main"), new Date(T0));
      await store.insertChallenge(challenge("ch-outage"));
    }, 60_000);
    afterAll(async () => {
      await store?.close().catch(() => undefined);
      await server?.destroy();
    });

    it("is unavailable while down, changes nothing, and recovers without reopening", async () => {
      await server.stop("immediate");
      for (const work of [
        () => store.ping(),
        () => store.getPolicy("p-main"),
        () => store.consumeChallenge("ch-outage", receipt("rc-outage", "ch-outage", T0 + 1)),
        () => store.insertReceipt(receipt("rc-lost", null, T0 + 1)),
      ]) {
        const err = await caught(work);
        expect(err.code).toBe(ErrorCode.STORE_UNAVAILABLE);
        expect(err.details.retryAfterSeconds).toBe(1);
        expect(typeof err.details.postgres).toBe("string");
        expect(shown(err)).not.toContain(server.password);
      }
      await server.start();
      await expect(store.ping()).resolves.toBeUndefined();
      // Nothing was written while it was down; the challenge is still there to be used once.
      expect((await store.getChallenge("ch-outage"))?.consumedAt).toBeNull();
      expect(await store.getReceipt("rc-lost")).toBeNull();
      expect(
        await store.consumeChallenge("ch-outage", receipt("rc-after", "ch-outage", T0 + 2)),
      ).toBe("consumed");
      expect(await store.getReceipt("rc-after")).not.toBeNull();
    }, 60_000);
  });
});

if (!services.run) {
  describe("the PostgreSQL verifier store", () => {
    it.skip(`is skipped: ${services.missing}`, () => undefined);
  });
}
