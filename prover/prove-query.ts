/**
 * Making a `query` proof in this process (snarkjs `groth16.fullProve`). The worker pool that
 * serves many requests wraps this same function.
 */
import * as snarkjs from "snarkjs";
import { computeLeaf } from "../core/commitment.js";
import { ErrorCode, ProofError } from "../core/errors.js";
import type { Groth16Proof, ProofBundle } from "../core/proof.js";
import { evaluatePredicate, OP_NAMES } from "../core/query.js";
import { rootFromPath } from "../core/tree.js";
import type { CircuitRelease } from "../infra/artifacts.js";
import { buildQueryInput, type QueryWitness } from "./query-input.js";

/** Depth and K of a `query` release, from its manifest's parameters. */
export function queryShape(release: CircuitRelease): { depth: number; k: number } {
  const [depth, k] = release.manifest.params;
  if (release.manifest.template !== "Query" || depth === undefined || k === undefined) {
    throw new ProofError(ErrorCode.UNKNOWN_CIRCUIT, `${release.name} is not a query circuit`);
  }
  return { depth, k };
}

/**
 * Check that the witness's record is in its tree: the leaf is the record's commitment and the
 * path leads to the (non-zero) root. `RECORD_NOT_IN_TREE` otherwise.
 */
export function checkRecordInTree(
  w: Pick<QueryWitness, "schemaId" | "slots" | "salt" | "path">,
): void {
  if (computeLeaf(w.schemaId, w.slots, w.salt) !== w.path.leaf) {
    throw new ProofError(
      ErrorCode.RECORD_NOT_IN_TREE,
      "the record's commitment is not the path's leaf",
    );
  }
  if (w.path.root === 0n || rootFromPath(w.path) !== w.path.root) {
    throw new ProofError(ErrorCode.RECORD_NOT_IN_TREE, "the Merkle path does not lead to the root");
  }
}

/**
 * Check, before any proving work, that the witness can satisfy the circuit: the leaf is the
 * record's commitment, the path leads to the root, and every predicate holds. The errors name
 * the failing predicate by index and operator, never a value.
 */
export function checkQueryWitness(w: QueryWitness, k: number): void {
  checkRecordInTree(w);
  if (w.predicates.length !== k) {
    throw new ProofError(ErrorCode.INVALID_QUERY, `the circuit takes exactly ${k} predicates`);
  }
  w.predicates.forEach((p, index) => {
    if (!evaluatePredicate(p, w.slots)) {
      throw new ProofError(
        ErrorCode.PREDICATE_UNSATISFIED,
        `the record does not satisfy predicate ${index} (${OP_NAMES[p.op]})`,
        { details: { predicate: index, op: OP_NAMES[p.op] } },
      );
    }
  });
}

/** Prove a `query` statement with a loaded release; runs on snarkjs's default (threaded) curve. */
export async function proveQuery(
  release: CircuitRelease,
  witness: QueryWitness,
): Promise<ProofBundle> {
  const { depth, k } = queryShape(release);
  checkQueryWitness(witness, k);
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    buildQueryInput(witness, depth),
    release.paths.wasm,
    release.paths.zkey,
  );
  return { proof: proof as unknown as Groth16Proof, publicSignals };
}
