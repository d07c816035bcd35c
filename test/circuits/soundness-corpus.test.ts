/**
 * The soundness corpus of the `query` circuit: a table generated here, not hand-picked cases.
 * For every operator it puts each edge value — 0, 1, 2^64 − 1, 2^64, 2^64 + 720, 2^128, r − 1,
 * r − 720 (that is −720) — in each place the operator reads (the slot values x and y, the
 * thresholds a and b), with the edges together (both ends, off by one, products that wrap modulo
 * r or reach 2^128); each index edge in i and j; each packing collision in (op, i, j, b); the
 * unknown operator codes; and, in every place, values of r or more, which alias modulo r.
 *
 * 720 is the record's value next to the edges: 2^64 + 720 reads as 720 to a comparator that keeps
 * 64 bits, r − 720 as −720 to one that forgets the field wraps, so each would pass a naive circuit.
 *
 * The expectation of each case comes from {@link expectation}: BigInt arithmetic on the true
 * integers and the ranges predicate.circom promises, never the circuit. Where every value is in
 * range and the predicate holds, the honest witness satisfies every constraint. Everywhere else
 * (1) the honest witness generator refuses, and (2) forged witnesses still violate the constraint
 * system: the unchecked witness (all assertions off, as a cheating prover computes it) with the
 * comparator results a "holds" needs and the verdict recomputed from them; and, where the
 * operator decodes, the same with the predicate's gadgets computed on in-range substitute operands
 * under which it holds. Each forgery repairs the verdict constraint, and what still refuses it is
 * a constraint of predicate slot 0 itself. Values of r or more cannot be posed at all: the witness
 * generator reduces them, so their witness is the reduced value's, shown place by place.
 */
import { invert } from "@noble/curves/abstract/modular.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFastPoseidon, poseidonChain } from "../../core/poseidon.js";
import { Op, type OpCode, type OpName } from "../../core/query.js";
import { encodeRecord } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import type { CircuitInput } from "../../prover/query-input.js";
import { CircuitHarness } from "../helpers/circuit.js";
import {
  type Committed,
  commit,
  GOOD_REPORT,
  K,
  queryInput,
  R,
  R_MINUS_1,
  SLOT,
  U64_LIMIT,
  U64_MAX,
} from "../helpers/fixtures.js";
import {
  forgeVerdict,
  type PredicateResults,
  predicateSignal,
} from "../helpers/predicate-forgery.js";

// --- values ----------------------------------------------------------------------------------

const SMALL = 720n;
const U128 = 1n << 128n;
/** The inverse of 2 modulo r: 2 · HALF ≡ 1, so a product with it wraps to a small value. */
const HALF = (R + 1n) / 2n;

const NAMES = new Map<bigint, string>([
  [U64_MAX - 1n, "2^64 − 2"],
  [U64_MAX, "2^64 − 1"],
  [U64_LIMIT, "2^64"],
  [U64_LIMIT + SMALL, "2^64 + 720"],
  [U128, "2^128"],
  [HALF, "(r + 1)/2"],
  [R_MINUS_1, "r − 1"],
  [R, "r"],
]);

/** A value as a reader recognises it: `2^64 + 720`, `r − 15`, `720 + r`. */
function show(v: bigint): string {
  const named = NAMES.get(v);
  if (named !== undefined) return named;
  if (v > R) return `${show(v - R)} + r`;
  if (v > R - 1_000_000n) return `r − ${R - v}`;
  return v.toString();
}

/** The edges of a 64-bit place: both ends inside, just past 2^64, and −1, −720 in the field. */
const EDGES_64 = [0n, 1n, U64_MAX, U64_LIMIT, U64_LIMIT + SMALL, R_MINUS_1, R - SMALL];
/** Places that take products (the ratios) or any field element (EQ, NE, DISCLOSE) add 2^128. */
const EDGES_WIDE = [...EDGES_64, U128];

const fits = (v: bigint, bits: number) => v >= 0n && v < 1n << BigInt(bits);
const mod = (v: bigint) => ((v % R) + R) % R;

// --- the record and the predicate --------------------------------------------------------------

const SCHEMA = getSchema("credit-report-v1");
const GOOD_SLOTS = encodeRecord(SCHEMA, GOOD_REPORT);
/** x = slots[i] lives in the credit score slot, y = slots[j] in the annual income slot. */
const X_SLOT = BigInt(SLOT.creditScore);
const Y_SLOT = BigInt(SLOT.annualIncome);

