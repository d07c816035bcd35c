/**
 * Groth16 proofs are malleable: from a valid proof (A, B, C) anyone holding the verification key
 * makes another valid proof of the same statement,
 *   A' = ρ·A,  B' = ρ⁻¹·B + κ·δ,  C' = C + κ·A'   (random ρ ≠ 0, κ),
 * since e(A', B') = e(A, B) · e(κ·A', δ). So a proof's bytes identify nothing: crossproof binds a
 * presentation to its one-time challenge (a public signal), never to the proof itself. The tests
 * use this to show that a re-randomised proof for a used challenge is still refused, and the
 * benchmarks to make many distinct valid proofs from a few genuine ones.
 */

import type { ProofBundle } from "../core/proof.js";
import type { VerificationKey } from "../infra/artifacts.js";
import { g1FromJson, g1Json, g2FromJson, g2Json, initBn254, mcl } from "../verifier/bn254.js";

function randomNonZero(): mcl.Fr {
  for (;;) {
    const v = new mcl.Fr();
    v.setByCSPRNG();
    if (!v.isZero()) return v;
  }
}

/** Another valid proof of the statement `bundle` proves (which must be well-formed). */
export async function rerandomizeProof(
  verificationKey: VerificationKey,
  bundle: ProofBundle,
): Promise<ProofBundle> {
  await initBn254();
  const { proof } = bundle;
  const a = g1FromJson(proof.pi_a);
  const b = g2FromJson(proof.pi_b);
  const c = g1FromJson(proof.pi_c);
  const delta = g2FromJson(verificationKey.vk_delta_2);
  if (!a || !b || !c || !delta) throw new Error("rerandomizeProof: points off the curve");
  const rho = randomNonZero();
  const kappa = randomNonZero();
  const a2 = mcl.mul(a, rho);
  const b2 = mcl.add(mcl.mul(b, mcl.inv(rho)), mcl.mul(delta, kappa));
  const c2 = mcl.add(c, mcl.mul(a2, kappa));
  return {
    proof: { ...proof, pi_a: g1Json(a2), pi_b: g2Json(b2), pi_c: g1Json(c2) },
    publicSignals: [...bundle.publicSignals],
  };
}
