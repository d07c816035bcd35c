/**
 * Groth16 proofs for tests: genuine `query` proofs, distinct valid ones made from them by
 * re-randomisation (Groth16 proofs are malleable: anyone holding the verification key can), and
 * points for forged ones (random points of G1 and G2, points of the twist outside G2).
 */
import * as snarkjs from "snarkjs";
import type { Groth16Proof, ProofBundle } from "../../core/proof.js";
import { type CircuitRelease, loadCircuitRelease } from "../../infra/artifacts.js";
import { rerandomizeProof } from "../../support/rerandomize.js";
import { fp2, initBn254, mcl } from "../../verifier/bn254.js";
import { commit, queryInput } from "./fixtures.js";

/** `count` genuine proofs of the release `query` circuit, one per challenge 100, 101, … */
export async function genuineQueryProofs(
  count: number,
): Promise<{ release: CircuitRelease; bundles: ProofBundle[] }> {
  const release = await loadCircuitRelease("query");
  const c = commit();
  const bundles: ProofBundle[] = [];
  for (let i = 0; i < count; i++) {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      queryInput(c, [], BigInt(100 + i)),
      release.paths.wasm,
      release.paths.zkey,
    );
    bundles.push({ proof: proof as unknown as Groth16Proof, publicSignals });
  }
  return { release, bundles };
}

function randomFr(): mcl.Fr {
  const v = new mcl.Fr();
  v.setByCSPRNG();
  return v;
}

/** A random point of G1 (a random multiple of the generator). */
export async function randomG1(): Promise<mcl.G1> {
  await initBn254();
  return mcl.mul(mcl.hashAndMapToG1("crossproof test"), randomFr());
}

/** A random point of G2. */
export async function randomG2(): Promise<mcl.G2> {
  await initBn254();
  return mcl.mul(mcl.hashAndMapToG2("crossproof test"), randomFr());
}

/** A random point of the twist E'(Fp2) that is not in G2 (almost every point of it is not). */
export async function randomTwistPointOutsideG2(): Promise<mcl.G2> {
  await initBn254();
  const b = mcl.div(fp2([3n, 0n]), fp2([9n, 1n])); // the twist: y² = x³ + 3/(9 + u)
  for (;;) {
    const x = new mcl.Fp2();
    const a = new mcl.Fp();
    a.setByCSPRNG();
    const c = new mcl.Fp();
    c.setByCSPRNG();
    x.set_a(a);
    x.set_b(c);
    const [isSquare, y] = mcl.squareRoot(mcl.add(mcl.mul(mcl.sqr(x), x), b));
    if (!isSquare) continue;
    const q = new mcl.G2();
    q.setX(x);
    q.setY(y);
    q.setZ(fp2([1n, 0n]));
    if (q.isValid() && !q.isValidOrder()) return q;
  }
}

/** Another valid proof of the same statement (see `support/rerandomize.ts`). */
export function rerandomize(release: CircuitRelease, bundle: ProofBundle): Promise<ProofBundle> {
  return rerandomizeProof(release.verificationKey, bundle);
}
