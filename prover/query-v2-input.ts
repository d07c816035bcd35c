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
