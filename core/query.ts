/**
 * Queries: the K predicate slots `(op, i, j, a, b)` the `query` circuit checks, their packing
 * and `queryHash`, exactly as circuits/src/predicate.circom and query.circom compute them.
 *
 * A verifier writes predicates by field name ({@link PredicateSpec}); {@link compileQuery}
 * checks them against the schema and turns them into slot-level {@link Predicate}s.
 */
import { ErrorCode, QueryError } from "./errors.js";
import { isFieldElement, UINT64_LIMIT } from "./field.js";
import { poseidonChain } from "./poseidon.js";
import { encodeFieldValue } from "./record.js";
import { type FieldDefinition, type Schema, SLOT_COUNT } from "./schema.js";

/** Operator codes, as the circuit decodes them. Never renumber: codes enter queryHash. */
export const Op = {
  NOOP: 0,
  EQ: 1,
  NE: 2,
  LT: 3,
  LTE: 4,
  GT: 5,
  GTE: 6,
  BETWEEN: 7,
  OUTSIDE: 8,
  RATIO_LTE: 9,
  RATIO_GTE: 10,
  DISCLOSE: 11,
} as const;

/** An operator name. */
export type OpName = keyof typeof Op;

/** An operator code. */
export type OpCode = (typeof Op)[OpName];

/** All operator names, in code order. */
export const OP_NAMES = Object.keys(Op) as OpName[];

const COMPARISONS: ReadonlySet<OpCode> = new Set([
  Op.LT,
  Op.LTE,
  Op.GT,
  Op.GTE,
  Op.BETWEEN,
  Op.OUTSIDE,
  Op.RATIO_LTE,
  Op.RATIO_GTE,
]);

/** Whether an operator compares its operands as 64-bit integers (so needs `uint` slots). */
export function isComparison(op: OpCode): boolean {
  return COMPARISONS.has(op);
}

/**
 * One predicate slot as the circuit sees it: x = slots[i], y = slots[j].
 * EQ/NE: x = a or x ≠ a. LT/LTE/GT/GTE: x against a. BETWEEN/OUTSIDE: a ≤ x ≤ b or not.
 * RATIO_LTE/RATIO_GTE: a·x ≤ b·y or ≥. DISCLOSE: x becomes a public output.
 */
export interface Predicate {
  readonly op: OpCode;
  readonly i: number;
  readonly j: number;
  readonly a: bigint;
  readonly b: bigint;
}

/** The predicate that always holds; it fills unused slots. */
export const NOOP_PREDICATE: Predicate = Object.freeze({ op: Op.NOOP, i: 0, j: 0, a: 0n, b: 0n });

function fail(message: string, details: Record<string, unknown> = {}): never {
  throw new QueryError(ErrorCode.INVALID_QUERY, message, { details });
}

/**
 * Check a slot-level predicate against the circuit's ranges: op known, i and j in [0, 16),
 * b < 2^64, a < 2^64 for comparisons and a field element otherwise, parameters an operator
 * does not use left at 0 (so that one query has one hash).
 */
export function checkPredicate(p: Predicate, index = 0): void {
  const where = { predicate: index };
  if (!(OP_NAMES as string[]).some((n) => Op[n as OpName] === p.op)) {
    fail(`predicate ${index}: unknown operator code ${p.op}`, where);
  }
  for (const [name, v] of [
    ["i", p.i],
    ["j", p.j],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= SLOT_COUNT) {
      fail(`predicate ${index}: slot index ${name} must be in [0, ${SLOT_COUNT})`, where);
    }
  }
  if (p.b < 0n || p.b >= UINT64_LIMIT) fail(`predicate ${index}: b must be in [0, 2^64)`, where);
  if (isComparison(p.op)) {
    if (p.a < 0n || p.a >= UINT64_LIMIT) fail(`predicate ${index}: a must be in [0, 2^64)`, where);
  } else if (!isFieldElement(p.a)) {
    fail(`predicate ${index}: a must be a field element`, where);
  }
  const usesJ = p.op === Op.RATIO_LTE || p.op === Op.RATIO_GTE;
  const usesB = usesJ || p.op === Op.BETWEEN || p.op === Op.OUTSIDE;
  const usesA = p.op !== Op.NOOP && p.op !== Op.DISCLOSE;
  const usesI = p.op !== Op.NOOP;
  if (
    (!usesI && p.i !== 0) ||
    (!usesJ && p.j !== 0) ||
    (!usesA && p.a !== 0n) ||
    (!usesB && p.b !== 0n)
  ) {
    fail(`predicate ${index}: parameters the operator does not use must be 0`, where);
  }
}