/** The good report with x and y in their slots. */
function record(x: bigint, y: bigint): bigint[] {
  const slots = [...GOOD_SLOTS];
  slots[Number(X_SLOT)] = x;
  slots[Number(Y_SLOT)] = y;
  return slots;
}

/** One predicate slot as the circuit takes it, every part a bigint (out-of-range ones too). */
interface Params {
  readonly op: bigint;
  readonly i: bigint;
  readonly j: bigint;
  readonly a: bigint;
  readonly b: bigint;
}

/** The values one case gives the operator: x and y go into the record, a and b into the query. */
interface Operands {
  readonly x: bigint;
  readonly y: bigint;
  readonly a: bigint;
  readonly b: bigint;
}
type Place = keyof Operands;

const COMPARISONS = new Set<number>([
  Op.LT,
  Op.LTE,
  Op.GT,
  Op.GTE,
  Op.BETWEEN,
  Op.OUTSIDE,
  Op.RATIO_LTE,
  Op.RATIO_GTE,
]);
const RATIOS = new Set<number>([Op.RATIO_LTE, Op.RATIO_GTE]);
const RANGES = new Set<number>([Op.BETWEEN, Op.OUTSIDE]);

/** The predicate of `op` on operands, at the slots x and y live in; NOOP uses nothing. */
function paramsOf(op: OpCode, o: Operands): Params {
  if (op === Op.NOOP) return { op: 0n, i: 0n, j: 0n, a: 0n, b: 0n };
  const usesA = op !== Op.DISCLOSE;
  const usesB = RANGES.has(op) || RATIOS.has(op);
  return {
    op: BigInt(op),
    i: X_SLOT,
    j: RATIOS.has(op) ? Y_SLOT : 0n,
    a: usesA ? o.a : 0n,
    b: usesB ? o.b : 0n,
  };
}

// --- the oracle --------------------------------------------------------------------------------

type Expected = { readonly holds: true } | { readonly holds: false; readonly because: string };

const HOLDS: Expected = { holds: true };
const refused = (because: string): Expected => ({ holds: false, because });

/**
 * What the circuit must decide, from its specification (predicate.circom's header) and the true
 * integers: op in [0, 11], i and j in [0, 16), b below 2^64 for every operator; x and a below
 * 2^64 for a comparison, y too for a ratio; then the operator's meaning, with no modulus.
 */
function expectation(p: Params, slots: readonly bigint[]): Expected {
  if (!fits(p.op, 4) || p.op > 11n) return refused("the operator code is not one of 0–11");
  if (!fits(p.i, 4)) return refused("i is not a slot index (0–15)");
  if (!fits(p.j, 4)) return refused("j is not a slot index (0–15)");
  if (!fits(p.b, 64)) return refused("b is not a 64-bit value");
  const op = Number(p.op);
  const x = slots[Number(p.i)] as bigint;
  const y = slots[Number(p.j)] as bigint;
  const { a, b } = p;
  if (COMPARISONS.has(op)) {
    if (!fits(x, 64)) return refused("x is not a 64-bit value");
    if (!fits(a, 64)) return refused("a is not a 64-bit value");
    if (RATIOS.has(op) && !fits(y, 64)) return refused("y is not a 64-bit value");
  }
  let truth: boolean;
  switch (op) {
    case Op.EQ:
      truth = x === a;
      break;
    case Op.NE:
      truth = x !== a;
      break;
    case Op.LT:
      truth = x < a;
      break;
    case Op.LTE:
      truth = x <= a;
      break;
    case Op.GT:
      truth = x > a;
      break;
    case Op.GTE:
      truth = x >= a;
      break;
    case Op.BETWEEN:
      truth = a <= x && x <= b;
      break;
    case Op.OUTSIDE:
      truth = x < a || x > b;
      break;
    case Op.RATIO_LTE:
      truth = a * x <= b * y;
      break;
    case Op.RATIO_GTE:
      truth = a * x >= b * y;
      break;
    default: // NOOP, DISCLOSE
      truth = true;
  }
  return truth ? HOLDS : refused("it is false");
}

// --- the corpus ----------------------------------------------------------------------------------

/** A question to the circuit: this record, this predicate, this public queryHash. */
interface Case {
  readonly name: string;
  /** The operator the case is counted under (its policy's operator, or "unknown codes"). */
  readonly group: string;
  readonly slots: readonly bigint[];
  /** What the prover puts in predicate slot 0. */
  readonly posed: Params;
  /** The predicate the verifier's queryHash is of: the posed one, except for collisions. */
  readonly policy: Params;
  readonly expected: Expected;
}

