/**
 * The verification task of the verifier's worker pool (`verifier/pool.ts`), run by piscina in a
 * worker thread through `verify-worker-entry.js`: the group checks and the Groth16 pairing
 * check of one proof whose shape and ranges the calling thread has already checked, on this
 * worker's single-threaded curve.
 *
 * Only type imports and modules without run-time imports of snarkjs are imported statically
 * here: snarkjs must be loaded through `core/snarkjs-worker-runtime.ts` (see there).
 */
import type { VerificationKey } from "../core/artifacts.js";
import type { Groth16Proof } from "../core/proof.js";
import { proofPointProblem } from "../core/proof-points.js";
import { loadWorkerSnarkjs } from "../core/snarkjs-worker-runtime.js";

/** One proof to check. */
export interface VerifyTask {
  readonly verificationKey: VerificationKey;
  readonly proof: Groth16Proof;
  readonly publicSignals: readonly string[];
}

/** The answer: the pairing check's verdict, or what is wrong with the points. */
export type VerifyOutcome = { readonly valid: boolean } | { readonly malformed: string };

/**
 * Load snarkjs and build this worker's curve (≈ 1 s): the pool runs it on every worker when it
 * starts, since piscina loads a worker's task module only with its first task.
 */
export async function warm(): Promise<void> {
  await loadWorkerSnarkjs();
}

/** Check one proof: points first, then the pairings. */
export default async function verifyTask(task: VerifyTask): Promise<VerifyOutcome> {
  const { snarkjs, curve } = await loadWorkerSnarkjs();
  const problem = proofPointProblem(curve, task.proof);
  if (problem) return { malformed: problem };
  type Verify = typeof snarkjs.groth16.verify;
  const valid = await snarkjs.groth16.verify(
    task.verificationKey as unknown as Parameters<Verify>[0],
    [...task.publicSignals],
    task.proof as unknown as Parameters<Verify>[2],
  );
  return { valid };
}
