/**
 * `npm run bench:scale`: genuine presentations verified per second over HTTP by 1, 2 and 3
 * verifier instances sharing PostgreSQL and Redis (`crossproof verifier serve --instances N`, one
 * address), and by one instance on the embedded SQLite store, side by side in one run, with the
 * cores each part kept busy.
 *
 * Every request is a whole decision: a presentation for a challenge nobody has used, checked
 * for its challenge (owner, policy, expiry), statement, root (on the chain, cached) and proof
 * (the pairing check), the challenge consumed and the receipt stored in one transaction; every
 * answer must say `verified: true`, else the run fails. Proving is kept out of the measurement:
 * `--genuine` presentations are proved by the holder's service first; each request then carries
 * a re-randomised copy of one of their proofs (support/rerandomize.ts: a distinct valid proof of
 * the same statement) and its own challenge. A proof binds its challenge's nonce, not the
 * challenge's id, so those challenges are copies of the proved ones under new ids, written into
 * the store before the run (the one step that does not go through the API: issuing is not what
 * is measured here).
 *
 * Each configuration runs on its own (the others stopped), in rounds (order reversed every other
 * round): `POST /v1/verifications` one presentation per request with `--single-connections` in
 * flight, then `POST /v1/verifications/batch` with `--batch` per request and
 * `--batch-connections` in flight. The per-key rate limit is on (a limit no run reaches), so the
 * shared instances ask Redis on every request as a deployment does. Cores busy: CPU time of the
 * verifier processes (the cluster's primary and its instances, their worker threads), of the
 * PostgreSQL backends serving them plus PostgreSQL's WAL writer, checkpointer and background
 * writer, of this process (the load), and of the whole machine (other people's work included),
 * divided by the run's wall time. On a 2-core machine the cores bound the total: instances share
 * them.
 *
 * Options: `--presentations N` per configuration, endpoint and round (default 1600), `--rounds
 * N` (2: medians), `--batch N` (16), `--single-connections N` (32), `--batch-connections N`
 * (12), `--genuine N` (4). PostgreSQL and Redis: `CROSSPROOF_BENCH_DATABASE_URL` (default
 * postgres://root@127.0.0.1:5432/test) and `CROSSPROOF_BENCH_REDIS_URL` (redis://127.0.0.1:6379),
 * in a schema and key prefix of the run's own, removed at the end. Writes
 * bench/results/scale-out.json.
 */

import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pLimit from "p-limit";
import { VerifierClient } from "../client/index.js";
import type { ProofBundle } from "../core/proof.js";
import { policyDefinitionOf } from "../core/wire/policy.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { verifierPaths } from "../infra/paths.js";
import { presentationsAhead } from "../reliability/scale-out-load.js";
import {
  type InstanceProcess,
  startInstance,
  startScaleOut,
} from "../reliability/scale-out-stack.js";
import { rerandomizeProof } from "../support/rerandomize.js";
import { PostgresVerifierStore } from "../verifier/postgres-store.js";
import { SqliteVerifierStore } from "../verifier/sqlite-store.js";
import type { ChallengeRecord, VerifierStore } from "../verifier/store.js";
import { newId } from "../verifier/verifier.js";
import {
  coresBusy,
  cpuSnapshot,
  localPortsTo,
  machineCoresBusy,
  processTree,
} from "./process-cpu.js";
import { type Figure, figure, median, percentile, writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    presentations: { type: "string", default: "1600" },
    rounds: { type: "string", default: "2" },
    batch: { type: "string", default: "16" },
    "single-connections": { type: "string", default: "32" },
    "batch-connections": { type: "string", default: "12" },
    genuine: { type: "string", default: "4" },
  },
});
const perRun = Number(values.presentations);
const rounds = Number(values.rounds);
const batchSize = Number(values.batch);
const singleConnections = Number(values["single-connections"]);
const batchConnections = Number(values["batch-connections"]);
const genuineCount = Number(values.genuine);
if (perRun % batchSize !== 0) throw new Error("--presentations must be a multiple of --batch");
const command =
  `npm run bench:scale -- --presentations ${perRun} --rounds ${rounds} --batch ${batchSize} ` +
  `--single-connections ${singleConnections} --batch-connections ${batchConnections} --genuine ${genuineCount}`;
const databaseUrl =
  process.env.CROSSPROOF_BENCH_DATABASE_URL || "postgres://root@127.0.0.1:5432/test";