/** A value of r or more, posed in one place of a case. */
interface Reduction {
  readonly name: string;
  readonly group: string;
  readonly base: Case;
  readonly place: Place | "op" | "i" | "j";
  readonly value: bigint;
}

interface OperatorSpec {
  readonly name: OpName;
  /** Operands under which the operator holds on the good report, mid-range. */
  readonly base: Operands;
  /** The places it range-checks (or, for EQ, NE, DISCLOSE, reads as any field element). */
  readonly places: readonly Place[];
  /** Operands under which it fails, for the collisions; none for NOOP and DISCLOSE. */
  readonly fails?: Operands;
}

const at = (o: Partial<Operands>): Operands => ({ x: SMALL, y: SMALL, a: 0n, b: 0n, ...o });

const OPERATORS: readonly OperatorSpec[] = [
  { name: "NOOP", base: at({}), places: [] },
  { name: "EQ", base: at({ a: 720n }), places: ["x", "a"], fails: at({ a: 721n }) },
  { name: "NE", base: at({ a: 721n }), places: ["x", "a"], fails: at({ a: 720n }) },
  { name: "LT", base: at({ a: 721n }), places: ["x", "a"], fails: at({ a: 720n }) },
  { name: "LTE", base: at({ a: 720n }), places: ["x", "a"], fails: at({ a: 719n }) },
  { name: "GT", base: at({ a: 719n }), places: ["x", "a"], fails: at({ a: 720n }) },
  { name: "GTE", base: at({ a: 720n }), places: ["x", "a"], fails: at({ a: 721n }) },
  {
    name: "BETWEEN",
    base: at({ a: 650n, b: 850n }),
    places: ["x", "a", "b"],
    fails: at({ a: 721n, b: 850n }),
  },
  {
    name: "OUTSIDE",
    base: at({ a: 650n, b: 700n }),
    places: ["x", "a", "b"],
    fails: at({ a: 650n, b: 850n }),
  },
  {
    name: "RATIO_LTE",
    base: at({ a: 1n, b: 1n }),
    places: ["x", "y", "a", "b"],
    fails: at({ a: 2n, b: 1n }),
  },
  {
    name: "RATIO_GTE",
    base: at({ a: 1n, b: 1n }),
    places: ["x", "y", "a", "b"],
    fails: at({ a: 1n, b: 2n }),
  },
  { name: "DISCLOSE", base: at({}), places: ["x"] },
];

function spec(name: OpName): OperatorSpec {
  return OPERATORS.find((s) => s.name === name) as OperatorSpec;
}

/** `x = 720, a = 721`: the operands an operator reads, in its own terms. */
function describeOperands(op: OpCode, o: Operands, note = ""): string {
  const shown: Place[] =
    op === Op.DISCLOSE
      ? ["x"]
      : RATIOS.has(op)
        ? ["a", "x", "b", "y"]
        : RANGES.has(op)
          ? ["a", "x", "b"]
          : ["x", "a"];
  return shown.map((place) => `${place} = ${show(o[place])}`).join(", ") + note;
}

/** How a reduction's plain case ends, in a few words. */
function outcome(expected: Expected): string {
  return expected.holds ? "holds" : `is refused (${expected.because})`;
}

function verdict(expected: Expected): string {
  return expected.holds ? "holds" : `is refused and cannot be forged: ${expected.because}`;
}

function valueCase(spec: OperatorSpec, o: Operands, note = ""): Case {
  const op = Op[spec.name];
  const slots = record(o.x, o.y);
  const posed = paramsOf(op, o);
  const expected = expectation(posed, slots);
  return {
    name: `${spec.name} with ${describeOperands(op, o, note)} ${verdict(expected)}`,
    group: spec.name,
    slots,
    posed,
    policy: posed,
    expected,
  };
}

/** A case with the predicate's parameters edited as given (indices, codes, b). */
function paramCase(group: string, label: string, slots: readonly bigint[], posed: Params): Case {
  const expected = expectation(posed, slots);
  return { name: `${label} ${verdict(expected)}`, group, slots, posed, policy: posed, expected };
}

