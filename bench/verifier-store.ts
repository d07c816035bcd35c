/**
 * The verifier store's share of a verification, SQLite against PostgreSQL, side by side in one
 * run: per decision, what the service asks of its store (the key, the challenge, then the
 * consumption with its receipt in one transaction), `--concurrency` at a time per store, with 1
 * SQLite store and 1, 2 and 3 PostgreSQL stores (one pool each, as instances have) sharing the
 * same challenges. Decisions per second, p50/p99 latency, and the cores this process kept busy.
 * The pairing check is not included: `npm run bench:throughput` measures it.
 *
 *   npm run bench:store -- [--decisions 3000] [--concurrency 16]
 *
 * PostgreSQL: `CROSSPROOF_BENCH_DATABASE_URL` (default postgres://root@127.0.0.1:5432/test), in
 * a schema of the run's own, dropped at the end. Writes bench/results/verifier-store.json.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pLimit from "p-limit";
import pg from "pg";
import { Op } from "../core/query.js";
import { getSchema } from "../core/schema.js";
import { parsePolicyDefinition } from "../verifier/policy.js";
import { PostgresVerifierStore } from "../verifier/postgres-store.js";
import { SqliteVerifierStore } from "../verifier/sqlite-store.js";
import type { ChallengeRecord, VerifierStore } from "../verifier/store.js";
import { type Figure, figure, percentile, printTable, writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    decisions: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "16" },
  },
});
const decisions = Number(values.decisions);
const concurrency = Number(values.concurrency);
const url = process.env.CROSSPROOF_BENCH_DATABASE_URL || "postgres://root@127.0.0.1:5432/test";
const command = `npx tsx bench/verifier-store.ts --decisions ${decisions} --concurrency ${concurrency}`;

const schemaId = getSchema("credit-report-v1").schemaId;
const policy = parsePolicyDefinition(
  {
    id: "bench",
    description: "bench",
    schema: "credit-report-v1",
    issuers: ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"],
    predicates: [{ op: "GTE", field: "creditScore", value: 650 }],
  },
  8,
);

function challenge(id: string): ChallengeRecord {
  const now = Date.now();
  return {
    id,
    policyId: "bench",
    nonce: 2n ** 200n + 7n,
    schemaId,
    queryHash: 2n ** 201n + 9n,
    predicates: [{ op: Op.GTE, i: 2, j: 0, a: 650n, b: 0n }],
    query: [{ op: "GTE", field: "creditScore", value: 650 }],
    issuedAt: new Date(now),
    expiresAt: new Date(now + 3_600_000),
    clientId: "client",
    consumedAt: null,
    circuit: "query",
    table: null,
    link: null,
    linked: [],
    receiptId: null,
  };
}

/** Runs `decisions` decisions spread over `stores`; every challenge is presented to each store. */
async function run(
  label: string,
  stores: readonly VerifierStore[],
  prefix: string,
): Promise<Figure[]> {
  const setup = stores[0] as VerifierStore;
  await setup.putApiKey({
    id: "client",
    name: "bench",
    role: "client",
    secretHash: "ab".repeat(32),
    createdAt: new Date(),
    revokedAt: null,
  });
  const ids = Array.from({ length: decisions }, (_, n) => `${prefix}-${n}`);
  for (const id of ids) await setup.insertChallenge(challenge(id));
  const latencies: number[] = [];
  let consumed = 0;
  const limits = stores.map(() => pLimit(concurrency));
  const cpu = process.cpuUsage();
  const started = performance.now();
  // Each challenge goes to every store at once, as the tests' races do; one of them consumes it.
  await Promise.all(
    ids.flatMap((id) =>
      stores.map((store, s) =>
        (limits[s] as ReturnType<typeof pLimit>)(async () => {
          const t = performance.now();
          await store.getApiKey("client");
          await store.getChallenge(id);
          const outcome = await store.consumeChallenge(id, {
            id: `${id}-r${s}`,
            createdAt: new Date(),
            policyId: "bench",
            challengeId: id,
            root: 1n,
            issuer: null,
            verified: true,
            reasons: [],
            clientId: "client",
          });
          if (outcome === "consumed") consumed += 1;
          latencies.push(performance.now() - t);
        }),
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (consumed !== decisions) throw new Error(`${label}: ${consumed} consumed of ${decisions}`);
  return [
    figure(`${label}: challenges decided`, "/s", Math.round(decisions / seconds), command),
    figure(
      `${label}: presentations answered`,
      "/s",
      Math.round((decisions * stores.length) / seconds),
      command,
    ),
    figure(`${label}: p50`, "ms", percentile(latencies, 50), command),
    figure(`${label}: p99`, "ms", percentile(latencies, 99), command),
    figure(
      `${label}: cores busy (this process)`,
      "cores",
      (used.user + used.system) / 1e6 / seconds,
      command,
    ),
  ];
}

const figures: Figure[] = [];
const dir = await mkdtemp(join(tmpdir(), "crossproof-bench-store-"));
const schema = `cp_bench_${process.pid}_${randomBytes(4).toString("hex")}`;
try {
  const sqlite = SqliteVerifierStore.open(join(dir, "verifier.sqlite"));
  await sqlite.createPolicy(policy, new Date());
  figures.push(...(await run("SQLite, 1 instance", [sqlite], "s1")));
  await sqlite.close();
  for (const n of [1, 2, 3]) {
    const stores = await Promise.all(
      Array.from({ length: n }, () => PostgresVerifierStore.open(url, { schema })),
    );
    if (n === 1) await stores[0]?.createPolicy(policy, new Date());
    figures.push(...(await run(`PostgreSQL, ${n} instance${n > 1 ? "s" : ""}`, stores, `p${n}`)));
    for (const s of stores) await s.close();
  }
} finally {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  await client.end();
  await rm(dir, { recursive: true, force: true });
}
printTable(
  `verifier store: ${decisions} challenges, each presented to every instance, ${concurrency} at a time per instance`,
  figures,
);
process.stdout.write(`\nwrote ${await writeResults("verifier-store", figures)}\n`);
