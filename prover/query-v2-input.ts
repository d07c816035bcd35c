/**
 * The witness input of the `query_v2` circuit: that of `query` (prover/query-input.ts), with the
 * set table, the link choice and the link nonce. Like it, it holds the raw record, the salt, the
 * Merkle path and the nonce: it never leaves the prover.
 */

import { ErrorCode, QueryError } from "../core/errors.js";
import { isFieldElement } from "../core/field.js";
import { checkLink, type LinkChoice, type PredicateV2 } from "../core/query-v2.js";
import { buildQueryInput, type CircuitInput, type QueryWitness } from "./query-input.js";

/** What a `query_v2` proof is made from. */
export interface QueryV2Witness extends Omit<QueryWitness, "predicates"> {
  /** Exactly K slot-level predicates (padded with NOOP). */
  readonly predicates: readonly PredicateV2[];
  /** Exactly T table entries (padded with 0). */
  readonly table: readonly bigint[];
  readonly link: LinkChoice;
  /** The presentation's link nonce (any field element when linking is off). */
  readonly linkNonce: bigint;
}

/**
 * A `query_v2` witness tagged with its circuit, as the proving pool takes it beside a `query`
 * witness (which has no `circuit` field).
 */
export interface TaggedQueryV2Witness extends QueryV2Witness {
  readonly circuit: "query_v2";
}

/** What the proving pool proves: a `query` witness, or a tagged `query_v2` one. */
export type ProverWitness = QueryWitness | TaggedQueryV2Witness;

/** Whether a witness is for `query_v2`. */
export function isQueryV2Witness(w: ProverWitness): w is TaggedQueryV2Witness {
  return "circuit" in w && w.circuit === "query_v2";
}

/** The `query_v2` circuit input for a tree of maximum depth `depth`. */
export function buildQueryV2Input(w: QueryV2Witness, depth: number): CircuitInput {
  checkLink(w.link);
  if (!isFieldElement(w.linkNonce)) {
    throw new QueryError(ErrorCode.INVALID_QUERY, "link: the nonce must be a field element");
  }
  return {
    ...buildQueryInput({ ...w, predicates: [] }, depth),
    predicates: w.predicates.map((p) => [p.op, p.i, p.j, p.a, p.b].map(String)),
    table: w.table.map(String),
    linkOn: w.link === null ? "0" : "1",
    linkIndex: String(w.link?.index ?? 0),
    linkNonce: w.linkNonce.toString(),
  };
}