/** Each edge value in each place of each operator, the others at the operator's base. */
function edgeCases(spec: OperatorSpec): Case[] {
  const op = Op[spec.name];
  const wide = RATIOS.has(op) || !COMPARISONS.has(op);
  return spec.places.flatMap((place) =>
    (wide ? EDGES_WIDE : EDGES_64)
      .filter((v) => v !== spec.base[place]) // the base case itself is already in the table
      .map((v) => valueCase(spec, { ...spec.base, [place]: v })),
  );
}

/** Operands at the edges together: equal at both ends of the range, off by one at the top. */
function boundaryCases(spec: OperatorSpec): Case[] {
  const op = Op[spec.name];
  const top = U64_MAX;
  let tuples: [Partial<Operands>, string?][];
  if (op === Op.EQ || op === Op.NE) {
    tuples = EDGES_WIDE.map((v) => [{ x: v, a: v }]);
  } else if (RANGES.has(op)) {
    tuples = [
      [{ x: 0n, a: 0n, b: 0n }],
      [{ x: top, a: top, b: top }],
      [{ x: top, a: 0n, b: top - 1n }],
      [{ x: 0n, a: 1n, b: top }],
    ];
  } else if (RATIOS.has(op)) {
    // Products at the top of 128 bits, and pairs whose product wraps modulo r or reaches 2^128.
    tuples = [
      [{ a: top, x: top, b: top, y: top }, "both products (2^64 − 1)^2"],
      [{ a: top, x: top, b: top, y: top - 1n }, "products one y apart at the top"],
      [{ a: top, x: top - 1n, b: top, y: top }, "products one x apart at the top"],
      [{ a: 2n, x: HALF, b: 1n, y: SMALL }, "a·x ≡ 1 mod r"],
      [{ a: R_MINUS_1, x: R_MINUS_1, b: 1n, y: SMALL }, "a·x ≡ 1 mod r"],
      [{ a: U64_LIMIT, x: U64_LIMIT, b: 1n, y: SMALL }, "a·x = 2^128"],
      [{ a: U128, x: U128, b: 1n, y: SMALL }, "a·x = 2^256, wrapped modulo r"],
      [{ a: 1n, x: SMALL, b: 2n, y: HALF }, "b·y ≡ 1 mod r"],
      [{ a: 1n, x: SMALL, b: U64_LIMIT, y: U64_LIMIT }, "b·y = 2^128"],
    ];
  } else if (COMPARISONS.has(op)) {
    tuples = [
      [{ x: 0n, a: 0n }],
      [{ x: top, a: top }],
      [{ x: top - 1n, a: top }],
      [{ x: top, a: top - 1n }],
    ];
  } else {
    return [];
  }
  return tuples.map(([t, note]) =>
    valueCase(spec, at({ ...spec.base, ...t }), note === undefined ? "" : ` (${note})`),
  );
}

/**
 * Index edges: 15 (the last slot), 16, 16 + the slot meant (its low 4 bits select that slot, and
 * its packing equals that of a neighbouring j or b), and r − k ≡ the slot meant (mod 16).
 */
function indexEdges(slot: bigint): bigint[] {
  return [15n, 16n, 16n + slot, R - ((R - slot) % 16n)];
}

function indexCases(spec: OperatorSpec): Case[] {
  const op = Op[spec.name];
  const posed = paramsOf(op, spec.base);
  const slots = record(spec.base.x, spec.base.y);
  const label = (what: string) => `${spec.name} (${describeOperands(op, spec.base)}) with ${what}`;
  if (op === Op.NOOP) {
    // NOOP holds on any record: only the ranges that make its packing injective matter.
    const edits: [string, Partial<Params>][] = [
      ["i = 15", { i: 15n }],
      ["i = 16", { i: 16n }],
      ["j = 15", { j: 15n }],
      ["j = 16", { j: 16n }],
      ["b = 2^64 − 1", { b: U64_MAX }],
      ["b = 2^64", { b: U64_LIMIT }],
      ["b = r − 1", { b: R_MINUS_1 }],
    ];
    return edits.map(([what, edit]) =>
      paramCase(spec.name, `NOOP with ${what}`, slots, { ...posed, ...edit }),
    );
  }
  const cases = indexEdges(X_SLOT).map((i) =>
    paramCase(spec.name, label(`i = ${show(i)}`), slots, { ...posed, i }),
  );
  if (RATIOS.has(op)) {
    for (const j of indexEdges(Y_SLOT)) {
      cases.push(paramCase(spec.name, label(`j = ${show(j)}`), slots, { ...posed, j }));
    }
  }
  return cases;
}

