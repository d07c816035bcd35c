/**
 * `npm run bench:circuits`: the circuit matrix (bench/matrix.ts) on this machine — `query` at
 * tree depth 10, 20, 32 × K = 1, 4, 8, 16 predicate slots, and `commitment`: constraints,
 * compile and setup times, witness time, proving time (snarkjs default, threaded) p50/p95,
 * verification time p50, proof size. Builds the benchmark variants that are not built yet
 * (under build/bench/artifacts/), prints a table, and writes bench/results/circuits.json (the
 * figures) and bench/results/circuits-matrix.json (the rows).
 *
 * Options: `--runs N` (default 10), `--variants a,b,c` (circuit names of circuits.json, default
 * the whole matrix), `--no-build` (measure only what is built already).
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { writeFileAtomic } from "../infra/files.js";
import { PROJECT_ROOT } from "../infra/paths.js";
import { releaseSnarkjsCurve } from "../infra/snarkjs-runtime.js";
import { machineDescription } from "./machine.js";
import { printMatrix, runMatrix } from "./matrix.js";
import { writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    variants: { type: "string" },
    "no-build": { type: "boolean", default: false },
  },
  strict: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`bench:circuits: --runs takes a positive integer, not "${values.runs}"\n`);
  process.exit(64);
}
const variants = values.variants
  ?.split(",")
  .map((v) => v.trim())
  .filter((v) => v !== "");
const build = !values["no-build"];
const command = [
  `npm run bench:circuits -- --runs ${runs}`,
  ...(variants ? [`--variants ${variants.join(",")}`] : []),
  ...(build ? [] : ["--no-build"]),
].join(" ");

const started = performance.now();
const { rows, figures } = await runMatrix(
  { runs, ...(variants ? { variants } : {}), build, progress: true },
  command,
).catch((err: unknown) => {
  // A circuit name that is not in the matrix is a usage error: its message, not a stack.
  if (!(err instanceof CrossproofError && err.code === ErrorCode.UNKNOWN_CIRCUIT)) throw err;
  process.stderr.write(`bench:circuits: ${err.message}\n`);
  process.exit(64);
});
printMatrix(`circuits — ${runs} runs after a warm-up (compile and setup: the build's own)`, rows);
const path = await writeResults("circuits", figures);
const matrixPath = join(PROJECT_ROOT, "bench", "results", "circuits-matrix.json");
await writeFileAtomic(
  matrixPath,
  // NaN (not measured) becomes null.
  `${JSON.stringify({ command, machine: machineDescription(), runs, rows }, null, 2)}\n`,
);
process.stdout.write(
  `\nwrote ${path} and ${matrixPath} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
);
await releaseSnarkjsCurve();
