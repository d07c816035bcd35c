/**
 * Checking a Groth16 proof against a circuit release: shape and ranges first (cheap, and snarkjs
 * does not compare the number of public signals with the key's `nPublic`), then the points (on
 * the curve, and B in G2's prime-order subgroup, which snarkjs does not check), then the pairings.
 */
import { buildBn128 } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { type Groth16Proof, type ProofBundle, parseProofBundle } from "../core/proof.js";
import { proofPointProblem } from "../core/proof-points.js";
import type { CircuitRelease } from "../infra/artifacts.js";

type SnarkjsVerify = typeof snarkjs.groth16.verify;

function malformed(message: string): never {
  throw new CrossproofError(ErrorCode.INVALID_PROOF, `malformed proof: ${message}`);
}

/**
 * Refuse proof points that are off the curve, and a B outside G2's prime-order subgroup. Uses
 * the BN254 curve snarkjs itself caches, so no second set of worker threads is started.
 */
export async function checkProofPoints(proof: Groth16Proof): Promise<void> {
  const problem = proofPointProblem(await buildBn128(), proof);
  if (problem) malformed(problem);
}

/** The pairing check of a bundle already validated by `parseProofBundle` and `checkProofPoints`. */
export function pairingCheck(release: CircuitRelease, bundle: ProofBundle): Promise<boolean> {
  return snarkjs.groth16.verify(
    release.verificationKey as unknown as Parameters<SnarkjsVerify>[0],
    [...bundle.publicSignals],
    bundle.proof as unknown as Parameters<SnarkjsVerify>[2],
  );
}

/**
 * Whether `bundle` (untrusted JSON) is a valid proof for `release`. A malformed bundle (shape,
 * ranges, points) throws `INVALID_PROOF`; a well-formed one that fails the pairing check returns
 * false.
 */
export async function verifyProof(release: CircuitRelease, bundle: unknown): Promise<boolean> {
  const parsed = parseProofBundle(bundle, release.verificationKey.nPublic);
  await checkProofPoints(parsed.proof);
  return pairingCheck(release, parsed);
}
