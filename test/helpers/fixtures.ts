/**
 * Records, trees and queries for tests: a credit report that satisfies the pilot's policy,
 * committed among a few others, with the `query` circuit input for any predicates.
 */
import { computeLeaf } from "../../core/commitment.js";
import { FIELD_ORDER, UINT64_LIMIT } from "../../core/field.js";
import { computeQueryHash, type Predicate, padPredicates } from "../../core/query.js";
import { encodeRecord, type RecordInput } from "../../core/record.js";
import { getSchema, type Schema } from "../../core/schema.js";
import { CommitmentTree } from "../../core/tree.js";
import { buildQueryInput, type CircuitInput, type QueryWitness } from "../../prover/query-input.js";

/** Depth and K of the default `query` instance. */
export const DEPTH = 20;
export const K = 8;

/** r − 1 and r, the edges of the field. */
export const R_MINUS_1 = FIELD_ORDER - 1n;
export const R = FIELD_ORDER;
export const U64_LIMIT = UINT64_LIMIT;
export const U64_MAX = UINT64_LIMIT - 1n;

/** A credit report that meets the pilot's policy (score 720, debt/income 25 %, no default). */
export const GOOD_REPORT: RecordInput = {
  subjectId: "HK-A123456(7)",
  bureau: "bureau:hk-creditref",
  creditScore: 720,
  totalDebt: 150_000_00,
  annualIncome: 600_000_00,
  defaults24m: 0,
  latePayments12m: 1,
  openAccounts: 4,
  reportDate: "2026-11-01",
  currency: "HKD",
  jurisdiction: "HK",
  documentFingerprint: "9f2c1d1a4f0e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c",
};

/** Slot indices of credit-report-v1. */
export const SLOT = {
  subjectId: 0,
  bureau: 1,
  creditScore: 2,
  totalDebt: 3,
  annualIncome: 4,
  defaults24m: 5,
  latePayments12m: 6,
  openAccounts: 7,
  reportDate: 8,
  currency: 9,
  jurisdiction: 10,
  documentFingerprint: 11,
} as const;

/** A committed record in a small tree. */
export interface Committed {
  readonly schema: Schema;
  readonly slots: bigint[];
  readonly salt: bigint;
  readonly tree: CommitmentTree;
  readonly index: number;
}

/** Commit `slots` (default: the good report) as leaf `index` of a tree of `size` leaves. */
export function commit(
  options: { slots?: bigint[]; size?: number; index?: number } = {},
): Committed {
  const schema = getSchema("credit-report-v1");
  const slots = options.slots ?? [...encodeRecord(schema, GOOD_REPORT)];
  const salt = 0x1234567890abcdefn * 0x10000000000000000n + 42n;
  const size = options.size ?? 5;
  const index = options.index ?? 2;
  const leaves = Array.from({ length: size }, (_, i) =>
    i === index ? computeLeaf(schema.schemaId, slots, salt) : BigInt(1000 + i),
  );
  return { schema, slots, salt, tree: new CommitmentTree(leaves), index };
}

/** The witness of a `query` proof for `predicates` about a committed record. */
export function queryWitness(
  c: Committed,
  predicates: readonly Predicate[],
  challenge = 77n,
): QueryWitness {
  const padded = padPredicates(predicates, K);
  return {
    schemaId: c.schema.schemaId,
    slots: c.slots,
    salt: c.salt,
    path: c.tree.path(c.index),
    predicates: padded,
    queryHash: computeQueryHash(padded, K),
    challenge,
  };
}

/** The circuit input for `predicates` about a committed record. */
export function queryInput(
  c: Committed,
  predicates: readonly Predicate[],
  challenge = 77n,
): CircuitInput {
  return buildQueryInput(queryWitness(c, predicates, challenge), DEPTH);
}

/** Circuit input for predicates given unchecked (for out-of-range and forged parameters). */
export function rawQueryInput(
  c: Committed,
  predicates: readonly Predicate[],
  queryHash: bigint,
): CircuitInput {
  const padded = [...predicates];
  while (padded.length < K) padded.push({ op: 0, i: 0, j: 0, a: 0n, b: 0n });
  return buildQueryInput({ ...queryWitness(c, []), predicates: padded, queryHash }, DEPTH);
}