const redisUrl = process.env.CROSSPROOF_BENCH_REDIS_URL || "redis://127.0.0.1:6379";
/** A per-key limit no run reaches: on, so that shared instances ask Redis on every request. */
const RATE_LIMIT = 1_000_000;
/** Presentations sent before each measured run (JIT, worker pools, connection pools). */
const WARMUP = 32;

interface Config {
  readonly label: string;
  readonly store: "sqlite" | "postgres";
  readonly instances: number;
}
const CONFIGS: readonly Config[] = [
  { label: "SQLite, 1 instance", store: "sqlite", instances: 1 },
  { label: "PostgreSQL, 1 instance", store: "postgres", instances: 1 },
  { label: "PostgreSQL, 2 instances", store: "postgres", instances: 2 },
  { label: "PostgreSQL, 3 instances", store: "postgres", instances: 3 },
];
type Endpoint = "single" | "batch";

/** What one measured run gave. */
interface Measured {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly verifierCores: number;
  readonly postgresCores: number;
  readonly loadCores: number;
  readonly machineCores: number;
}

const loadAtStart = loadavg();
process.stdout.write(`load average at start: ${loadAtStart.map((l) => l.toFixed(2)).join(" ")}\n`);
const release = await loadCircuitRelease("query");
process.stdout.write("starting the stack (chain, issuer, prover; PostgreSQL schema)…\n");
const scale = await startScaleOut({
  instances: 1,
  databaseUrl,
  redisUrl,
  rateLimit: RATE_LIMIT,
  records: 200,
});
const sqliteDir = await mkdtemp(join(tmpdir(), "crossproof-bench-scale-"));
const results = new Map<string, Measured[]>();
const rows: Record<string, unknown>[] = [];
try {
  process.stdout.write(`proving ${genuineCount} genuine presentations…\n`);
  const genuine = await Promise.all(presentationsAhead(scale, genuineCount));
  const postgres = await PostgresVerifierStore.open(databaseUrl, {
    schema: scale.schema,
    poolSize: 4,
  });
  const templates: ChallengeRecord[] = [];
  for (const g of genuine) {
    const record = await postgres.getChallenge(g.challenge.challengeId);
    if (!record) throw new Error("a proved challenge is missing from the store");
    templates.push(record);
  }

  // The instances' environment: the stack's shared state and chain; the cores split between
  // the instances (`--instances` does it when the worker count is not set).
  const without = (names: readonly string[]): Record<string, string> =>
    Object.fromEntries(Object.entries(scale.instanceEnv).filter(([name]) => !names.includes(name)));
  const sharedEnv = without(["CROSSPROOF_VERIFY_WORKERS"]);
  const sqliteEnv = {
    ...without([
      "CROSSPROOF_VERIFY_WORKERS",
      "CROSSPROOF_DATABASE_URL",
      "CROSSPROOF_DATABASE_SCHEMA",
      "CROSSPROOF_REDIS_URL",
      "CROSSPROOF_REDIS_PREFIX",
    ]),
    CROSSPROOF_DATA_DIR: sqliteDir,
  };
  const common = { CROSSPROOF_RATE_LIMIT: String(RATE_LIMIT), CROSSPROOF_LOG_LEVEL: "warn" };
  const start = (config: Config): Promise<InstanceProcess> =>
    config.store === "sqlite"
      ? startInstance({ ...sqliteEnv, ...common }, undefined)
      : startInstance(
          { ...sharedEnv, ...common },
          undefined,
          config.instances > 1 ? ["--instances", String(config.instances)] : [],
        );

  // The SQLite instance's policy (the sample one) and client key, made through its API.
  const first = await start(CONFIGS[0] as Config);
  const definition = policyDefinitionOf(await scale.api.client.policy(SAMPLE_POLICY_ID));
  const sqliteAdmin = new VerifierClient({ url: first.url, apiKey: scale.api.adminKey });
  await sqliteAdmin.createPolicy(definition);
  const sqliteKey = await sqliteAdmin.createApiKey("bench");
  await first.stop();

  // Every run's presentations: a re-randomised proof and a copy of its challenge, in the store.
  const total = rounds * CONFIGS.length * 2 * (perRun + WARMUP);
  process.stdout.write(`preparing ${total} presentations (re-randomised proofs, challenges)…\n`);
  const preparing = performance.now();
  const sqlite = SqliteVerifierStore.open(verifierPaths(sqliteDir).database);
  const prepare = async (store: VerifierStore, clientId: string, count: number) => {
    const now = Date.now();
    const limit = pLimit(8);
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        limit(async () => {
          const n = i % genuine.length;
          const made = genuine[n] as (typeof genuine)[number];
          const bundle: ProofBundle = await rerandomizeProof(release.verificationKey, {
            proof: made.presentation.proof,
            publicSignals: made.presentation.publicSignals,
          });
          const id = newId("ch");
          await store.insertChallenge({
            ...(templates[n] as ChallengeRecord),
            id,
            clientId,
            issuedAt: new Date(now),
            expiresAt: new Date(now + 3 * 3_600_000),
          });
          return { policyId: SAMPLE_POLICY_ID, presentation: { challengeId: id, ...bundle } };
        }),
      ),
    );
  };
  type Item = Awaited<ReturnType<typeof prepare>>[number];
  const work = new Map<string, { warmup: Item[]; single: Item[]; batch: Item[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const config of CONFIGS) {
      const store = config.store === "sqlite" ? sqlite : postgres;
      const clientId = config.store === "sqlite" ? sqliteKey.id : (templates[0]?.clientId ?? "");
      work.set(`${round}/${config.label}`, {
        warmup: await prepare(store, clientId, 2 * WARMUP),
        single: await prepare(store, clientId, perRun),
        batch: await prepare(store, clientId, perRun),
      });
    }
  }
  await sqlite.close();
  await postgres.close();
  process.stdout.write(`prepared in ${((performance.now() - preparing) / 1000).toFixed(1)} s\n`);

  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? CONFIGS : [...CONFIGS].reverse();
    for (const config of order) {
      const prepared = work.get(`${round}/${config.label}`);
      if (!prepared) throw new Error("nothing prepared");
      const key = config.store === "sqlite" ? sqliteKey.key : scale.api.clientKey;
      const instance = await start(config);
      try {
        await drive(instance.url, "single", prepared.warmup, key, singleConnections);
        for (const endpoint of ["single", "batch"] as const) {
          process.stdout.write(`round ${round + 1}: ${config.label}, ${endpoint} endpoint…\n`);
          const measured = await measure(instance, endpoint, prepared[endpoint], key);
          const name = `${config.label}/${endpoint}`;
          results.set(name, [...(results.get(name) ?? []), measured]);
          rows.push({ round: round + 1, config: config.label, endpoint, ...measured });
          process.stdout.write(
            `  ${measured.perSecond.toFixed(1)} verifications/s, verifier ${measured.verifierCores.toFixed(2)} cores, postgres ${measured.postgresCores.toFixed(2)}, machine ${measured.machineCores.toFixed(2)}\n`,
          );
        }
      } finally {
        await instance.stop();
        // A PostgreSQL-mode instance's data folder is a new empty one each start.
        if (config.store === "postgres")
          await rm(instance.dataDir, { recursive: true, force: true });
      }
    }
  }
} finally {
  await scale.close();
  await rm(sqliteDir, { recursive: true, force: true });
}

