/**
 * The public signals of the `query` circuit, in snarkjs's order: the K disclosed values
 * (outputs come first), then the public inputs root, schemaId, challenge, queryHash.
 * Defined once here; every reader checks the length before indexing.
 */
import { CrossproofError, ErrorCode } from "./errors.js";
import { parseFieldElement } from "./field.js";

/** The public inputs of `query`, in declaration order (after the K outputs). */
export const QUERY_PUBLIC_INPUTS = ["root", "schemaId", "challenge", "queryHash"] as const;

/** Names of the public signals of a `query` instance with `k` predicate slots. */
export function queryPublicSignalNames(k: number): string[] {
  return [...Array.from({ length: k }, (_, i) => `disclosed[${i}]`), ...QUERY_PUBLIC_INPUTS];
}

/** Index of a public input of `query` in the public signals of an instance with `k` slots. */
export function queryInputIndex(name: (typeof QUERY_PUBLIC_INPUTS)[number], k: number): number {
  return k + QUERY_PUBLIC_INPUTS.indexOf(name);
}

/** The public signals of a `query` proof, typed. */
export interface QueryPublicSignals {
  /** Per predicate slot: the disclosed slot value for DISCLOSE, otherwise 0. */
  readonly disclosed: readonly bigint[];
  readonly root: bigint;
  readonly schemaId: bigint;
  readonly challenge: bigint;
  readonly queryHash: bigint;
}

/** Parse the decimal public signals of a `query` proof with `k` predicate slots. */
export function parseQueryPublicSignals(signals: readonly string[], k: number): QueryPublicSignals {
  const expected = k + QUERY_PUBLIC_INPUTS.length;
  if (signals.length !== expected) {
    throw new CrossproofError(
      ErrorCode.INVALID_PROOF,
      `expected ${expected} public signals, got ${signals.length}`,
      { details: { expected, actual: signals.length } },
    );
  }
  const values = signals.map((s, i) => parseFieldElement(s, `publicSignals[${i}]`));
  const at = (name: (typeof QUERY_PUBLIC_INPUTS)[number]): bigint =>
    values[queryInputIndex(name, k)] as bigint;
  return {
    disclosed: values.slice(0, k),
    root: at("root"),
    schemaId: at("schemaId"),
    challenge: at("challenge"),
    queryHash: at("queryHash"),
  };
}

/** The public signals of a `query_v2` proof, typed: those of `query`, and the link output. */
export interface QueryV2PublicSignals extends QueryPublicSignals {
  /** Poseidon(linked field, link nonce), or 0 when the query links nothing. */
  readonly link: bigint;
}

/**
 * Parse the decimal public signals of a `query_v2` proof with `k` predicate slots:
 * `[disclosed[0..k-1], link, root, schemaId, challenge, queryHash]` (the link is the last output).
 */
export function parseQueryV2PublicSignals(
  signals: readonly string[],
  k: number,
): QueryV2PublicSignals {
  const parsed = parseQueryPublicSignals(signals, k + 1);
  return {
    ...parsed,
    disclosed: parsed.disclosed.slice(0, k),
    link: parsed.disclosed[k] as bigint,
  };
}
