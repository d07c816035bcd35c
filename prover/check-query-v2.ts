/**
 * The `query_v2` counterparts of `queryShape` and `checkQueryWitness` (prove-query.ts): the
 * release's shape from its manifest, and the check a `query_v2` witness passes before any
 * proving work, so a record that does not meet its query fails at once, without a worker.
 */
import { ErrorCode, ProofError } from "../core/errors.js";
import { isFieldElement } from "../core/field.js";
import { checkLink, checkPredicateV2, evaluatePredicateV2, OpV2 } from "../core/query-v2.js";
import type { CircuitRelease } from "../infra/artifacts.js";
import { checkRecordInTree } from "./prove-query.js";
import type { QueryV2Witness } from "./query-v2-input.js";

/** Operator names of `query_v2` by code, for error messages. */
const OP_V2_NAMES = new Map<number, string>(
  Object.entries(OpV2).map(([name, code]) => [code, name]),
);

/** Depth, K and table size of a `query_v2` release, from its manifest's parameters. */
export function queryV2Shape(release: CircuitRelease): {
  depth: number;
  k: number;
  tableSize: number;
} {
  const [depth, k, tableSize] = release.manifest.params;
  if (
    release.manifest.template !== "QueryV2" ||
    depth === undefined ||
    k === undefined ||
    tableSize === undefined
  ) {
    throw new ProofError(ErrorCode.UNKNOWN_CIRCUIT, `${release.name} is not a query_v2 circuit`);
  }
  return { depth, k, tableSize };
}

/**
 * Check, before any proving work, that a `query_v2` witness can satisfy the circuit: the record
 * is in its tree (`RECORD_NOT_IN_TREE`), the predicates, table, link and link nonce fit the
 * circuit (`INVALID_QUERY`), and every predicate holds, IN and NIN over the table included
 * (`PREDICATE_UNSATISFIED`, naming the predicate by index and operator, never a value).
 */
export function checkQueryV2Witness(w: QueryV2Witness, k: number, tableSize: number): void {
  checkRecordInTree(w);
  if (w.predicates.length !== k) {
    throw new ProofError(ErrorCode.INVALID_QUERY, `the circuit takes exactly ${k} predicates`);
  }
  if (w.table.length !== tableSize || !w.table.every(isFieldElement)) {
    throw new ProofError(
      ErrorCode.INVALID_QUERY,
      `the circuit takes a table of exactly ${tableSize} field elements`,
    );
  }
  checkLink(w.link);
  if (!isFieldElement(w.linkNonce)) {
    throw new ProofError(ErrorCode.INVALID_QUERY, "link: the nonce must be a field element");
  }
  w.predicates.forEach((p, index) => {
    checkPredicateV2(p, index, tableSize);
    if (!evaluatePredicateV2(p, w.slots, w.table)) {
      const op = OP_V2_NAMES.get(p.op) ?? String(p.op);
      throw new ProofError(
        ErrorCode.PREDICATE_UNSATISFIED,
        `the record does not satisfy predicate ${index} (${op})`,
        { details: { predicate: index, op } },
      );
    }
  });
}
