/**
 * `npm run bench:throughput`: Groth16 verifications per second on this machine, every mode on the
 * same proofs: `--genuine N` proofs of distinct statements (distinct credit reports and queries)
 * made by the prover pool, re-randomised into `--proofs M` distinct valid proofs.
 *
 * - baseline: a plain `snarkjs.groth16.verify` loop, one proof after another, on snarkjs's default
 *   (threaded) curve — what an application calling snarkjs gets;
 * - crossproof's verification of one proof at a time in one thread (mcl-wasm, a batch of one);
 * - batched verification in one thread, by batch size;
 * - the verifier's worker pool (what the service runs) with 1 and 2 workers, batches of 64.
 *
 * Every check is complete: shapes and ranges, points on the curve, B in G2's subgroup, the
 * pairing product; every verdict must be "valid" or the run fails. The modes run in turn for
 * `--rounds` rounds and each figure is the median of its rounds (a shared VM's cores drift).
 *
 * Writes bench/results/throughput.json: the figures, and the series "proofs/s by batch size"
 * that `npm run bench` draws.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import type { ProofBundle } from "../core/proof.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { releaseSnarkjsCurve } from "../infra/snarkjs-runtime.js";
import { PreparedKey, verifyBatch } from "../verifier/batch-verify.js";
import { MicroBatcher } from "../verifier/micro-batch.js";
import { VerifierPool } from "../verifier/pool.js";
import { type Figure, figure, median, printTable, writeResults } from "./report.js";
import { distinctValidProofs } from "./witnesses.js";

const { values } = parseArgs({
  options: {
    genuine: { type: "string", default: "8" },
    proofs: { type: "string", default: "512" },
    rounds: { type: "string", default: "3" },
    "snarkjs-proofs": { type: "string", default: "128" },
  },
});
const genuineCount = Number(values.genuine);
const proofCount = Number(values.proofs);
const rounds = Number(values.rounds);
const snarkjsCount = Math.min(proofCount, Number(values["snarkjs-proofs"]));
const command =
  `npm run bench:throughput -- --genuine ${genuineCount} --proofs ${proofCount} ` +
  `--rounds ${rounds} --snarkjs-proofs ${snarkjsCount}`;
const BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256].filter((b) => b <= proofCount);

const release = await loadCircuitRelease("query");
const vk = release.verificationKey;

const proofs = await distinctValidProofs(release, genuineCount, proofCount);

/** Runs `check` over the proofs and answers proofs/s; every verdict must be true. */
async function rate(
  count: number,
  check: (bundles: readonly ProofBundle[]) => Promise<boolean[]> | boolean[],
): Promise<number> {
  const bundles = proofs.slice(0, count);
  const started = performance.now();
  const verdicts = await check(bundles);
  const seconds = (performance.now() - started) / 1000;
  if (verdicts.length !== count || !verdicts.every(Boolean)) {
    throw new Error("a valid proof was not verified: the benchmark is wrong");
  }
  return count / seconds;
}

const key = await PreparedKey.from(vk);
const inThread = (batch: number) => (bundles: readonly ProofBundle[]) => {
  const verdicts: boolean[] = [];
  for (let start = 0; start < bundles.length; start += batch) {
    const { outcomes } = verifyBatch(key, bundles.slice(start, start + batch));
    verdicts.push(...outcomes.map((o) => "valid" in o && o.valid));
  }
  return verdicts;
};

async function snarkjsLoop(bundles: readonly ProofBundle[]): Promise<boolean[]> {
  const verdicts: boolean[] = [];
  for (const b of bundles) {
    verdicts.push(
      await snarkjs.groth16.verify(vk as never, [...b.publicSignals], b.proof as never),
    );
  }
  return verdicts;
}

/** The pool's verdicts and its own time, without starting and warming it. */
async function pooled(
  workers: number,
  bundles: readonly ProofBundle[],
): Promise<{ verdicts: boolean[]; seconds: number }> {
  const pool = await VerifierPool.start({ workers });
  try {
    const batcher = new MicroBatcher(pool, { maxBatch: 64 });
    await batcher.checkMany(vk, bundles.slice(0, 2 * workers)); // warm: each worker prepares the key
    const started = performance.now();
    const parts: Promise<boolean[]>[] = [];
    for (let start = 0; start < bundles.length; start += 64 * workers) {
      parts.push(
        batcher
          .checkMany(vk, bundles.slice(start, start + 64 * workers))
          .then((outcomes) => outcomes.map((o) => "valid" in o && o.valid)),
      );
    }
    const verdicts = (await Promise.all(parts)).flat();
    return { verdicts, seconds: (performance.now() - started) / 1000 };
  } finally {
    await pool.close();
  }
}
async function poolRate(workers: number): Promise<number> {
  const { verdicts, seconds } = await pooled(workers, proofs);
  if (!verdicts.every(Boolean)) throw new Error("a valid proof was not verified");
  return proofs.length / seconds;
}

const modes: { name: string; run: () => Promise<number> }[] = [
  {
    name: "snarkjs.groth16.verify loop (baseline)",
    run: async () => {
      await snarkjsLoop(proofs.slice(0, 2)); // builds the curve
      const r = await rate(snarkjsCount, snarkjsLoop);
      await releaseSnarkjsCurve();
      return r;
    },
  },
  { name: "crossproof, one proof at a time, 1 thread", run: () => rate(proofCount, inThread(1)) },
  ...BATCH_SIZES.filter((b) => b > 1).map((b) => ({
    name: `batched, batch of ${b}, 1 thread`,
    run: () => rate(proofCount, inThread(b)),
  })),
  { name: "verifier pool, 1 worker, batches of 64", run: () => poolRate(1) },
  { name: "verifier pool, 2 workers, batches of 64", run: () => poolRate(2) },
];
const measured = modes.map(() => [] as number[]);
for (let round = 0; round < rounds; round++) {
  for (const [i, mode] of modes.entries()) {
    const r = await mode.run();
    measured[i]?.push(r);
    process.stdout.write(`round ${round + 1}: ${mode.name}: ${r.toFixed(1)} proofs/s\n`);
  }
}
const rates = measured.map((m) => median(m));
const baseline = rates[0] as number;
const figures: Figure[] = modes.map((mode, i) =>
  figure(
    `${mode.name} (median of ${rounds})`,
    "proofs/s",
    rates[i] as number,
    command,
    i === 0 ? null : baseline,
  ),
);
const pool1 = rates[rates.length - 2] as number;
const pool2 = rates[rates.length - 1] as number;
figures.push(
  figure("verifier pool: 2 workers against 1 (scaling)", "×", pool2 / pool1, command),
  figure(
    "batched verification per proof, 1 thread, batch of 64",
    "ms",
    1000 / (rates[modes.findIndex((m) => m.name.includes("batch of 64,"))] as number),
    command,
  ),
);
printTable(
  `query verification throughput — ${proofCount} distinct valid proofs (${genuineCount} statements), ${rounds} rounds; the baseline loop runs the first ${snarkjsCount}`,
  figures,
);
const series = {
  "proofs/s by batch size (1 thread)": [
    { batch: 1, proofsPerSecond: rates[1] as number },
    ...BATCH_SIZES.filter((b) => b > 1).map((b, i) => ({
      batch: b,
      proofsPerSecond: rates[2 + i] as number,
    })),
  ],
  baseline: [{ batch: 1, proofsPerSecond: baseline }],
};
const path = await writeResults("throughput", figures, { series });
process.stdout.write(`\nwrote ${path}\n`);
