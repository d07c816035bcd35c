/**
 * `npm run bench:presentation`: the latency of one `query` presentation through the prover
 * service, on each proving engine: the `npm start` stack (a local chain, an issuer with synthetic
 * records anchored, the verifier and prover services, reliability/api-stack.ts) is started once
 * per engine with 2 proving workers; then presentations are asked for one at a time over HTTP
 * (`POST /v1/presentations`, each for a fresh challenge of the sample policy) and each is timed
 * from request to answer (issuing the challenge is not timed). Every presentation is checked by
 * the verifier after the timing. Prints p50 / p90 / max per engine and writes
 * bench/results/presentation.json.
 *
 * Options: `--presentations N` (default 20), `--warmup N` (default 2: the workers' first proofs
 * load the circuit), `--tables`: the native engine twice instead of both engines, without its
 * fixed-base MSM tables (CROSSPROOF_NATIVE_TABLES=0) and with them built before the first proof
 * (CROSSPROOF_NATIVE_TABLES=sync), in that order.
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { loadNativeAddon, type ProverEngine } from "../prover/native/index.js";
import { startApiStack } from "../reliability/api-stack.js";
import { figure, median, percentile, printTable, writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    presentations: { type: "string", default: "20" },
    warmup: { type: "string", default: "2" },
    tables: { type: "boolean", default: false },
  },
});
const count = Number(values.presentations);
const warmup = Number(values.warmup);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(warmup) || warmup < 0) {
  throw new RangeError("--presentations takes a positive integer, --warmup a non-negative one");
}
const tables = values.tables === true;
const command = `npm run bench:presentation -- --presentations ${count} --warmup ${warmup}${tables ? " --tables" : ""}`;

const native = loadNativeAddon();
if (tables && !native.available) throw new Error(`--tables: ${native.reason}`);
/** The runs: a label, the engine, and the native tables' setting. */
const runs: [string, ProverEngine, string][] = tables
  ? [
      ["native, no tables", "native", "0"],
      ["native, tables", "native", "sync"],
    ]
  : native.available
    ? [
        ["snarkjs", "snarkjs", "1"],
        ["native", "native", "1"],
      ]
    : [["snarkjs", "snarkjs", "1"]];
if (!native.available) process.stdout.write(`native engine left out: ${native.reason}\n`);

const load = loadavg().map((l) => l.toFixed(2));
const figures = [];
const medians: Record<string, number> = {};
for (const [engine, engineName, tableSetting] of runs) {
  const api = await startApiStack({
    env: {
      CROSSPROOF_PROVER_ENGINE: engineName,
      CROSSPROOF_PROVER_WORKERS: "2",
      CROSSPROOF_NATIVE_TABLES: tableSetting,
    },
  });
  try {
    for (let i = 0; i < warmup; i++) await api.freshPresentation();
    const times: number[] = [];
    const made = [];
    for (let i = 0; i < count; i++) {
      const challenge = await api.freshChallenge();
      const started = performance.now();
      const presentation = await api.prover.present(
        api.stack.applicants.eligible.recordId,
        challenge,
      );
      times.push(performance.now() - started);
      made.push(presentation);
    }
    for (const presentation of made) {
      const verdict = await api.client.verify(SAMPLE_POLICY_ID, presentation);
      if (!verdict.verified) throw new Error(`a ${engine} presentation did not verify`);
    }
    medians[engine] = median(times);
    figures.push(
      figure(`${engine} engine: one presentation, p50`, "ms", median(times), command),
      figure(`${engine} engine: one presentation, p90`, "ms", percentile(times, 90), command),
      figure(`${engine} engine: one presentation, max`, "ms", Math.max(...times), command),
    );
    process.stdout.write(`${engine}: p50 ${median(times).toFixed(0)} ms\n`);
  } finally {
    await api.close();
  }
}
const [plain, tabled] = [medians["native, no tables"], medians["native, tables"]];
if (plain !== undefined && tabled !== undefined) {
  figures.push(figure("native p50, tables against none (speed-up)", "×", plain / tabled, command));
}
if (medians.native !== undefined && medians.snarkjs !== undefined) {
  figures.push(
    figure(
      "native p50 against snarkjs p50 (speed-up)",
      "×",
      medians.snarkjs / medians.native,
      command,
    ),
  );
}
printTable(
  `query presentation latency through the prover service, ${count} one at a time per engine (load average at start ${load.join(", ")})`,
  figures,
);
const path = await writeResults("presentation", figures);
process.stdout.write(`\nwrote ${path}\n`);
