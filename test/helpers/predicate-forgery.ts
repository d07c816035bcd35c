/**
 * Forging one predicate slot of a `query` witness, as a cheating prover would: choose the
 * results of its comparators (or the operator it poses as), then recompute every signal
 * downstream of them so that the verdict `ok = 1` holds. Only the gadgets that computed the
 * edited signals can still object; a test then shows that one of them does.
 */
import { FIELD_ORDER } from "../../core/field.js";
import { Op, type OpCode } from "../../core/query.js";
import type { CircuitHarness } from "./circuit.js";

/** The name of signal `name` of predicate slot `k`. */
export function predicateSignal(k: number, name: string): string {
  return `main.predicate[${k}].${name}`;
}

/**
 * Results a prover may set: `lt1` from the 64-bit comparator (x < a; a < x for LTE and GT),
 * `lt2` from the 128-bit one (b < x; b·y < a·x for RATIO_LTE; a·x < b·y for RATIO_GTE), and
 * `eq` (x = a). Any field element, not only 0 and 1.
 */
export interface PredicateResults {
  readonly lt1?: bigint;
  readonly lt2?: bigint;
  readonly eq?: bigint;
}

const OP_CODES = Object.values(Op);
const mod = (v: bigint) => ((v % FIELD_ORDER) + FIELD_ORDER) % FIELD_ORDER;

/**
 * A copy of `w` with predicate slot `k` forged: the given results (the others as computed), and
 * with `pose` the one-hot operator selector of that operator in place of the decoded one; then
 * inRange, the terms and the disclosed value recomputed from them.
 */
export function forgeVerdict(
  h: CircuitHarness,
  w: readonly bigint[],
  k: number,
  results: PredicateResults,
  pose?: OpCode,
): bigint[] {
  const read = (name: string) => h.read(w, predicateSignal(k, name));
  const is = (op: OpCode) => (pose === undefined ? read(`is[${op}]`) : BigInt(op === pose));
  const lt1 = results.lt1 ?? read("lt1");
  const lt2 = results.lt2 ?? read("lt2");
  const eq = results.eq ?? read("eq");
  const inRange = mod((1n - lt1) * (1n - lt2));
  const values: Record<string, bigint> = {
    lt1,
    lt2,
    eq,
    inRange,
    "terms[0]": is(Op.EQ) * eq,
    "terms[1]": mod(is(Op.NE) * (1n - eq)),
    "terms[2]": mod((is(Op.LT) + is(Op.GT)) * lt1),
    "terms[3]": mod((is(Op.LTE) + is(Op.GTE)) * (1n - lt1)),
    "terms[4]": is(Op.BETWEEN) * inRange,
    "terms[5]": mod(is(Op.OUTSIDE) * (1n - inRange)),
    // With --O2, terms[6] and ok are folded into the verdict constraint; kept here if present.
    "terms[6]": mod((is(Op.RATIO_LTE) + is(Op.RATIO_GTE)) * (1n - lt2)),
    ok: 1n,
  };
  if (pose !== undefined) for (const op of OP_CODES) values[`is[${op}]`] = is(op);
  const edits: Record<string, bigint> = {};
  for (const [name, v] of Object.entries(values)) {
    if (h.has(predicateSignal(k, name))) edits[predicateSignal(k, name)] = v;
  }
  edits[`main.disclosed[${k}]`] = mod(read("x") * is(Op.DISCLOSE));
  return h.forge(w, edits);
}