/** `op + 16·i + 256·j + 4096·b`: injective, since op, i, j are 4-bit and b 64-bit. */
export function packPredicate(p: Predicate): bigint {
  return BigInt(p.op) + 16n * BigInt(p.i) + 256n * BigInt(p.j) + 4096n * p.b;
}

/** Fill to exactly `k` slots with NOOP; `INVALID_QUERY` when there are more than `k`. */
function fillWithNoop(predicates: readonly Predicate[], k: number): Predicate[] {
  if (predicates.length > k) {
    fail(`the circuit takes at most ${k} predicates, not ${predicates.length}`, { k });
  }
  return [...predicates, ...new Array<Predicate>(k - predicates.length).fill(NOOP_PREDICATE)];
}

/** The predicates, each checked, padded with NOOP to exactly `k` slots. */
export function padPredicates(predicates: readonly Predicate[], k: number): Predicate[] {
  predicates.forEach(checkPredicate);
  return fillWithNoop(predicates, k);
}

/** PoseidonChain over `[packed_0, a_0, …]` of predicates already checked and padded. */
function hashPadded(padded: readonly Predicate[]): bigint {
  return poseidonChain(padded.flatMap((p) => [packPredicate(p), p.a]));
}

/**
 * `queryHash` for a circuit with `k` predicate slots: PoseidonChain over
 * `[packed_0, a_0, …, packed_{k-1}, a_{k-1}]` after padding with NOOP.
 */
export function computeQueryHash(predicates: readonly Predicate[], k: number): bigint {
  return hashPadded(padPredicates(predicates, k));
}

/** A value in a predicate: an encoded slot value (bigint), or a value in the field's encoding. */
export type PredicateValue = bigint | number | string | boolean;

/** A predicate by field name, as a policy writes it. */
export type PredicateSpec =
  | { readonly op: "EQ" | "NE"; readonly field: string; readonly value: PredicateValue }
  | {
      readonly op: "LT" | "LTE" | "GT" | "GTE";
      readonly field: string;
      readonly value: PredicateValue;
    }
  | {
      readonly op: "BETWEEN" | "OUTSIDE";
      readonly field: string;
      readonly min: PredicateValue;
      readonly max: PredicateValue;
    }
  | {
      /** `field / per` compared with `numerator / denominator`, without division. */
      readonly op: "RATIO_LTE" | "RATIO_GTE";
      readonly field: string;
      readonly per: string;
      readonly numerator: bigint | number;
      readonly denominator: bigint | number;
    }
  | { readonly op: "DISCLOSE"; readonly field: string };

/** The slot and definition of field `name`; `INVALID_QUERY` when the schema has none. */
export function fieldOf(schema: Schema, name: string, index: number): [number, FieldDefinition] {
  const slot = schema.slotOf.get(name);
  const field = slot === undefined ? undefined : schema.fields[slot];
  if (slot === undefined || field === undefined) {
    fail(`predicate ${index}: ${schema.id} has no field "${name}"`, {
      predicate: index,
      field: name,
    });
  }
  return [slot, field];
}

/** A predicate value in the slot encoding of `field`; `INVALID_QUERY` when it has none. */
export function encodeValue(field: FieldDefinition, value: PredicateValue, index: number): bigint {
  if (typeof value === "bigint") {
    if (!isFieldElement(value))
      fail(`predicate ${index}: ${field.name} value is not a field element`);
    return value;
  }
  try {
    return encodeFieldValue(field, value);
  } catch (err) {
    throw new QueryError(ErrorCode.INVALID_QUERY, `predicate ${index}: ${(err as Error).message}`, {
      details: { predicate: index, field: field.name },
      cause: err,
    });
  }
}

function uintField(schema: Schema, name: string, index: number, op: string): number {
  const [slot, field] = fieldOf(schema, name, index);
  if (field.type !== "uint") {
    fail(`predicate ${index}: ${op} compares integers, but ${name} is a hash field`, {
      predicate: index,
      field: name,
    });
  }
  return slot;
}