/** Unknown operator codes: 12–15, and codes whose low 4 bits are NOOP or DISCLOSE. */
function codeCases(): Case[] {
  const slots = record(SMALL, SMALL);
  return [12n, 13n, 14n, 15n, 16n, 16n + BigInt(Op.DISCLOSE), U64_LIMIT, R_MINUS_1].map((code) =>
    paramCase("unknown codes", `operator code ${show(code)} on x = 720`, slots, {
      op: code,
      i: X_SLOT,
      j: 0n,
      a: 0n,
      b: 0n,
    }),
  );
}

/** The circuit's packing, `op + 16·i + 256·j + 4096·b`, on bigints and modulo r. */
const pack = (p: Params) => mod(p.op + 16n * p.i + 256n * p.j + 4096n * p.b);
const INVERSE_4096 = invert(4096n, R);

/**
 * Packing collisions: for the verifier's policy (one that fails on the record), predicates that
 * pack to the same element with the same a, so that the public queryHash is the policy's. Each
 * needs a part out of its range; the circuit must refuse them all.
 */
function collisionCases(spec: OperatorSpec): Case[] {
  const op = Op[spec.name];
  if (op === Op.NOOP) return [];
  const operands = spec.fails ?? spec.base;
  const policy = paramsOf(op, operands);
  const slots = record(operands.x, operands.y);
  const cheats: [string, Params][] = [
    ["op + 16 and i − 1", { ...policy, op: policy.op + 16n, i: policy.i - 1n }],
    ["i + 16 and j − 1", { ...policy, i: policy.i + 16n, j: mod(policy.j - 1n) }],
    ["j + 16 and b − 1", { ...policy, j: policy.j + 16n, b: mod(policy.b - 1n) }],
    [
      "NOOP with b = packed / 4096",
      { ...policy, op: 0n, i: 0n, j: 0n, b: mod(pack(policy) * INVERSE_4096) },
    ],
  ];
  return cheats.map(([how, posed]) => {
    if (pack(posed) !== pack(policy)) throw new Error(`${how} does not collide`);
    const expected = expectation(posed, slots);
    return {
      name: `${spec.name} policy (${describeOperands(op, operands)}) posed as ${how} (the same queryHash) ${verdict(expected)}`,
      group: spec.name,
      slots,
      posed,
      policy,
      expected,
    };
  });
}

const OPERATOR_CASES = OPERATORS.flatMap((spec) => [
  valueCase(spec, spec.base),
  ...edgeCases(spec),
  ...boundaryCases(spec),
  ...indexCases(spec),
  ...collisionCases(spec),
]);
const CORPUS: readonly Case[] = [...OPERATOR_CASES, ...codeCases()];

/** The operands an operator reads. */
function readBy(op: number): Place[] {
  if (RATIOS.has(op)) return ["x", "a", "y", "b"];
  if (RANGES.has(op)) return ["x", "a", "b"];
  if (op === Op.NOOP || op === Op.DISCLOSE) return [];
  return ["x", "a"];
}

/**
 * For a refused case whose operator and indices decode: the same predicate with the operands
 * out of range, and if need be one or more others, replaced by in-range values under which it
 * holds. A forger runs the predicate's gadgets on these and splices them into its witness.
 */
function substituteFor(c: Case): Case | undefined {
  const p = c.posed;
  if (c.expected.holds || !fits(p.op, 4) || p.op > 11n || !fits(p.i, 4) || !fits(p.j, 4)) {
    return undefined;
  }
  const op = Number(p.op);
  const checked: Place[] = COMPARISONS.has(op) ? ["b", ...readBy(op)] : ["b"];
  const outside = checked.filter((place) => !fits(valueAt(c, place), 64));
  const read = readBy(op).filter((place) => !outside.includes(place));
  const extras: Place[][] = [[], ...read.map((place) => [place]), read];
  const candidates = (v: bigint) => [v % U64_LIMIT, 0n, 1n, SMALL, U64_MAX, mod(p.a)];
  const search = (places: readonly Place[], partial: Case): Case | undefined => {
    const [place, ...rest] = places;
    if (place === undefined) {
      return expectation(partial.posed, partial.slots).holds ? partial : undefined;
    }
    for (const v of candidates(valueAt(c, place))) {
      const found = search(rest, withValue(partial, place, v));
      if (found !== undefined) return found;
    }
    return undefined;
  };
  for (const extra of extras) {
    const found = search([...outside, ...extra], c);
    if (found !== undefined) return found;
  }
  return undefined;
}

const SUBSTITUTES = new Map(CORPUS.map((c) => [c, substituteFor(c)] as const));

