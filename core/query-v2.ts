/**
 * Queries of the `query_v2` release (circuits/src/query_v2.circom, predicate_v2.circom): the
 * operators of core/query.ts plus the set operators IN and NIN over a table of values shared by
 * the query, and the link choice of linked records; their `queryHash` and the link output,
 * exactly as the circuit computes them.
 *
 * A set predicate names its values; {@link buildQueryV2} gathers the values of every set
 * predicate of a query into one canonical table (distinct values, ascending, padded with 0 to
 * {@link QUERY_V2_TABLE_SIZE}) and gives each set predicate `b` = the mask of its entries. Sets
 * are sets: duplicates are merged and order does not matter, so one policy has one hash.
 */
import { ErrorCode, QueryError } from "./errors.js";
import { isFieldElement } from "./field.js";
import { poseidon, poseidonChain } from "./poseidon.js";
import {
  checkPredicate,
  compilePredicate,
  encodeValue,
  evaluatePredicate,
  fieldOf,
  NOOP_PREDICATE,
  Op,
  type Predicate,
  type PredicateSpec,
  type PredicateValue,
  packPredicate,
} from "./query.js";
import { type Schema, SLOT_COUNT } from "./schema.js";

/** Operator codes of `query_v2`: those of `query`, then IN and NIN. Never renumber. */
export const OpV2 = { ...Op, IN: 12, NIN: 13 } as const;

/** An operator name of `query_v2`. */
export type OpNameV2 = keyof typeof OpV2;

/** An operator code of `query_v2`. */
export type OpCodeV2 = (typeof OpV2)[OpNameV2];

/** A set operator code. */
export type SetOpCode = typeof OpV2.IN | typeof OpV2.NIN;

/** Entries of the set table of the `query_v2` release (one table per query). */
export const QUERY_V2_TABLE_SIZE = 16;

/** Predicate slots of the `query_v2` release. */
export const QUERY_V2_K = 8;

/**
 * One predicate slot as the `query_v2` circuit sees it. For IN and NIN, `b` is the mask of the
 * table entries in the set (bit m: table[m]) and `a`, `j` are 0.
 */
export interface PredicateV2 {
  readonly op: OpCodeV2;
  readonly i: number;
  readonly j: number;
  readonly a: bigint;
  readonly b: bigint;
}

/** A set predicate by slot, before the table is built: x = slots[i] is (not) one of `values`. */
export interface SetPredicate {
  readonly op: SetOpCode;
  readonly i: number;
  readonly values: readonly bigint[];
}

/** What {@link buildQueryV2} takes: a predicate of `query`, or a set predicate. */
export type SlotPredicateV2 = Predicate | SetPredicate;

/** Which slot the link output commits to; `null`: linking off (the output is 0). */
export type LinkChoice = { readonly index: number } | null;

/** A query of `query_v2`: padded predicates, the table, the link choice, and their hash. */
export interface QueryV2 {
  readonly predicates: readonly PredicateV2[];
  readonly table: readonly bigint[];
  readonly link: LinkChoice;
  readonly queryHash: bigint;
}

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new QueryError(ErrorCode.INVALID_QUERY, message, { details });
}

/** Whether an operator code is IN or NIN. */
export function isSetOp(op: number): op is SetOpCode {
  return op === OpV2.IN || op === OpV2.NIN;
}

function checkSlot(v: number, index: number, name: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= SLOT_COUNT) {
    fail(`predicate ${index}: slot index ${name} must be in [0, ${SLOT_COUNT})`, {
      predicate: index,
    });
  }
}

/** Check a link choice: a slot index in [0, 16), or null. */
export function checkLink(link: LinkChoice): void {
  if (link === null) return;
  if (!Number.isInteger(link.index) || link.index < 0 || link.index >= SLOT_COUNT) {
    fail(`link: slot index must be in [0, ${SLOT_COUNT})`, { link: link.index });
  }
}

