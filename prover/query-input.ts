/**
 * The witness input of the `query` circuit: everything the prover knows, as decimal strings.
 * This object holds the raw record, the salt and the Merkle path: it never leaves the prover.
 */

import { ErrorCode, ProofError } from "../core/errors.js";
import type { Predicate } from "../core/query.js";
import type { Slots } from "../core/record.js";
import { SLOT_COUNT } from "../core/schema.js";
import type { MerklePath } from "../core/tree.js";

/** What a `query` proof is made from. */
export interface QueryWitness {
  readonly schemaId: bigint;
  readonly slots: Slots;
  readonly salt: bigint;
  readonly path: MerklePath;
  /** Exactly K slot-level predicates (padded with NOOP). */
  readonly predicates: readonly Predicate[];
  readonly queryHash: bigint;
  readonly challenge: bigint;
}

/** The circuit's input signals, by name. */
export type CircuitInput = Record<string, string | string[] | string[][]>;

/** The `query` circuit input for a tree of maximum depth `depth`. */
export function buildQueryInput(w: QueryWitness, depth: number): CircuitInput {
  if (w.slots.length !== SLOT_COUNT) throw new RangeError(`a record has ${SLOT_COUNT} slots`);
  if (w.path.siblings.length > depth) {
    throw new ProofError(
      ErrorCode.TREE_INDEX,
      `the Merkle path has ${w.path.siblings.length} levels; the circuit takes at most ${depth}`,
    );
  }
  const siblings = [
    ...w.path.siblings,
    ...new Array<bigint>(depth - w.path.siblings.length).fill(0n),
  ];
  return {
    root: w.path.root.toString(),
    schemaId: w.schemaId.toString(),
    challenge: w.challenge.toString(),
    queryHash: w.queryHash.toString(),
    slots: w.slots.map(String),
    salt: w.salt.toString(),
    pathLength: String(w.path.pathLength),
    pathIndex: String(w.path.pathIndex),
    siblings: siblings.map(String),
    predicates: w.predicates.map((p) => [p.op, p.i, p.j, p.a, p.b].map(String)),
  };
}
