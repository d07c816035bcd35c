/**
 * `npm run bench:query-v2`: the `query_v2` release (set operators IN/NIN, link output) against
 * the `query` release it extends, side by side in one run on the same record and tree: constraints
 * (and those of the 8-entry-table variant `query_v2_t8`, compiled here for the count), witness
 * time, snarkjs proving time (default threaded curve) p50/p95, verification time p50, the two
 * releases interleaved run by run so that both see the same machine load. `query`
 * proves the benchmark policy of bench/matrix.ts (5 predicates); `query_v2` the same predicates
 * plus an IN over 3 values and a NIN over 13 (the table full: 16 distinct values) and the link on.
 * Prints a table and writes bench/results/query-v2.json.
 *
 * Options: `--runs N` (default 10).
 */
import { readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import { circuitSourceKey, compileCircuit } from "../circuits/compile.js";
import { getCircuitInstance } from "../circuits/instances.js";
import { textToField } from "../core/field.js";
import { compilePredicate } from "../core/query.js";
import { buildQueryV2, newLinkNonce, OpV2 } from "../core/query-v2.js";
import { getSchema } from "../core/schema.js";
import { CommitmentTree } from "../core/tree.js";
import { type CircuitRelease, loadCircuitRelease } from "../infra/artifacts.js";
import { fileExists } from "../infra/files.js";
import { BUILD_DIR, compiledCircuitPaths } from "../infra/paths.js";
import { releaseSnarkjsCurve } from "../infra/snarkjs-runtime.js";
import type { CircuitInput } from "../prover/query-input.js";
import { buildQueryV2Input } from "../prover/query-v2-input.js";
import { benchRecords, circuitInput } from "./matrix.js";
import { type Figure, figure, percentile, printTable, writeResults } from "./report.js";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "10" } },
  strict: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`bench:query-v2: --runs takes a positive integer, not "${values.runs}"\n`);
  process.exit(64);
}
const command = `npm run bench:query-v2 -- --runs ${runs}`;

/** Constraints of `name`, compiled under build/bench/query-v2/ once per source version. */
async function constraintsOf(name: string): Promise<number> {
  const instance = getCircuitInstance(name);
  const dir = join(BUILD_DIR, "bench", "query-v2");
  const paths = compiledCircuitPaths(name, dir);
  const keyFile = join(dir, `${name}.key`);
  const key = circuitSourceKey(instance);
  const cached = (await fileExists(keyFile)) && (await readFile(keyFile, "utf8")) === key;
  if (!cached) {
    process.stderr.write(`compiling ${name} for its constraint count…\n`);
    await compileCircuit(instance, dir);
    await writeFile(keyFile, key);
  }
  const info = (await snarkjs.r1cs.info(paths.r1cs, undefined as never)) as {
    nConstraints: number;
  };
  return info.nConstraints;
}

/** The `query_v2` input: the matrix's policy, a full table of set values, the link on. */
function v2Input(release: CircuitRelease): CircuitInput {
  const records = benchRecords();
  const schema = getSchema("credit-report-v1");
  const [depth = 20, k = 8] = release.manifest.params;
  const jurisdiction = schema.slotOf.get("jurisdiction") as number;
  const bureau = schema.slotOf.get("bureau") as number;
  const own = records.slots[jurisdiction] as bigint;
  const q = buildQueryV2(
    [
      ...records.specs.map((s, index) => compilePredicate(schema, s, index)),
      { op: OpV2.IN, i: jurisdiction, values: [own, own + 1n, own + 2n] },
      {
        op: OpV2.NIN,
        i: bureau,
        values: Array.from({ length: 13 }, (_, n) => textToField(`bureau:blocked-${n}`)),
      },
    ],
    { k, link: { index: schema.slotOf.get("subjectId") as number } },
  );
  return buildQueryV2Input(
    {
      schemaId: records.schemaId,
      slots: records.slots,
      salt: records.salt,
      path: new CommitmentTree(records.leaves, depth).path(records.index),
      predicates: q.predicates,
      table: q.table,
      link: q.link,
      linkNonce: newLinkNonce(),
      queryHash: q.queryHash,
      challenge: 42n,
    },
    depth,
  );
}