/** `linkOn + 2·linkIndex`, the last element of queryHash (0 when linking is off). */
export function packLink(link: LinkChoice): bigint {
  return link === null ? 0n : 1n + 2n * BigInt(link.index);
}

/**
 * Check a slot-level `query_v2` predicate against the circuit's ranges: operators 0..11 as
 * {@link checkPredicate}; IN and NIN with i in [0, 16), j = 0, a = 0 and a non-empty mask below
 * 2^`tableSize` (bits over the table's entries).
 */
export function checkPredicateV2(p: PredicateV2, index = 0, tableSize = QUERY_V2_TABLE_SIZE): void {
  if (!isSetOp(p.op)) {
    checkPredicate(p as Predicate, index);
    return;
  }
  checkSlot(p.i, index, "i");
  if (p.j !== 0 || p.a !== 0n) {
    fail(`predicate ${index}: parameters the operator does not use must be 0`, {
      predicate: index,
    });
  }
  if (p.b <= 0n || p.b >= 1n << BigInt(tableSize)) {
    fail(`predicate ${index}: a set mask must be in [1, 2^${tableSize})`, { predicate: index });
  }
}

/** The distinct values of a set predicate, each a field element; refuses an empty set. */
function setValues(p: SetPredicate, index: number): bigint[] {
  checkSlot(p.i, index, "i");
  if (p.values.length === 0)
    fail(`predicate ${index}: a set must not be empty`, { predicate: index });
  for (const v of p.values) {
    if (typeof v !== "bigint" || !isFieldElement(v)) {
      fail(`predicate ${index}: a set value must be a field element in [0, r)`, {
        predicate: index,
      });
    }
  }
  return [...new Set(p.values)];
}

/**
 * `predicates` followed by NOOP up to `k` slots, unchecked (the caller has checked that there are
 * at most `k`, or is a test posing a forged query on purpose).
 */
export function padPredicatesV2(
  predicates: readonly PredicateV2[],
  k: number = QUERY_V2_K,
): PredicateV2[] {
  const padded = [...predicates];
  while (padded.length < k) padded.push(NOOP_PREDICATE);
  return padded;
}

/**
 * Build a `query_v2` query: check every predicate, gather the set values into the canonical table
 * (distinct, ascending, 0-padded to `tableSize`), turn each set predicate into its mask, pad with
 * NOOP to `k` slots, and hash. `INVALID_QUERY` for an unknown operator, a value out of range, an
 * empty set, more than `tableSize` distinct set values, or more than `k` predicates.
 */
export function buildQueryV2(
  predicates: readonly SlotPredicateV2[],
  options: { k?: number; tableSize?: number; link?: LinkChoice } = {},
): QueryV2 {
  const k = options.k ?? QUERY_V2_K;
  const tableSize = options.tableSize ?? QUERY_V2_TABLE_SIZE;
  const link = options.link ?? null;
  checkLink(link);
  if (predicates.length > k) {
    fail(`the circuit takes at most ${k} predicates, not ${predicates.length}`, { k });
  }
  const sets = new Map<number, bigint[]>();
  predicates.forEach((p, index) => {
    if (isSetOp(p.op)) sets.set(index, setValues(p as SetPredicate, index));
    else checkPredicate(p as Predicate, index);
  });
  const distinct = [...new Set([...sets.values()].flat())].sort((x, y) =>
    x < y ? -1 : x > y ? 1 : 0,
  );
  if (distinct.length > tableSize) {
    fail(`a query takes at most ${tableSize} distinct set values, not ${distinct.length}`, {
      tableSize,
    });
  }
  const position = new Map(distinct.map((v, m) => [v, m]));
  const slotPredicates: PredicateV2[] = predicates.map((p, index) => {
    const values = sets.get(index);
    if (values === undefined) return p as Predicate;
    const mask = values.reduce((acc, v) => acc | (1n << BigInt(position.get(v) as number)), 0n);
    return { op: p.op, i: p.i, j: 0, a: 0n, b: mask };
  });
  const padded = padPredicatesV2(slotPredicates, k);
  const table = [...distinct, ...new Array<bigint>(tableSize - distinct.length).fill(0n)];
  return {
    predicates: padded,
    table,
    link,
    queryHash: computeQueryHashV2(padded, table, link),
  };
}

