/**
 * `npm run bench:breakdown`: where the time of batched verification goes, per proof, in one
 * thread: validation (and, for comparison, the zod schema that the fast path of
 * `parseProofBundle` spares in the common case), parsing the points, the G2 subgroup check, the 128-bit weight times A, the
 * multi-Miller loop, the multi-scalar multiplication over the C's, and the whole batch. The
 * pieces run interleaved over `--rounds` rounds on the same `--batch` distinct valid proofs, and
 * each figure is the median of its rounds (this VM's speed drifts between minutes).
 *
 * Writes bench/results/breakdown.json.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { type ProofBundle, parseProofBundle, proofBundleSchema } from "../core/proof.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { PreparedKey, verifyBatch } from "../verifier/batch-verify.js";
import { g1FromJson, g2FromJson, isInG2Subgroup, mcl, millerLoopVec } from "../verifier/bn254.js";
import { type Figure, figure, median, printTable, writeResults } from "./report.js";
import { distinctValidProofs } from "./witnesses.js";

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "64" },
    rounds: { type: "string", default: "7" },
  },
});
const batch = Number(values.batch);
const rounds = Number(values.rounds);
const command = `npm run bench:breakdown -- --batch ${batch} --rounds ${rounds}`;

const release = await loadCircuitRelease("query");
const proofs = await distinctValidProofs(release, 4, batch);
const key = await PreparedKey.from(release.verificationKey);
const nPublic = release.verificationKey.nPublic;
const as = proofs.map((p) => g1FromJson(p.proof.pi_a) as mcl.G1);
const bs = proofs.map((p) => g2FromJson(p.proof.pi_b) as mcl.G2);
const cs = proofs.map((p) => g1FromJson(p.proof.pi_c) as mcl.G1);
const weights = proofs.map(() => {
  const w = new mcl.Fr();
  w.setStr(((1n << 127n) + BigInt(Math.floor(Math.random() * 2 ** 40))).toString(), 10);
  return w;
});

const pieces: Record<string, () => unknown> = {
  "validation (parseProofBundle)": () => proofs.map((p) => parseProofBundle(p, nPublic)),
  "validation by the zod schema alone (for comparison)": () =>
    proofs.map((p) => proofBundleSchema(nPublic).parse(p)),
  "points parsed (A, B, C)": () =>
    proofs.map((p: ProofBundle) => [
      g1FromJson(p.proof.pi_a),
      g2FromJson(p.proof.pi_b),
      g1FromJson(p.proof.pi_c),
    ]),
  "G2 subgroup check of B": () => bs.map(isInG2Subgroup),
  "weight × A (128-bit)": () => as.map((a, i) => mcl.mul(a, weights[i] as mcl.Fr)),
  "multi-Miller loop": () => millerLoopVec(as, bs),
  "Σ weight × C (multi-scalar)": () => mcl.mulVec(cs, weights),
  "the whole batch (verifyBatch)": () => {
    const { outcomes } = verifyBatch(key, proofs);
    if (!outcomes.every((o) => "valid" in o && o.valid)) throw new Error("a valid proof failed");
  },
};
const samples = new Map<string, number[]>(Object.keys(pieces).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(pieces)) {
    const started = performance.now();
    run();
    samples.get(name)?.push((performance.now() - started) / batch);
  }
}
const figures: Figure[] = [...samples].map(([name, ms]) =>
  figure(`${name}, per proof (batch of ${batch})`, "ms", median(ms), command),
);
printTable(
  `batched verification, one thread: time per proof by piece (median of ${rounds})`,
  figures,
);
process.stdout.write(`\nwrote ${await writeResults("breakdown", figures)}\n`);