// Medians over the rounds; PostgreSQL with N instances against 1, and SQLite against PostgreSQL.
// Per core-second of the verifier: what the throughput would be per core the verifier got,
// the figure that survives other people's load on a shared machine.
const figures: Figure[] = [];
const table: string[][] = [
  [
    "run",
    "verif./s",
    "×",
    "p50 ms",
    "p99 ms",
    "verifier",
    "postgres",
    "load",
    "machine",
    "per verifier core-s",
  ],
];
const med = (name: string, pick: (m: Measured) => number) =>
  median((results.get(name) ?? []).map(pick));
for (const endpoint of ["single", "batch"] as const) {
  const what =
    endpoint === "single"
      ? `one per request, ${singleConnections} in flight`
      : `${batchSize} per request, ${batchConnections} requests in flight`;
  const pg1 = med(`PostgreSQL, 1 instance/${endpoint}`, (m) => m.perSecond);
  for (const config of CONFIGS) {
    const name = `${config.label}/${endpoint}`;
    const label = `${config.label}, ${what}`;
    const perSecond = med(name, (m) => m.perSecond);
    const perCore = med(name, (m) => m.perSecond / m.verifierCores);
    const baseline = config.label.startsWith("PostgreSQL, 1") ? null : pg1;
    const cores = {
      verifier: med(name, (m) => m.verifierCores),
      postgres: med(name, (m) => m.postgresCores),
      load: med(name, (m) => m.loadCores),
      machine: med(name, (m) => m.machineCores),
    };
    const p50 = med(name, (m) => m.p50);
    const p99 = med(name, (m) => m.p99);
    figures.push(
      figure(`${label}: verifications`, "/s", perSecond, command, baseline),
      figure(`${label}: verifications per verifier core-second`, "/core-s", perCore, command),
      figure(`${label}: request p50`, "ms", p50, command),
      figure(`${label}: request p99`, "ms", p99, command),
      figure(`${label}: cores busy, verifier`, "cores", cores.verifier, command),
      figure(`${label}: cores busy, PostgreSQL`, "cores", cores.postgres, command),
      figure(`${label}: cores busy, load (bench)`, "cores", cores.load, command),
      figure(`${label}: cores busy, whole machine`, "cores", cores.machine, command),
    );
    table.push([
      `${config.label}, ${endpoint === "single" ? "single" : `batch of ${batchSize}`}`,
      perSecond.toFixed(1),
      baseline === null ? "" : `${(perSecond / baseline).toFixed(2)}×`,
      p50.toFixed(0),
      p99.toFixed(0),
      cores.verifier.toFixed(2),
      cores.postgres.toFixed(2),
      cores.load.toFixed(2),
      cores.machine.toFixed(2),
      perCore.toFixed(1),
    ]);
  }
}
const loadAtEnd = loadavg();
process.stdout.write(
  `\ngenuine presentations over HTTP, ${perRun} per run, medians of ${rounds} rounds; × against PostgreSQL, 1 instance; cores busy during the run\n`,
);
const widths = (table[0] ?? []).map((_, c) => Math.max(...table.map((r) => (r[c] ?? "").length)));
for (const row of table) {
  process.stdout.write(
    `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join("  ")}\n`,
  );
}
process.stdout.write(
  `\nload average: ${loadAtStart.map((l) => l.toFixed(2)).join(" ")} at start, ${loadAtEnd.map((l) => l.toFixed(2)).join(" ")} at the end; ${cpus().length} cores\n`,
);
process.stdout.write(
  `wrote ${await writeResults("scale-out", figures, { rows, loadAverage: { start: loadAtStart, end: loadAtEnd } })}\n`,
);

