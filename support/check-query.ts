/**
 * Checking a `query` proof against what the verifier expects: well-formed (shapes, ranges,
 * points on the curve and in the right subgroup); then the root it trusts, its policy's
 * `schemaId` and `queryHash`, and the challenge it issued; then the pairing check. Checks run
 * cheapest first and every failure is a named reason. The verifier service
 * (`verify-presentation.ts`) adds the challenge store, the policy and the on-chain registry.
 */

import { CrossproofError } from "../core/errors.js";
import { type ProofBundle, parseProofBundle } from "../core/proof.js";
import { parseQueryPublicSignals } from "../core/public-signals.js";
import { Reason } from "../core/reasons.js";
import type { CircuitRelease } from "../infra/artifacts.js";
import { checkProofPoints, pairingCheck } from "./verify-proof.js";

export { Reason } from "../core/reasons.js";

/** What the verifier expects a proof to be about. */
export interface QueryExpectation {
  readonly root: bigint;
  readonly schemaId: bigint;
  readonly queryHash: bigint;
  readonly challenge: bigint;
}

/** The verdict on one proof. */
export interface QueryVerdict {
  readonly verified: boolean;
  readonly reasons: readonly Reason[];
  /** The disclosed values, per predicate slot (0 where nothing is disclosed); empty if malformed. */
  readonly disclosed: readonly bigint[];
}

/** Check an untrusted proof bundle against a `query` release and the verifier's expectation. */
export async function checkQueryProof(
  release: CircuitRelease,
  bundle: unknown,
  expected: QueryExpectation,
): Promise<QueryVerdict> {
  const k = release.manifest.nOutputs;
  let parsed: ProofBundle;
  try {
    parsed = parseProofBundle(bundle, release.verificationKey.nPublic);
    await checkProofPoints(parsed.proof);
  } catch (err) {
    if (err instanceof CrossproofError)
      return { verified: false, reasons: [Reason.MALFORMED], disclosed: [] };
    throw err;
  }
  const signals = parseQueryPublicSignals(parsed.publicSignals, k);
  const reasons: Reason[] = [];
  if (signals.root !== expected.root) reasons.push(Reason.ROOT_MISMATCH);
  if (signals.schemaId !== expected.schemaId) reasons.push(Reason.SCHEMA_MISMATCH);
  if (signals.queryHash !== expected.queryHash) reasons.push(Reason.QUERY_MISMATCH);
  if (signals.challenge !== expected.challenge) reasons.push(Reason.CHALLENGE_MISMATCH);
  // The pairing check is the expensive one: only for proofs that passed everything else.
  if (reasons.length === 0 && !(await pairingCheck(release, parsed)))
    reasons.push(Reason.PROOF_INVALID);
  return { verified: reasons.length === 0, reasons, disclosed: signals.disclosed };
}
