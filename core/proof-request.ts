/**
 * A proof request: what a verifier's challenge asks the holder to prove, in the form that
 * crosses the boundary. The verifier sends its one-time nonce, the schema, the resolved
 * slot-level predicates and their `queryHash`; the holder checks that the predicates hash to
 * that `queryHash` (so it proves exactly what the verifier will check, nothing else) before it
 * proves anything.
 *
 * Wire form: `{challengeId, nonce, schemaId, queryHash, predicates: [{op, i, j, a, b}]}` with
 * field elements as decimal strings; a verifier's whole challenge (which adds `policyId`, the
 * query by field name and its times) is accepted too, its extra fields ignored.
 */
import { z } from "zod";
import { CrossproofError, ErrorCode } from "./errors.js";
import { computeQueryHash, type OpCode, type Predicate } from "./query.js";
import { firstIssue } from "./validation.js";
import { fieldElement, id } from "./wire/common.js";

const decimal = fieldElement;

/**
 * The wire form of a proof request (input: decimal strings; output: bigints), as the prover
 * service documents it. {@link parseProofRequest} is the way to read one.
 */
export const proofRequestSchema = z.strictObject({
  challengeId: id,
  nonce: decimal,
  schemaId: decimal,
  queryHash: decimal,
  predicates: z
    .array(
      z.strictObject({
        op: z.number().int().min(0).max(15),
        i: z.number().int().min(0).max(15),
        j: z.number().int().min(0).max(15),
        a: decimal,
        b: decimal,
      }),
    )
    .max(64),
  // What the verifier's challenge carries besides the request, for people and its own records:
  // accepted so a challenge can be forwarded whole, and ignored (the predicates are what count).
  policyId: z.string().max(128).optional(),
  query: z.array(z.unknown()).max(64).optional(),
  issuedAt: z.string().max(64).optional(),
  expiresAt: z.string().max(64).optional(),
  consumedAt: z.string().max(64).nullable().optional(),
  receiptId: z.string().max(128).nullable().optional(),
});

/** A validated proof request. */
export interface ProofRequest {
  readonly challengeId: string;
  /** The verifier's one-time challenge value, bound into the proof. */
  readonly nonce: bigint;
  readonly schemaId: bigint;
  readonly queryHash: bigint;
  /** The slot-level predicates, unpadded. */
  readonly predicates: readonly Predicate[];
}

/** The wire form of a proof request (decimal strings). */
export function proofRequestToJson(request: ProofRequest): Record<string, unknown> {
  return {
    challengeId: request.challengeId,
    nonce: request.nonce.toString(),
    schemaId: request.schemaId.toString(),
    queryHash: request.queryHash.toString(),
    predicates: predicatesToJson(request.predicates),
  };
}

/** Slot-level predicates in their wire form (decimal strings), as requests and stores keep them. */
export function predicatesToJson(
  predicates: readonly Predicate[],
): { op: number; i: number; j: number; a: string; b: string }[] {
  return predicates.map((p) => ({
    op: p.op,
    i: p.i,
    j: p.j,
    a: p.a.toString(),
    b: p.b.toString(),
  }));
}

/**
 * Validates a proof request for a circuit with `k` predicate slots: exact shape, field
 * elements, each predicate within the circuit's ranges, and `queryHash` equal to the hash of
 * the predicates. `INVALID_CHALLENGE` otherwise, naming the problem.
 */
export function parseProofRequest(json: unknown, k: number): ProofRequest {
  const parsed = proofRequestSchema.safeParse(json);
  if (!parsed.success) {
    throw new CrossproofError(
      ErrorCode.INVALID_CHALLENGE,
      `malformed proof request: ${firstIssue(parsed.error)}`,
    );
  }
  const request = parsed.data;
  const predicates = request.predicates.map((p) => ({ ...p, op: p.op as OpCode }));
  let hash: bigint;
  try {
    hash = computeQueryHash(predicates, k);
  } catch (err) {
    throw new CrossproofError(
      ErrorCode.INVALID_CHALLENGE,
      `the request's predicates do not fit the circuit: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (hash !== request.queryHash) {
    throw new CrossproofError(
      ErrorCode.INVALID_CHALLENGE,
      "the request's predicates do not hash to its queryHash: refusing to prove a different query",
    );
  }
  return {
    challengeId: request.challengeId,
    nonce: request.nonce,
    schemaId: request.schemaId,
    queryHash: request.queryHash,
    predicates,
  };
}