interface Timing {
  readonly witnessMs: number;
  readonly proveP50Ms: number;
  readonly proveP95Ms: number;
  readonly verifyMs: number;
}

interface Samples {
  readonly witness: number[];
  readonly prove: number[];
  readonly verify: number[];
}

/** One witness, prove and verify of `release` (the proof verified), its times kept unless warm-up. */
async function once(
  release: CircuitRelease,
  input: CircuitInput,
  samples: Samples,
  keep: boolean,
): Promise<void> {
  const wtns = { type: "mem" } as { type: "mem"; data?: Uint8Array };
  let t = performance.now();
  await snarkjs.wtns.calculate(input, release.paths.wasm, wtns as never);
  const w = performance.now() - t;
  t = performance.now();
  const { proof, publicSignals } = await snarkjs.groth16.prove(release.paths.zkey, wtns as never);
  const p = performance.now() - t;
  t = performance.now();
  const ok = await snarkjs.groth16.verify(release.verificationKey as never, publicSignals, proof);
  const v = performance.now() - t;
  if (!ok) throw new Error(`${release.name}: a benchmark proof did not verify`);
  if (keep) {
    samples.witness.push(w);
    samples.prove.push(p);
    samples.verify.push(v);
  }
}

const summary = (s: Samples): Timing => ({
  witnessMs: percentile(s.witness, 50),
  proveP50Ms: percentile(s.prove, 50),
  proveP95Ms: percentile(s.prove, 95),
  verifyMs: percentile(s.verify, 50),
});

const started = performance.now();
const v1 = await loadCircuitRelease("query");
const v2 = await loadCircuitRelease("query_v2");
const t8 = await constraintsOf("query_v2_t8");
process.stderr.write(`measuring query and query_v2, ${runs} runs each…\n`);
// Interleaved (query, then query_v2, in each run) so that both see the same machine load.
const v1Input = circuitInput(v1, benchRecords());
const v2In = v2Input(v2);
const v1Samples: Samples = { witness: [], prove: [], verify: [] };
const v2Samples: Samples = { witness: [], prove: [], verify: [] };
const loadBefore = loadavg()[0] ?? Number.NaN;
for (let run = -1; run < runs; run++) {
  await once(v1, v1Input, v1Samples, run >= 0);
  await once(v2, v2In, v2Samples, run >= 0);
}
const loadAfter = loadavg()[0] ?? Number.NaN;
const v1Timing = summary(v1Samples);
const v2Timing = summary(v2Samples);

const figures: Figure[] = [
  figure("query constraints", "constraints", v1.manifest.constraints, command),
  figure(
    "query_v2 constraints",
    "constraints",
    v2.manifest.constraints,
    command,
    v1.manifest.constraints,
  ),
  figure(
    "query_v2_t8 constraints (8-entry table)",
    "constraints",
    t8,
    command,
    v1.manifest.constraints,
  ),
  figure("query witness p50", "ms", v1Timing.witnessMs, command),
  figure("query_v2 witness p50", "ms", v2Timing.witnessMs, command, v1Timing.witnessMs),
  figure("query prove p50 (snarkjs)", "ms", v1Timing.proveP50Ms, command),
  figure("query_v2 prove p50 (snarkjs)", "ms", v2Timing.proveP50Ms, command, v1Timing.proveP50Ms),
  figure("query prove p95 (snarkjs)", "ms", v1Timing.proveP95Ms, command),
  figure("query_v2 prove p95 (snarkjs)", "ms", v2Timing.proveP95Ms, command, v1Timing.proveP95Ms),
  figure("query verify p50", "ms", v1Timing.verifyMs, command),
  figure("query_v2 verify p50", "ms", v2Timing.verifyMs, command, v1Timing.verifyMs),
];
printTable(`query vs query_v2 — ${runs} runs after a warm-up (ratio: against query)`, figures);
const path = await writeResults("query-v2", figures, {
  loadAverage1m: { before: loadBefore, after: loadAfter },
  zkeyBytes: {
    query: (await readFile(v1.paths.zkey)).length,
    query_v2: (await readFile(v2.paths.zkey)).length,
  },
});
process.stdout.write(
  `\n1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after (2 cores)\nwrote ${path} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
);
await releaseSnarkjsCurve();