/**
 * `queryHash` of `query_v2`: PoseidonChain over `[packed_0, a_0, …, packed_{K-1}, a_{K-1},
 * table[0], …, table[T-1], linkOn + 2·linkIndex]`, of predicates already padded to K and a table
 * of exactly T entries. Checks every part against the circuit's ranges first.
 */
export function computeQueryHashV2(
  predicates: readonly PredicateV2[],
  table: readonly bigint[],
  link: LinkChoice,
): bigint {
  predicates.forEach((p, index) => {
    checkPredicateV2(p, index, table.length);
  });
  for (const v of table) {
    if (!isFieldElement(v)) fail("a table entry must be a field element in [0, r)");
  }
  checkLink(link);
  return poseidonChain([
    ...predicates.flatMap((p) => [packPredicate(p as Predicate), p.a]),
    ...table,
    packLink(link),
  ]);
}

/** Whether an encoded record satisfies a `query_v2` predicate: the circuit's verdict. */
export function evaluatePredicateV2(
  p: PredicateV2,
  slots: readonly bigint[],
  table: readonly bigint[],
): boolean {
  if (!isSetOp(p.op)) return evaluatePredicate(p as Predicate, slots);
  const x = slots[p.i] ?? 0n;
  // A committed slot is a field element (computeLeaf refuses others): never reduce one here.
  if (!isFieldElement(x)) fail(`slot ${p.i} is not a field element in [0, r)`, { slot: p.i });
  const member = table.some((v, m) => ((p.b >> BigInt(m)) & 1n) === 1n && v === x);
  return p.op === OpV2.IN ? member : !member;
}

/** The link output: Poseidon(slots[index], nonce), or 0 when linking is off. */
export function computeLink(slots: readonly bigint[], link: LinkChoice, nonce: bigint): bigint {
  if (link === null) return 0n;
  checkLink(link);
  if (!isFieldElement(nonce)) fail("link: the nonce must be a field element in [0, r)");
  return poseidon([slots[link.index] ?? 0n, nonce]);
}

/** A fresh link nonce (core/link-nonce.ts: the browser client draws one too). */
export { newLinkNonce } from "./link-nonce.js";

/** A `query_v2` predicate by field name: a `query` predicate, or IN / NIN over values. */
export type PredicateSpecV2 =
  | PredicateSpec
  | {
      readonly op: "IN" | "NIN";
      readonly field: string;
      readonly values: readonly PredicateValue[];
    };

/**
 * Compile a policy's predicates for the `query_v2` circuit: field names to slots, values to the
 * fields' encodings, sets into the table; `link` names the field the link output commits to.
 */
export function compileQueryV2(
  schema: Schema,
  specs: readonly PredicateSpecV2[],
  options: { k?: number; tableSize?: number; link?: string } = {},
): QueryV2 {
  const predicates = specs.map((spec, index): SlotPredicateV2 => {
    if (spec.op !== "IN" && spec.op !== "NIN") {
      return compilePredicate(schema, spec as PredicateSpec, index);
    }
    const [i, field] = fieldOf(schema, spec.field, index);
    if (!Array.isArray(spec.values)) fail(`predicate ${index}: values must be a list`);
    const values = spec.values.map((v) => encodeValue(field, v, index));
    return { op: OpV2[spec.op], i, values };
  });
  const link = options.link === undefined ? null : { index: fieldOf(schema, options.link, -1)[0] };
  return buildQueryV2(predicates, {
    ...(options.k === undefined ? {} : { k: options.k }),
    ...(options.tableSize === undefined ? {} : { tableSize: options.tableSize }),
    link,
  });
}