/** Each place of each operator given its base value + r, and each kind of place given r. */
function reductions(): Reduction[] {
  const out: Reduction[] = [];
  for (const spec of OPERATORS) {
    const op = Op[spec.name];
    const base = valueCase(spec, spec.base);
    const places: Reduction["place"][] = ["op"];
    if (op !== Op.NOOP) places.push("x", "i");
    if (op !== Op.NOOP && op !== Op.DISCLOSE) places.push("a");
    if (RANGES.has(op) || RATIOS.has(op)) places.push("b");
    if (RATIOS.has(op)) places.push("y", "j");
    for (const place of places) {
      const value = valueAt(base, place) + R;
      out.push({
        name: `${spec.name}: ${place} = ${show(value)} is read as ${show(value - R)}, so its witness is that of the base case, which ${outcome(base.expected)}`,
        group: spec.name,
        base,
        place,
        value,
      });
    }
  }
  // r itself is 0, in every kind of place (on RATIO_LTE, which reads them all).
  const ratio = spec("RATIO_LTE");
  for (const place of ["op", "i", "j", "x", "y", "a", "b"] as const) {
    const zero = withValue(valueCase(ratio, ratio.base), place, 0n);
    out.push({
      name: `RATIO_LTE: ${place} = r is read as 0, so its witness is that of ${place} = 0, which ${outcome(expectation(zero.posed, zero.slots))}`,
      group: "RATIO_LTE",
      base: zero,
      place,
      value: R,
    });
  }
  return out;
}

function valueAt(c: Case, place: Reduction["place"]): bigint {
  if (place === "x") return c.slots[Number(c.posed.i)] as bigint;
  if (place === "y") return c.slots[Number(c.posed.j)] as bigint;
  return c.posed[place];
}

/** `c` with one place set to `value` (< r), policy and record following. */
function withValue(c: Case, place: Reduction["place"], value: bigint): Case {
  if (place === "x" || place === "y") {
    const slots = [...c.slots];
    slots[Number(place === "x" ? c.posed.i : c.posed.j)] = value;
    return { ...c, slots };
  }
  const posed = { ...c.posed, [place]: value };
  return { ...c, posed, policy: posed };
}

const REDUCTIONS = reductions();

// --- the circuit ---------------------------------------------------------------------------------

let h: CircuitHarness;
/** The constraint that says `ok = 1` for predicate slot 0 (the optimiser folds it into terms). */
let verdictConstraint: number;

const sig = (name: string) => predicateSignal(0, name);

const committed = new Map<string, Committed>();
function committedFor(slots: readonly bigint[]): Committed {
  const key = slots.join(",");
  let c = committed.get(key);
  if (c === undefined) {
    c = commit({ slots: [...slots] });
    committed.set(key, c);
  }
  return c;
}

/** The circuit input of a case: predicate slot 0 as posed, NOOP elsewhere, the policy's hash. */
function inputOf(c: Case, alias?: { place: Reduction["place"]; value: bigint }): CircuitInput {
  const base = queryInput(committedFor(c.slots), []);
  const row = [c.posed.op, c.posed.i, c.posed.j, c.posed.a, c.posed.b].map(String);
  const slots = [...(base.slots as string[])];
  if (alias !== undefined) {
    const column = { op: 0, i: 1, j: 2, a: 3, b: 4 } as const;
    if (alias.place === "x") slots[Number(c.posed.i)] = String(alias.value);
    else if (alias.place === "y") slots[Number(c.posed.j)] = String(alias.value);
    else row[column[alias.place]] = String(alias.value);
  }
  const predicates = (base.predicates as string[][]).map((r, k) => (k === 0 ? row : r));
  const elements = [pack(c.policy), mod(c.policy.a), ...new Array<bigint>(2 * K - 2).fill(0n)];
  return { ...base, slots, predicates, queryHash: poseidonChain(elements).toString() };
}

/**
 * The results under which each operator's verdict says "holds". BETWEEN also holds with both at
 * 2, since (1 − 2)·(1 − 2) = 1: a forger is not bound to booleans.
 */
