/**
 * Groth16 proofs as snarkjs writes them, and their validation at a trust boundary: exact
 * shapes, decimal coordinates below the base field's modulus, public signals below r and as many
 * as the verification key expects.
 */
import { z } from "zod";
import { CrossproofError, ErrorCode } from "./errors.js";
import { DECIMAL_PATTERN, FIELD_ORDER } from "./field.js";
import { firstIssue, issueList } from "./validation.js";

/** q, the modulus of BN254's base field (proof point coordinates lie in [0, q)). */
export const BASE_FIELD_MODULUS =
  21888242871839275222246405745257275088696311157297823662689037894645226208583n;

const DECIMAL = DECIMAL_PATTERN;
const decimal = z.string().regex(DECIMAL, "a decimal integer");
// zod runs a refinement even after the regex failed: BigInt() must only see decimals (it
// throws a SyntaxError on "1e3", which reached callers as a 500 before this guard).
const coordinate = decimal.refine(
  (s) => !DECIMAL.test(s) || BigInt(s) < BASE_FIELD_MODULUS,
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

const signal = decimal.refine(
  (s) => !DECIMAL.test(s) || BigInt(s) < FIELD_ORDER,
  "below the field order r",
);

const bundleSchemas = new Map<number, z.ZodType<ProofBundle>>();

/** The schema of a bundle with `nPublic` signals: the authority on what is well-formed. */
export function proofBundleSchema(nPublic: number): z.ZodType<ProofBundle> {
  let schema = bundleSchemas.get(nPublic);
  if (!schema) {
    schema = z.strictObject({
      proof: proofSchema,
      publicSignals: z.array(signal).length(nPublic),
    });
    bundleSchemas.set(nPublic, schema);
  }
  return schema;
}

/** A decimal string below `bound` (a BigInt is made only when the length leaves a doubt). */
function isDecimalBelow(value: unknown, bound: bigint, digits: number): boolean {
  return (
    typeof value === "string" &&
    DECIMAL.test(value) &&
    (value.length < digits || (value.length === digits && BigInt(value) < bound))
  );
}

const Q_DIGITS = BASE_FIELD_MODULUS.toString().length;
const R_DIGITS = FIELD_ORDER.toString().length;

function isPlainObject(value: unknown, keys: readonly string[]): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

function isArrayOf(value: unknown, length: number): value is unknown[] {
  return Array.isArray(value) && value.length === length;
}

const isCoordinate = (v: unknown) => isDecimalBelow(v, BASE_FIELD_MODULUS, Q_DIGITS);

function isAffineG1(v: unknown): boolean {
  return isArrayOf(v, 3) && isCoordinate(v[0]) && isCoordinate(v[1]) && v[2] === "1";
}

function isAffineG2(v: unknown): boolean {
  if (!isArrayOf(v, 3)) return false;
  const [x, y, z] = v;
  return (
    isArrayOf(x, 2) &&
    isCoordinate(x[0]) &&
    isCoordinate(x[1]) &&
    isArrayOf(y, 2) &&
    isCoordinate(y[0]) &&
    isCoordinate(y[1]) &&
    isArrayOf(z, 2) &&
    z[0] === "1" &&
    z[1] === "0"
  );
}

/**
 * The common case, checked without zod (7 µs against 25 µs per proof for the cached schema,
 * `npm run bench:breakdown`; the event loop does it for every proof it receives): a bundle
 * exactly as snarkjs writes it. It accepts nothing the schema refuses (a
 * property test compares the two); what it does not accept goes to the schema, which names the
 * problem.
 */
export function isWellFormedBundle(json: unknown, nPublic: number): json is ProofBundle {
  if (!isPlainObject(json, ["proof", "publicSignals"])) return false;
  const { proof, publicSignals } = json;
  return (
    isPlainObject(proof, ["pi_a", "pi_b", "pi_c", "protocol", "curve"]) &&
    proof.protocol === "groth16" &&
    proof.curve === "bn128" &&
    isAffineG1(proof.pi_a) &&
    isAffineG2(proof.pi_b) &&
    isAffineG1(proof.pi_c) &&
    isArrayOf(publicSignals, nPublic) &&
    allSignals(publicSignals)
  );
}

/** Every signal a decimal below r (a loop, not `every`, which skips the holes of a sparse array). */
function allSignals(signals: readonly unknown[]): boolean {
  for (let i = 0; i < signals.length; i++) {
    if (!isDecimalBelow(signals[i], FIELD_ORDER, R_DIGITS)) return false;
  }
  return true;
}

/**
 * Validate an untrusted `{proof, publicSignals}` against the expected number of public signals;
 * `INVALID_PROOF` with the offending path otherwise. Whether the points are on the curve (and B
 * in G2's subgroup) is checked by the pairing code.
 */
export function parseProofBundle(json: unknown, nPublic: number): ProofBundle {
  const parsed = readProofBundle(json, nPublic);
  if ("problem" in parsed) {
    throw new CrossproofError(ErrorCode.INVALID_PROOF, `malformed proof: ${parsed.problem}`, {
      details: { issues: parsed.issues },
    });
  }
  return parsed;
}

/**
 * {@link parseProofBundle} without the throw: the bundle, or what is wrong with it (the first
 * problem, and every problem by path) for callers that answer a malformed item on its own.
 */
export function readProofBundle(
  json: unknown,
  nPublic: number,
): ProofBundle | { readonly problem: string; readonly issues: ReturnType<typeof issueList> } {
  if (isWellFormedBundle(json, nPublic)) return json;
  const parsed = proofBundleSchema(nPublic).safeParse(json);
  if (!parsed.success) {
    return { problem: firstIssue(parsed.error), issues: issueList(parsed.error) };
  }
  return parsed.data;
}
