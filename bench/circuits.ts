/**
 * `npm run bench:circuits`: size and speed of the committed circuit releases on this machine.
 * Per circuit: constraints, witness time, proving time (snarkjs default, threaded) p50/p95,
 * verification time p50, proof size. Prints a table and writes bench/results/circuits.json.
 *
 * Options: `--runs N` (default 10).
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import { loadCircuitRelease } from "../core/artifacts.js";
import { computeLeaf } from "../core/commitment.js";
import { compileQuery } from "../core/query.js";
import { encodeRecord } from "../core/record.js";
import { getSchema } from "../core/schema.js";
import { releaseSnarkjsCurve } from "../core/snarkjs-runtime.js";
import { syntheticCreditReports } from "../core/synthetic.js";
import { CommitmentTree } from "../core/tree.js";
import { queryShape } from "../prover/prove-query.js";
import { buildQueryInput, type CircuitInput } from "../prover/query-input.js";
import { type Figure, figure, percentile, printTable, writeResults } from "./report.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });
const runs = Number(values.runs);
const command = `npm run bench:circuits -- --runs ${runs}`;

/** A record that meets the pilot policy, committed in a tree of 1,000, and inputs for both circuits. */
async function inputs(): Promise<Record<string, CircuitInput>> {
  const schema = getSchema("credit-report-v1");
  const asOf = new Date("2026-11-21T00:00:00Z");
  const reports = syntheticCreditReports({ count: 1000, seed: 11, asOf });
  const slots = reports.map((r) => encodeRecord(schema, r));
  const salt = 12345678901234567890n;
  const tree = new CommitmentTree(slots.map((s) => computeLeaf(schema.schemaId, s, salt)));
  const query = await loadCircuitRelease("query");
  const { depth, k } = queryShape(query);
  const index = reports.findIndex(
    (r) => (r.creditScore as number) >= 650 && (r.defaults24m as number) === 0,
  );
  const record = slots[index] as bigint[];
  const compiled = compileQuery(
    schema,
    [
      { op: "EQ", field: "subjectId", value: reports[index]?.subjectId as string },
      { op: "GTE", field: "creditScore", value: 650 },
      { op: "EQ", field: "defaults24m", value: 0 },
      { op: "GTE", field: "reportDate", value: "2026-01-01" },
      { op: "DISCLOSE", field: "jurisdiction" },
    ],
    k,
  );
  return {
    query: buildQueryInput(
      {
        schemaId: schema.schemaId,
        slots: record,
        salt,
        path: tree.path(index),
        predicates: compiled.predicates,
        queryHash: compiled.queryHash,
        challenge: 42n,
      },
      depth,
    ),
    commitment: {
      leaf: computeLeaf(schema.schemaId, record, salt).toString(),
      schemaId: schema.schemaId.toString(),
      challenge: "42",
      slots: record.map(String),
      salt: salt.toString(),
    },
  };
}

const all: Figure[] = [];
const circuitInputs = await inputs();
for (const name of ["query", "commitment"]) {
  const release = await loadCircuitRelease(name);
  const input = circuitInputs[name] as CircuitInput;
  const witnessMs: number[] = [];
  const proveMs: number[] = [];
  const verifyMs: number[] = [];
  let proofBytes = 0;
  const proofs: { proof: snarkjs.Groth16Proof; publicSignals: snarkjs.PublicSignals }[] = [];
  // One warm-up run (curve construction, wasm compile) before measuring.
  for (let run = -1; run < runs; run++) {
    const wtns = { type: "mem" } as { type: "mem"; data?: Uint8Array };
    let t = performance.now();
    await snarkjs.wtns.calculate(input, release.paths.wasm, wtns as never);
    const witness = performance.now() - t;
    t = performance.now();
    const bundle = await snarkjs.groth16.prove(release.paths.zkey, wtns as never);
    const prove = performance.now() - t;
    proofBytes = JSON.stringify(bundle.proof).length;
    proofs.push(bundle);
    if (run >= 0) {
      witnessMs.push(witness);
      proveMs.push(prove);
    }
  }
  // Verification measured on its own, over the proofs just made (warm-up: the first).
  for (const [run, { proof, publicSignals }] of proofs.entries()) {
    const t = performance.now();
    const ok = await snarkjs.groth16.verify(release.verificationKey as never, publicSignals, proof);
    if (run > 0) verifyMs.push(performance.now() - t);
    if (!ok) throw new Error(`${name}: a benchmark proof did not verify`);
  }
  const total = witnessMs.map((w, i) => w + (proveMs[i] ?? 0));
  const figures = [
    figure(`${name}: constraints`, "", release.manifest.constraints, command),
    figure(`${name}: witness p50`, "ms", percentile(witnessMs, 50), command),
    figure(`${name}: prove p50 (witness excluded)`, "ms", percentile(proveMs, 50), command),
    figure(`${name}: witness + prove p50`, "ms", percentile(total, 50), command),
    figure(`${name}: witness + prove p95`, "ms", percentile(total, 95), command),
    figure(
      `${name}: verify p50 (snarkjs, threaded curve)`,
      "ms",
      percentile(verifyMs, 50),
      command,
    ),
    figure(`${name}: proof size (JSON)`, "bytes", proofBytes, command),
  ];
  printTable(`${name} — ${runs} runs`, figures);
  all.push(...figures);
}
const path = await writeResults("circuits", all);
process.stdout.write(`\nwrote ${path}\n`);
await releaseSnarkjsCurve();
