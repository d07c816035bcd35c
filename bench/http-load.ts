/**
 * `npm run bench:http`: the verifier service under HTTP load (autocannon), on this machine.
 *
 * The services run as `crossproof start` does (a child process: local chain, prover, verifier
 * with its worker pool and micro-batching; the per-key rate limit off) in a temporary data
 * folder; the load comes from this process. Proofs: `--genuine N` genuine `query` proofs of
 * distinct statements, re-randomised into 512 distinct valid proofs; the requests cycle through
 * them, so the service checks a different proof each time (it caches no verdict).
 *
 * 1. `POST /v1/circuits/query/verify`, one proof per request, with each of `--single-connections`
 *    requests in flight (the service batches them: micro-batching);
 * 2. `POST /v1/circuits/query/verify/batch`, `--batch` proofs per request, with each of
 *    `--batch-connections` in flight. Latency grows with what is in flight (Little's law: at
 *    700 proofs/s, 64 proofs in flight wait ≈ 90 ms on average), so each endpoint runs at a
 *    low concurrency, for the latency, and a high one, for the most throughput;
 * 3. `POST /v1/verifications/batch` with genuine presentations (challenge, proof from the prover
 *    service, every check, the challenge consumed, a receipt stored): `--presentations` of them,
 *    proved first (≈ 1.5 s each on 2 cores), sent `--batch` at a time.
 *
 * Every response is read: any non-2xx, error or timeout, any proof not valid, any presentation
 * not verified fails the run. The proofs the workers checked are counted from the service's
 * own `/metrics` as a cross-check. Writes bench/results/http.json (figures and the latency
 * percentiles that `npm run bench` draws).
 *
 * Options: `--duration S` (default 10), `--single-connections N,M` (16,64), `--batch N` (16),
 * `--batch-connections N,M` (2,8), `--presentations N` (32), `--genuine N` (8).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import pLimit from "p-limit";
import { ProverClient, subjectHash, VerifierClient } from "../client/index.js";
import type { ProofBundle } from "../core/proof.js";
import { policyDefinitionOf } from "../core/wire/policy.js";
import { pickApplicants, SAMPLE_POLICY_ID } from "../deploy/local.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { PROJECT_ROOT, verifierPaths } from "../infra/paths.js";
import { freeLoopbackPort } from "../infra/ports.js";
import { queryShape } from "../prover/prove-query.js";
import { parsePolicyDefinition } from "../verifier/policy.js";
import { type Figure, figure, printTable, writeResults } from "./report.js";
import { distinctValidProofs } from "./witnesses.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    "single-connections": { type: "string", default: "16,64" },
    batch: { type: "string", default: "16" },
    "batch-connections": { type: "string", default: "2,8" },
    presentations: { type: "string", default: "32" },
    genuine: { type: "string", default: "8" },
  },
});
const duration = Number(values.duration);
const counts = (text: string) => text.split(",").map(Number);
const singleConnections = counts(values["single-connections"]);
const batchSize = Number(values.batch);
const batchConnections = counts(values["batch-connections"]);
const presentationCount = Number(values.presentations);
const genuineCount = Number(values.genuine);
const command =
  `npm run bench:http -- --duration ${duration} --single-connections ${singleConnections.join(",")} ` +
  `--batch ${batchSize} --batch-connections ${batchConnections.join(",")} ` +
  `--presentations ${presentationCount} --genuine ${genuineCount}`;

// Proofs first, while the machine is otherwise idle.
const release = await loadCircuitRelease("query");
const { k } = queryShape(release);
const proofs = await distinctValidProofs(release, genuineCount, 512);

const dataDir = await mkdtemp(join(tmpdir(), "crossproof-bench-http-"));
const verifierPort = await freeLoopbackPort();
const proverPort = await freeLoopbackPort();
const child = spawn(process.execPath, [join(PROJECT_ROOT, "cli", "bin.js"), "start"], {
  env: {
    ...process.env,
    CROSSPROOF_DATA_DIR: dataDir,
    CROSSPROOF_VERIFIER_PORT: String(verifierPort),
    CROSSPROOF_PROVER_PORT: String(proverPort),
    CROSSPROOF_RATE_LIMIT: "0",
    CROSSPROOF_LOG_LEVEL: "warn",
  },
  stdio: ["ignore", "ignore", "inherit"],
});
const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
const verifierUrl = `http://127.0.0.1:${verifierPort}`;
const figures: Figure[] = [];
const latencies: { endpoint: string; percentile: string; ms: number }[] = [];

try {
  process.stdout.write("starting the services (crossproof start)…\n");
  // Ready once the verifier answers and the client key is written (the last step of start-up).
  let apiKey = "";
  while (!apiKey) {
    if (child.exitCode !== null) throw new Error(`crossproof start exited with ${child.exitCode}`);
    const ready = await fetch(`${verifierUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) {
      apiKey = await readFile(verifierPaths(dataDir).clientKey, "utf8").then(
        (text) => text.trim(),
        () => "",
      );
    }
    if (!apiKey) await sleep(250);
  }
  const client = new VerifierClient({ url: verifierUrl, apiKey });
  const headers = { "content-type": "application/json", authorization: `Bearer ${apiKey}` };

  /** Proofs the workers checked so far, from the service's /metrics. */
  const checkedByWorkers = async () => {
    const text = await (await fetch(`${verifierUrl}/metrics`)).text();
    return Number(/^crossproof_verifier_batch_size_sum (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
  };

  /** An autocannon run cycling through `bodies`; fails on any error or non-2xx answer. */
  const load = async (name: string, path: string, bodies: string[], connections: number) => {
    let next = 0;
    const before = await checkedByWorkers();
    process.stdout.write(`${name}: ${connections} connections for ${duration} s…\n`);
    const result = await autocannon({
      url: `${verifierUrl}${path}`,
      method: "POST",
      headers,
      connections,
      duration,
      requests: [
        {
          setupRequest: (request) => {
            request.body = bodies[next++ % bodies.length] as string;
            return request;
          },
        },
      ],
    });
    const checked = (await checkedByWorkers()) - before;
    if (result.errors || result.timeouts || result.non2xx) {
      throw new Error(
        `${name}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`,
      );
    }
    const requestsPerSecond = result.requests.total / result.duration;
    for (const [label, ms] of [
      ["p50", result.latency.p50],
      ["p90", result.latency.p90],
      ["p99", result.latency.p99],
      ["max", result.latency.max],
    ] as const) {
      latencies.push({ endpoint: name, percentile: label, ms });
    }
    return { result, requestsPerSecond, checked };
  };

  // 1. One proof per request; 2. `batchSize` proofs per request.
  const singleBodies = proofs.map((p) => JSON.stringify(p));
  const batchBodies = Array.from({ length: proofs.length / batchSize }, (_, i) =>
    JSON.stringify({ items: proofs.slice(i * batchSize, (i + 1) * batchSize) }),
  );
  const runs: { endpoint: string; connections: number; perRequest: number; path: string }[] = [
    ...singleConnections.map((connections) => ({
      endpoint: "single endpoint",
      connections,
      perRequest: 1,
      path: "/v1/circuits/query/verify",
    })),
    ...batchConnections.map((connections) => ({
      endpoint: "batch endpoint",
      connections,
      perRequest: batchSize,
      path: "/v1/circuits/query/verify/batch",
    })),
  ];
  let checked = 0;
  let answered = 0;
  for (const run of runs) {
    const name = `${run.endpoint}, ${run.connections} connections`;
    const measured = await load(
      name,
      run.path,
      run.perRequest === 1 ? singleBodies : batchBodies,
      run.connections,
    );
    checked += measured.checked;
    answered += measured.result.requests.total * run.perRequest;
    const per = run.perRequest === 1 ? "" : ` (${run.perRequest} proofs per request)`;
    figures.push(
      figure(
        `${name}: proof checks${per}`,
        "verifications/s",
        measured.requestsPerSecond * run.perRequest,
        command,
      ),
      figure(`${name}: request latency p50`, "ms", measured.result.latency.p50, command),
      figure(`${name}: request latency p99`, "ms", measured.result.latency.p99, command),
    );
  }
  // Spot check: the answers say valid (autocannon does not read bodies).
  const spot = await client.checkProofs("query", proofs.slice(0, batchSize));
  if (!spot.results.every((r) => r.valid)) throw new Error("a valid proof was refused");
  const bad = await client.checkProof("query", {
    proof: (proofs[0] as ProofBundle).proof,
    publicSignals: [...(proofs[1] as ProofBundle).publicSignals],
  });
  if (bad.valid) throw new Error("a proof with another statement's signals was accepted");

  // 3. Genuine presentations, every check, in batches.
  const definition = policyDefinitionOf(await client.policy(SAMPLE_POLICY_ID));
  const applicants = await pickApplicants(dataDir, parsePolicyDefinition(definition, k), k);
  const subject = subjectHash("credit-report-v1", "subjectId", applicants.eligible.subjectId);
  const proverClient = new ProverClient({ url: `http://127.0.0.1:${proverPort}` });
  process.stdout.write(`proving ${presentationCount} presentations (prover service)…\n`);
  const proving = pLimit(4); // the prover's queue holds two jobs per worker
  const presentations = await Promise.all(
    Array.from({ length: presentationCount }, () =>
      proving(async () =>
        proverClient.present(
          applicants.eligible.recordId,
          await client.issueChallenge(SAMPLE_POLICY_ID, subject),
        ),
      ),
    ),
  );
  const batchMs: number[] = [];
  const started = performance.now();
  for (let i = 0; i < presentations.length; i += batchSize) {
    const t = performance.now();
    const answer = await client.verifyBatch(
      presentations
        .slice(i, i + batchSize)
        .map((presentation) => ({ policyId: SAMPLE_POLICY_ID, presentation })),
    );
    batchMs.push(performance.now() - t);
    if (!answer.results.every((r) => "verified" in r && r.verified)) {
      throw new Error(`a genuine presentation was not verified: ${JSON.stringify(answer)}`);
    }
  }
  const presentationsPerSecond = presentations.length / ((performance.now() - started) / 1000);

  figures.push(
    figure("proofs checked by the workers during the runs (/metrics)", "proofs", checked, command),
    figure("proofs answered during the runs", "proofs", answered, command),
    figure(
      `genuine presentations, every check, ${batchSize} per request (${presentationCount} in all)`,
      "verifications/s",
      presentationsPerSecond,
      command,
    ),
    figure(
      `genuine presentations: latency of a request of ${batchSize}, max`,
      "ms",
      Math.max(...batchMs),
      command,
    ),
  );
  printTable(
    `verifier service under HTTP load (autocannon, ${duration} s per run; proofs cycle through 512 distinct valid ones)`,
    figures,
  );
  process.stdout.write(`\nwrote ${await writeResults("http", figures, { latencies })}\n`);
} finally {
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(15_000)]);
  await rm(dataDir, { recursive: true, force: true });
}
