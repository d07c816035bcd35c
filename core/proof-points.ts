/**
 * The group checks snarkjs leaves out: proof points on the curve, and B in G2's prime-order
 * subgroup (r·B = O). G1 has cofactor 1, so on the curve is enough for A and C. Takes the curve
 * as an argument and imports nothing at run time, so a worker thread can use it with its own
 * single-threaded curve (see `snarkjs-worker-runtime.ts`).
 */
import type { BnCurve } from "ffjavascript";
import type { Groth16Proof } from "./proof.js";

/** What is wrong with the proof's points on `curve`, or undefined when nothing is. */
export function proofPointProblem(curve: BnCurve, proof: Groth16Proof): string | undefined {
  const toBig = (v: string) => BigInt(v);
  const a = curve.G1.fromObject(proof.pi_a.map(toBig));
  const c = curve.G1.fromObject(proof.pi_c.map(toBig));
  const b = curve.G2.fromObject(proof.pi_b.map((pair) => pair.map(toBig)));
  if (!curve.G1.isValid(a)) return "pi_a is not on the curve";
  if (!curve.G1.isValid(c)) return "pi_c is not on the curve";
  if (!curve.G2.isValid(b)) return "pi_b is not on the curve";
  if (!curve.G2.isZero(curve.G2.timesScalar(b, curve.r))) return "pi_b is not in the G2 subgroup";
  return undefined;
}