const HOLDING: Record<OpCode, readonly PredicateResults[]> = {
  [Op.NOOP]: [{}],
  [Op.EQ]: [{ eq: 1n }],
  [Op.NE]: [{ eq: 0n }],
  [Op.LT]: [{ lt1: 1n }],
  [Op.LTE]: [{ lt1: 0n }],
  [Op.GT]: [{ lt1: 1n }],
  [Op.GTE]: [{ lt1: 0n }],
  [Op.BETWEEN]: [
    { lt1: 0n, lt2: 0n },
    { lt1: 2n, lt2: 2n },
  ],
  [Op.OUTSIDE]: [{ lt1: 1n }, { lt2: 1n }],
  [Op.RATIO_LTE]: [{ lt2: 0n }],
  [Op.RATIO_GTE]: [{ lt2: 0n }],
  [Op.DISCLOSE]: [{}],
};
const CODES = Object.values(Op);

/**
 * Every forgery of a refused case: the results that make the operator the witness decodes hold;
 * where it decodes none (codes 12–15), posing as NOOP and as DISCLOSE, the two that always hold.
 */
function forgeries(w: readonly bigint[]): bigint[][] {
  const decoded = CODES.find((op) => h.read(w, sig(`is[${op}]`)) === 1n);
  if (decoded === undefined) {
    return [forgeVerdict(h, w, 0, {}, Op.NOOP), forgeVerdict(h, w, 0, {}, Op.DISCLOSE)];
  }
  return HOLDING[decoded].map((r) => forgeVerdict(h, w, 0, r));
}

beforeAll(async () => {
  await loadFastPoseidon();
  h = await CircuitHarness.load("query");
  // An in-range false predicate violates exactly one constraint: the verdict's.
  const eq = spec("EQ");
  const violated = h.violated(
    await h.uncheckedWitness(inputOf(valueCase(eq, eq.fails as Operands))),
  );
  expect(violated).toHaveLength(1);
  verdictConstraint = violated[0] as number;
});

/**
 * The substitute forgery: every signal of predicate slot 0 taken from the honest witness of the
 * substitute, except the selected slot values x and y (and the multiplexers that select them),
 * which stay those of the real record. What is left to object is the link between the real
 * operands and the gadgets: the gating `xc = x·isComparison`, `IsZero(x − a)`, the range checks.
 */
function splice(w: readonly bigint[], substitute: readonly bigint[]): bigint[] {
  const edits: Record<string, bigint> = {};
  for (const name of h.symbols.keys()) {
    if (!name.startsWith(sig("")) || /Select16|\.[xy]$/.test(name)) continue;
    edits[name] = h.read(substitute, name);
  }
  return h.forge(w, edits);
}

/** Signals of predicate slot 0: its gadgets, and its parameters as main's inputs. */
const SLOT_0 = /^main\.predicates?\[0\]/;

/** The violated constraints that read no signal of predicate slot 0. */
function outsideSlot0(violated: readonly number[]): number[] {
  return violated.filter((k) => !h.constraintSignals(k).some((n) => SLOT_0.test(n)));
}

/**
 * The forged witness is refused, though not at the verdict, which it did repair, and only by
 * constraints of predicate slot 0: the rest of the witness is the honest computation.
 */
function expectRefusedAfterRepair(forged: readonly bigint[]): void {
  const violated = h.violated(forged);
  expect(violated).not.toContain(verdictConstraint);
  expect(violated.length).toBeGreaterThan(0);
  expect(outsideSlot0(violated)).toEqual([]);
}

const plainWitnesses = new Map<string, Promise<bigint[]>>();
/** The unchecked witness of a case, computed once for all the reductions that share it. */
function plainWitness(c: Case): Promise<bigint[]> {
  const key = [...c.slots, ...Object.values(c.posed), ...Object.values(c.policy)].join(",");
  let w = plainWitnesses.get(key);
  if (w === undefined) {
    w = h.uncheckedWitness(inputOf(c));
    plainWitnesses.set(key, w);
  }
  return w;
}

// --- the tests -----------------------------------------------------------------------------------

const GROUPS = [...OPERATORS.map((s) => s.name as string), "unknown codes"];

/** Cases and reductions of a group (an operator, or the unknown codes). */
function countOf(group: string): number {
  return (
    CORPUS.filter((c) => c.group === group).length +
    REDUCTIONS.filter((r) => r.group === group).length
  );
}

/**
 * The size of the corpus, pinned so that it may grow but never shrink unnoticed: 379 cases and 59
 * reductions as generated on 2026-12-01 (the figures for docs/reliability.md).
 */
const PINNED: Readonly<Record<string, number>> = {
  NOOP: 9,
  EQ: 37,
  NE: 37,
  LT: 31,
  LTE: 31,
  GT: 31,
  GTE: 31,
  BETWEEN: 39,
  OUTSIDE: 39,
  RATIO_LTE: 66,
  RATIO_GTE: 59,
  DISCLOSE: 20,
  "unknown codes": 8,
};
const PINNED_TOTAL = 438;