/** Sends `items` to `url`, `connections` requests at a time; every one must be verified. */
async function drive(
  url: string,
  endpoint: Endpoint,
  items: readonly unknown[],
  key: string,
  connections: number,
): Promise<{ latencies: number[]; seconds: number }> {
  const per = endpoint === "single" ? 1 : batchSize;
  const bodies: string[] = [];
  for (let i = 0; i < items.length; i += per) {
    bodies.push(
      JSON.stringify(endpoint === "single" ? items[i] : { items: items.slice(i, i + per) }),
    );
  }
  const target = new URL(`${url}/v1/verifications${endpoint === "single" ? "" : "/batch"}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++] as string;
          const t = performance.now();
          const { status, text } = await post(agent, target, body, key);
          latencies.push(performance.now() - t);
          const answer = JSON.parse(text) as {
            verified?: boolean;
            results?: { verified?: boolean }[];
          };
          const verified =
            endpoint === "single"
              ? answer.verified === true
              : answer.results?.length === per && answer.results.every((r) => r.verified === true);
          if (status !== 200 || !verified) {
            throw new Error(
              `a genuine presentation was not verified: ${status} ${text.slice(0, 300)}`,
            );
          }
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

function post(
  agent: http.Agent,
  url: URL,
  body: string,
  key: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: `Bearer ${key}`,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (c: Buffer) => chunks.push(c));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** One measured run, with the cores each part kept busy. */
async function measure(
  instance: InstanceProcess,
  endpoint: Endpoint,
  items: readonly unknown[],
  key: string,
): Promise<Measured> {
  const before = await cpuSnapshot();
  const load = process.cpuUsage();
  const { latencies, seconds } = await drive(
    instance.url,
    endpoint,
    items,
    key,
    endpoint === "single" ? singleConnections : batchConnections,
  );
  const loadUsed = process.cpuUsage(load);
  const after = await cpuSnapshot();
  const verifier = processTree(after, instance.pid);
  // PostgreSQL's share: the backends serving the verifier's connections, and the processes
  // every write goes through (WAL writer, checkpointer, background writer, autovacuum).
  const ports = await localPortsTo(verifier, 5432);
  const backends = await scale.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE client_port = ANY($1::int[])
         OR backend_type IN ('walwriter', 'checkpointer', 'background writer', 'autovacuum worker')`,
    [ports],
  );
  return {
    perSecond: items.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    verifierCores: coresBusy(before, after, verifier),
    postgresCores: coresBusy(
      before,
      after,
      backends.map((b) => b.pid),
    ),
    loadCores: (loadUsed.user + loadUsed.system) / 1e6 / ((after.at - before.at) / 1000),
    machineCores: machineCoresBusy(before, after),
  };
}
