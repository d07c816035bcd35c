/**
 * Checking a Groth16 proof against a circuit release: shape and ranges first (cheap, and snarkjs
 * does not compare the number of public signals with the key's `nPublic`), then the pairings.
 */
import * as snarkjs from "snarkjs";
import type { CircuitRelease } from "../core/artifacts.js";
import { type ProofBundle, parseProofBundle } from "../core/proof.js";

type SnarkjsVerify = typeof snarkjs.groth16.verify;

/** The pairing check of a bundle already validated by `parseProofBundle`. */
export function pairingCheck(release: CircuitRelease, bundle: ProofBundle): Promise<boolean> {
  return snarkjs.groth16.verify(
    release.verificationKey as unknown as Parameters<SnarkjsVerify>[0],
    [...bundle.publicSignals],
    bundle.proof as unknown as Parameters<SnarkjsVerify>[2],
  );
}

/**
 * Whether `bundle` (untrusted JSON) is a valid proof for `release`. A malformed bundle throws
 * `INVALID_PROOF`; a well-formed one that fails the pairing check returns false.
 */
export async function verifyProof(release: CircuitRelease, bundle: unknown): Promise<boolean> {
  return pairingCheck(release, parseProofBundle(bundle, release.verificationKey.nPublic));
}