describe("soundness corpus: the table and the harness", () => {
  it("keeps at least its pinned size, in total and for each operator", () => {
    expect(CORPUS.length + REDUCTIONS.length).toBeGreaterThanOrEqual(PINNED_TOTAL);
    for (const group of GROUPS) expect(countOf(group)).toBeGreaterThanOrEqual(PINNED[group] ?? 0);
  });

  it("poses every value below r (larger ones are the reductions), and names each case once", () => {
    for (const c of CORPUS) {
      for (const v of [...c.slots, ...Object.values(c.posed)]) expect(v).toBeLessThan(R);
    }
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });

  it("computes a true statement's unchecked witness exactly as the honest one", async () => {
    const input = inputOf(valueCase(spec("RATIO_LTE"), spec("RATIO_LTE").base));
    expect(firstDifference(await h.uncheckedWitness(input), await h.witness(input))).toBe(-1);
  });

  it("computes a refused statement's unchecked witness in full, past its first failed check", async () => {
    // x = 2^64 fails predicate slot 0's range check before slots 1–7 and queryHash are computed:
    // a witness program that stopped there would leave them 0 and violate their constraints.
    const input = inputOf(valueCase(spec("LT"), at({ x: U64_LIMIT, a: 721n })));
    const violated = h.violated(await h.uncheckedWitness(input));
    expect(violated.length).toBeGreaterThan(0);
    expect(outsideSlot0(violated)).toEqual([]);
  });

  it("checks constraints as snarkjs does, on an honest and a forged witness", async () => {
    const w = await h.witness(inputOf(valueCase(spec("DISCLOSE"), spec("DISCLOSE").base)));
    const lie = h.forge(w, { "main.disclosed[0]": 721n });
    expect([h.violated(w).length, await h.satisfies(w)]).toEqual([0, true]);
    expect([h.violated(lie).length > 0, await h.satisfies(lie)]).toEqual([true, false]);
  });
});

describe.each(GROUPS)("soundness corpus: %s", (group) => {
  const cases = CORPUS.filter((c) => c.group === group).map((c) => [c.name, c] as const);
  it.each(cases)("%s", async (_name, c) => {
    const input = inputOf(c);
    if (c.expected.holds) {
      const w = await h.witness(input);
      expect(h.violated(w)).toEqual([]);
      const disclosed = c.posed.op === BigInt(Op.DISCLOSE) ? valueAt(c, "x") : 0n;
      expect(h.read(w, "main.disclosed[0]")).toBe(disclosed);
      if (c.posed.op === BigInt(Op.DISCLOSE)) {
        const lie = h.forge(w, { "main.disclosed[0]": mod(disclosed + 1n) });
        expect(h.violated(lie).length).toBeGreaterThan(0);
      }
      return;
    }
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    const unchecked = await h.uncheckedWitness(input);
    for (const forged of forgeries(unchecked)) expectRefusedAfterRepair(forged);
    const substitute = SUBSTITUTES.get(c);
    if (substitute !== undefined) {
      expectRefusedAfterRepair(splice(unchecked, await h.witness(inputOf(substitute))));
    }
  });

  const reduced = REDUCTIONS.filter((r) => r.group === group).map((r) => [r.name, r] as const);
  if (reduced.length > 0) {
    it.each(reduced)("%s", async (_name, r) => {
      const aliased = await h.uncheckedWitness(inputOf(r.base, { place: r.place, value: r.value }));
      expect(firstDifference(aliased, await plainWitness(r.base))).toBe(-1);
    });
  }
});

afterAll(() => {
  const holding = CORPUS.filter((c) => c.expected.holds).length;
  const substituted = [...SUBSTITUTES.values()].filter((c) => c !== undefined).length;
  console.log(
    `soundness corpus: ${CORPUS.length + REDUCTIONS.length} cases (${holding} hold, ` +
      `${CORPUS.length - holding} refused and unforgeable, ${substituted} of them also against ` +
      `substituted operands, ${REDUCTIONS.length} reduced modulo r); ` +
      GROUPS.map((g) => `${g} ${countOf(g)}`).join(", "),
  );
});

function firstDifference(a: readonly bigint[], b: readonly bigint[]): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return a.findIndex((v, n) => v !== b[n]);
}
