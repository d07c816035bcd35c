/**
 * Groth16 proofs as snarkjs writes them, and their validation at a trust boundary: exact
 * shapes, decimal coordinates below the base field's modulus, public signals below r and as many
 * as the verification key expects.
 */
import { z } from "zod";
import { CrossproofError, ErrorCode } from "./errors.js";
import { FIELD_ORDER } from "./field.js";
import { firstIssue, issueList } from "./validation.js";

/** q, the modulus of BN254's base field (proof point coordinates lie in [0, q)). */
export const BASE_FIELD_MODULUS =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;

const decimal = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, "a decimal integer");
const coordinate = decimal.refine(
  (s) => BigInt(s) < BASE_FIELD_MODULUS,
  "below the base field modulus",
);
// Points in affine form, z = 1, as snarkjs writes them: one encoding per point (a projective
// z ≠ 1 or the point at infinity is refused; no honest proof has either).
const g1 = z.tuple([coordinate, coordinate, z.literal("1", 'affine: z must be "1"')]);
const fq2 = z.tuple([coordinate, coordinate]);
const g2 = z.tuple([
  fq2,
  fq2,
  z.tuple([z.literal("1"), z.literal("0")], 'affine: z must be ["1", "0"]'),
]);

const proofSchema = z.strictObject({
  pi_a: g1,
  pi_b: g2,
  pi_c: g1,
  protocol: z.literal("groth16"),
  curve: z.literal("bn128"),
});

/** A Groth16 proof over BN254 in snarkjs's JSON form (projective coordinates, decimal). */
export type Groth16Proof = z.infer<typeof proofSchema>;

/** A proof with its public signals, decimal strings in snarkjs's order. */
export interface ProofBundle {
  readonly proof: Groth16Proof;
  readonly publicSignals: readonly string[];
}

const signal = decimal.refine((s) => BigInt(s) < FIELD_ORDER, "below the field order r");

/**
 * Validate an untrusted `{proof, publicSignals}` against the expected number of public signals;
 * `INVALID_PROOF` with the offending path otherwise. Curve membership is checked by the pairing
 * code, which refuses points off the curve.
 */
export function parseProofBundle(json: unknown, nPublic: number): ProofBundle {
  const schema = z.strictObject({
    proof: proofSchema,
    publicSignals: z.array(signal).length(nPublic),
  });
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new CrossproofError(
      ErrorCode.INVALID_PROOF,
      `malformed proof: ${firstIssue(parsed.error)}`,
      { details: { issues: issueList(parsed.error) } },
    );
  }
  return parsed.data;
}
