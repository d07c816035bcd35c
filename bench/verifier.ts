/**
 * `npm run bench:verifier`: the verifier service over HTTP on this machine, on the stack
 * `npm start` runs (local chain, prover and verifier services) in a temporary data folder.
 *
 * - challenge issuance latency (one at a time, on an idle service);
 * - verification latency of genuine presentations, one at a time (every check, receipt stored);
 * - refusal latency of a replay (stops at the challenge check: no pairing);
 * - proof checks per second through `POST /v1/circuits/query/verify` with `--concurrency`
 *   requests in flight, against a plain in-process `snarkjs.groth16.verify` loop on the same
 *   proof (the service's worker pool against one thread).
 *
 * Options: `--presentations N` (default 16), `--checks N` (default 400), `--concurrency N`
 * (default 8). Prints a table and writes bench/results/verifier.json.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pLimit from "p-limit";
import { ProverClient, subjectHash, VerifierClient } from "../client/index.js";
import { parseProofBundle } from "../core/proof.js";
import { SAMPLE_POLICY_ID, startStack } from "../deploy/local.js";
import { createLogger } from "../infra/log.js";
import { releaseSnarkjsCurve } from "../infra/snarkjs-runtime.js";
import { serviceConfigFromEnv } from "../server/config.js";
import { pairingCheck } from "../support/verify-proof.js";
import { type Figure, figure, percentile, printTable, writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    presentations: { type: "string", default: "16" },
    checks: { type: "string", default: "400" },
    concurrency: { type: "string", default: "8" },
  },
});
const presentations = Number(values.presentations);
const checks = Number(values.checks);
const concurrency = Number(values.concurrency);
const command = `npm run bench:verifier -- --presentations ${presentations} --checks ${checks} --concurrency ${concurrency}`;

const dataDir = await mkdtemp(join(tmpdir(), "crossproof-bench-verifier-"));
const env = {
  CROSSPROOF_DATA_DIR: dataDir,
  CROSSPROOF_LOG_LEVEL: "warn",
  CROSSPROOF_RATE_LIMIT: "0",
  CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1", // the committed keys are development keys
};
const stack = await startStack({
  config: serviceConfigFromEnv(env),
  env,
  logger: createLogger("bench", env),
  records: 1000,
  seed: 1,
  print: () => {},
  verifierPort: 0,
  proverPort: 0,
});
const figures: Figure[] = [];
try {
  const apiKey = (await readFile(stack.clientKeyPath, "utf8")).trim();
  const verifier = new VerifierClient({ url: stack.verifier.url, apiKey });
  const prover = new ProverClient({ url: stack.prover.url });
  const subject = subjectHash("credit-report-v1", "subjectId", stack.applicants.eligible.subjectId);

  // Challenges one at a time on an idle service, then the presentations (proving in the pool).
  const issue: number[] = [];
  const challenges = [];
  for (let i = 0; i < presentations; i++) {
    const started = performance.now();
    challenges.push(await verifier.issueChallenge(SAMPLE_POLICY_ID, subject));
    issue.push(performance.now() - started);
  }
  process.stderr.write(`proving ${presentations} presentations…\n`);
  // The prover's queue holds two jobs per worker: keep within it.
  const proving = pLimit(4);
  const made = await Promise.all(
    challenges.map((challenge) =>
      proving(() => prover.present(stack.applicants.eligible.recordId, challenge)),
    ),
  );

  const verify: number[] = [];
  const replay: number[] = [];
  for (const presentation of made) {
    let started = performance.now();
    const verdict = await verifier.verify(SAMPLE_POLICY_ID, presentation);
    verify.push(performance.now() - started);
    if (!verdict.verified) throw new Error(`not verified: ${JSON.stringify(verdict.reasons)}`);
    started = performance.now();
    const again = await verifier.verify(SAMPLE_POLICY_ID, presentation);
    replay.push(performance.now() - started);
    if (again.verified) throw new Error("a replay was verified");
  }

  const bundle = { proof: made[0]?.proof, publicSignals: made[0]?.publicSignals };
  process.stderr.write(`checking ${checks} proofs over HTTP, ${concurrency} at a time…\n`);
  const limit = pLimit(concurrency);
  const latency: number[] = [];
  const httpStarted = performance.now();
  await Promise.all(
    Array.from({ length: checks }, () =>
      limit(async () => {
        const started = performance.now();
        const result = await verifier.checkProof("query", bundle);
        latency.push(performance.now() - started);
        if (!result.valid) throw new Error("a valid proof was refused");
      }),
    ),
  );
  const httpRate = checks / ((performance.now() - httpStarted) / 1000);

  const release = stack.verifier.verifier.circuit("query");
  const parsed = parseProofBundle(bundle, release.verificationKey.nPublic);
  const loopRuns = Math.min(checks, 100);
  await pairingCheck(release, parsed); // build snarkjs's curve first
  const loopStarted = performance.now();
  for (let i = 0; i < loopRuns; i++) await pairingCheck(release, parsed);
  const loopRate = loopRuns / ((performance.now() - loopStarted) / 1000);

  figures.push(
    figure("challenge issued, p50", "ms", percentile(issue, 50), command),
    figure("verification (verified), p50", "ms", percentile(verify, 50), command),
    figure("verification (verified), first (cold worker)", "ms", verify[0] ?? Number.NaN, command),
    figure("verification (verified), p95", "ms", percentile(verify, 95), command),
    figure("replay refused, p50", "ms", percentile(replay, 50), command),
    figure(
      `proof checks over HTTP, ${concurrency} in flight`,
      "proofs/s",
      httpRate,
      command,
      loopRate,
    ),
    figure("proof check over HTTP, p50", "ms", percentile(latency, 50), command),
    figure("proof check over HTTP, p99", "ms", percentile(latency, 99), command),
    figure("snarkjs.groth16.verify loop, in process", "proofs/s", loopRate, command),
  );
  printTable("verifier service over HTTP (ratio: against the in-process snarkjs loop)", figures);
  process.stdout.write(`\nwritten: ${await writeResults("verifier", figures)}\n`);
} finally {
  await stack.close();
  await releaseSnarkjsCurve();
  await rm(dataDir, { recursive: true, force: true });
}
