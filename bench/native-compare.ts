/**
 * `npx tsx bench/native-compare.ts --baseline PATH/crossproof_prover.node`: this checkout's
 * native engine against another build of it (say, the addon built from an earlier commit), on
 * the same `query` witnesses in one process, proofs interleaved (baseline, this, baseline, …)
 * so that a shared machine's drift falls on both alike. Per step (the QAP evaluations, the
 * transforms, each MSM), wall time and the CPU time of the process per proof, median of the
 * proofs; every proof of this build verified by snarkjs. On a loaded machine the CPU time is the
 * steadier measure: it counts only what the process got.
 *
 * Options: `--proofs N` (default 8), `--threads 1,2` (the budgets to compare), `--with-tables`
 * (both builds load the key with its fixed-base MSM tables, built before the first proof on 2
 * threads, as the pool does by default once they are ready; without it, both take the windowed
 * path until their background build ends).
 *
 * `npx tsx bench/native-compare.ts --tables`: this build against itself, the same key loaded
 * without fixed-base MSM tables (the windowed path, the "baseline") and with them (built before
 * the first proof, on 2 threads: their build time and size are printed too). Every proof of
 * both verified.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { Groth16Proof } from "../core/proof.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { loadNativeAddon } from "../prover/native/addon.js";
import { CircuitWitness } from "../prover/native/witness.js";
import { queryShape } from "../prover/prove-query.js";
import { buildQueryInput } from "../prover/query-input.js";
import { verifyProof } from "../support/verify-proof.js";
import { figure, median, printTable, writeResults } from "./report.js";
import { eligibleWitnesses } from "./witnesses.js";

const { values } = parseArgs({
  options: {
    baseline: { type: "string" },
    tables: { type: "boolean", default: false },
    "with-tables": { type: "boolean", default: false },
    proofs: { type: "string", default: "8" },
    threads: { type: "string", default: "1,2" },
  },
});
const tablesMode = values.tables === true;
const withTables = values["with-tables"] === true;
if (values.baseline === undefined && !tablesMode) {
  throw new Error("--baseline PATH: the other build's crossproof_prover.node (or --tables)");
}
const count = Number(values.proofs);
const budgets = values.threads.split(",").map(Number);
if (!Number.isInteger(count) || count < 1 || budgets.some((t) => !Number.isInteger(t) || t < 1)) {
  throw new RangeError("--proofs takes a positive integer, --threads positive integers");
}
const command = `npx tsx bench/native-compare.ts ${tablesMode ? "--tables" : `--baseline ${values.baseline}${withTables ? " --with-tables" : ""}`} --proofs ${count} --threads ${budgets.join(",")}`;

interface Key {
  prove(
    witness: Uint8Array,
    threads?: number,
  ): { proof: unknown; publicSignals: string[]; timings: Record<string, number> };
}
interface Addon {
  readonly ProvingKey: new (zkey: Uint8Array, options?: unknown) => Key;
}

const release = await loadCircuitRelease("query");
const { depth, k } = queryShape(release);
const [wasm, zkey] = await Promise.all([
  readFile(release.paths.wasm),
  readFile(release.paths.zkey),
]);
const calculator = await CircuitWitness.build(wasm);
const witnesses: Uint8Array[] = [];
for (const w of eligibleWitnesses(count, k)) {
  witnesses.push(await calculator.calculate(buildQueryInput(w, depth)));
}
const current = loadNativeAddon();
if (!current.available) throw new Error(current.reason);
const load = loadavg().map((l) => l.toFixed(2));
let builds: [string, Key][];
const extra = [];
if (tablesMode) {
  const started = performance.now();
  const withTables = new current.addon.ProvingKey(zkey, {
    tables: true,
    background: false,
    threads: 2,
  });
  const loadMs = performance.now() - started;
  const info = withTables.tables;
  if (info === null || !info.ready) throw new Error("the key has no tables");
  extra.push(
    figure("key load with tables (2 threads), wall", "ms", loadMs, command),
    figure("tables' build, wall (in the key load)", "ms", info.buildMs, command),
    figure("tables' size for the query key", "MB", info.bytes / 2 ** 20, command),
  );
  process.stdout.write(`tables: ${JSON.stringify(info)}\n`);
  builds = [
    ["baseline", new current.addon.ProvingKey(zkey, { tables: false }) as unknown as Key],
    ["this build", withTables as unknown as Key],
  ];
} else {
  const baseline = createRequire(import.meta.url)(values.baseline as string) as Addon;
  const options = withTables ? { tables: true, background: false, threads: 2 } : undefined;
  builds = [
    ["baseline", new baseline.ProvingKey(zkey, options)],
    ["this build", new current.addon.ProvingKey(zkey, options) as unknown as Key],
  ];
}

const figures = [];
for (const threads of budgets) {
  const samples = new Map<string, Record<string, number>[]>(builds.map(([name]) => [name, []]));
  for (const [, key] of builds) key.prove(witnesses[0] as Uint8Array, threads); // warm-up
  for (const witness of witnesses) {
    for (const [name, key] of builds) {
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const { proof, publicSignals, timings } = key.prove(witness, threads);
      const cpu = process.cpuUsage(cpuBefore);
      samples.get(name)?.push({
        ...timings,
        wall: performance.now() - started,
        cpu: (cpu.user + cpu.system) / 1000,
      });
      if (
        (name === "this build" || tablesMode) &&
        !(await verifyProof(release, { proof: proof as Groth16Proof, publicSignals }))
      ) {
        throw new Error(`a proof of ${name} did not verify`);
      }
    }
  }
  const steps = ["abc", "ntt", "msmA", "msmB1", "msmB2", "msmC", "msmH", "wall", "cpu"];
  for (const step of steps) {
    const at = (name: string) =>
      median((samples.get(name) ?? []).map((s) => s[step] ?? Number.NaN));
    figures.push(
      figure(
        `${threads} thread${threads > 1 ? "s" : ""}: ${step === "cpu" ? "CPU time of the proof" : step === "wall" ? "whole proof" : step}, this build (against the baseline)`,
        "ms",
        at("this build"),
        command,
        at("baseline"),
      ),
    );
  }
}
figures.push(...extra);
printTable(
  `native engine ${tablesMode ? "with fixed-base tables (this build) against without (baseline)" : "against a baseline build"} — ${count} query proofs each, interleaved (load average at start ${load.join(", ")}, at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")})`,
  figures,
);
process.stdout.write(`\nwrote ${await writeResults("native-compare", figures)}\n`);
process.exit(0);