function ratioTerm(v: bigint | number, index: number): bigint {
  const b = typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof b !== "bigint" || b < 0n || b >= UINT64_LIMIT) {
    fail(`predicate ${index}: ratio terms must be integers in [0, 2^64)`, { predicate: index });
  }
  return b;
}

/** Compile one field-level predicate against a schema into a slot-level predicate. */
export function compilePredicate(schema: Schema, spec: PredicateSpec, index = 0): Predicate {
  let p: Predicate;
  switch (spec.op) {
    case "EQ":
    case "NE": {
      const [i, field] = fieldOf(schema, spec.field, index);
      p = { op: Op[spec.op], i, j: 0, a: encodeValue(field, spec.value, index), b: 0n };
      break;
    }
    case "LT":
    case "LTE":
    case "GT":
    case "GTE": {
      const i = uintField(schema, spec.field, index, spec.op);
      const field = schema.fields[i] as FieldDefinition;
      p = { op: Op[spec.op], i, j: 0, a: encodeValue(field, spec.value, index), b: 0n };
      break;
    }
    case "BETWEEN":
    case "OUTSIDE": {
      const i = uintField(schema, spec.field, index, spec.op);
      const field = schema.fields[i] as FieldDefinition;
      const a = encodeValue(field, spec.min, index);
      const b = encodeValue(field, spec.max, index);
      if (a > b) fail(`predicate ${index}: min must not exceed max`, { predicate: index });
      p = { op: Op[spec.op], i, j: 0, a, b };
      break;
    }
    case "RATIO_LTE":
    case "RATIO_GTE": {
      const i = uintField(schema, spec.field, index, spec.op);
      const j = uintField(schema, spec.per, index, spec.op);
      // field / per ≤ numerator / denominator  ⟺  denominator·field ≤ numerator·per
      p = {
        op: Op[spec.op],
        i,
        j,
        a: ratioTerm(spec.denominator, index),
        b: ratioTerm(spec.numerator, index),
      };
      if (p.a === 0n)
        fail(`predicate ${index}: ratio denominator must not be 0`, { predicate: index });
      break;
    }
    case "DISCLOSE": {
      const [i] = fieldOf(schema, spec.field, index);
      p = { op: Op.DISCLOSE, i, j: 0, a: 0n, b: 0n };
      break;
    }
    default:
      fail(`predicate ${index}: unknown operator "${(spec as { op: unknown }).op}"`, {
        predicate: index,
      });
  }
  checkPredicate(p, index);
  return p;
}

/** A compiled query: slot-level predicates padded to the circuit's K, and its hash. */
export interface CompiledQuery {
  readonly predicates: readonly Predicate[];
  readonly queryHash: bigint;
}

/** Compile a policy's predicates for a circuit with `k` predicate slots. */
export function compileQuery(
  schema: Schema,
  specs: readonly PredicateSpec[],
  k: number,
): CompiledQuery {
  // compilePredicate checks each predicate; only padding is left to do.
  const predicates = fillWithNoop(
    specs.map((s, index) => compilePredicate(schema, s, index)),
    k,
  );
  return { predicates, queryHash: hashPadded(predicates) };
}

/** Whether an encoded record satisfies a predicate: the circuit's verdict, in TypeScript. */
export function evaluatePredicate(p: Predicate, slots: readonly bigint[]): boolean {
  const x = slots[p.i] ?? 0n;
  const y = slots[p.j] ?? 0n;
  const inU64 = (v: bigint) => v >= 0n && v < UINT64_LIMIT;
  if (isComparison(p.op) && !(inU64(x) && inU64(p.a))) return false;
  switch (p.op) {
    case Op.NOOP:
    case Op.DISCLOSE:
      return true;
    case Op.EQ:
      return x === p.a;
    case Op.NE:
      return x !== p.a;
    case Op.LT:
      return x < p.a;
    case Op.LTE:
      return x <= p.a;
    case Op.GT:
      return x > p.a;
    case Op.GTE:
      return x >= p.a;
    case Op.BETWEEN:
      return p.a <= x && x <= p.b;
    case Op.OUTSIDE:
      return x < p.a || x > p.b;
    case Op.RATIO_LTE:
      return inU64(y) && p.a * x <= p.b * y;
    case Op.RATIO_GTE:
      return inU64(y) && p.a * x >= p.b * y;
  }
}
