/**
 * The circuit and TypeScript agree on every operator: for random records and predicates, with
 * values drawn from the edges (0, 1, 2^64 − 1, …) as often as from the middle, the witness
 * generator succeeds exactly when `evaluatePredicate` says the predicate holds. The seed is fixed
 * and printed, so that a failure can be replayed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { evaluatePredicate, Op, type Predicate } from "../../core/query.js";
import { CircuitHarness } from "../helpers/circuit.js";
import { edgeRandom } from "../helpers/edge-random.js";
import { commit, queryInput, U64_MAX } from "../helpers/fixtures.js";

const SEED = 20261122;
const CASES = 250;

let h: CircuitHarness;
beforeAll(async () => {
  h = await CircuitHarness.load("query");
});

describe("query circuit agrees with evaluatePredicate", () => {
  it(`on ${CASES} random predicates over random records (seed ${SEED})`, async () => {
    const { int, nearSlots } = edgeRandom(SEED);
    const mismatches: string[] = [];
    let holding = 0;
    for (let n = 0; n < CASES; n++) {
      const { base, slots } = nearSlots(() => 0n);
      const pick = () =>
        int(0, 3) === 0 ? base : (slots[int(2, 7)] as bigint) + BigInt(int(-1, 1));
      const inRange = (v: bigint) => (v < 0n ? 0n : v > U64_MAX ? U64_MAX : v);
      const op = int(1, 10) as Predicate["op"];
      const usesB =
        op === Op.BETWEEN || op === Op.OUTSIDE || op === Op.RATIO_LTE || op === Op.RATIO_GTE;
      const ratio = op === Op.RATIO_LTE || op === Op.RATIO_GTE;
      let a = inRange(ratio ? BigInt(int(1, 200)) : pick());
      let b = usesB ? inRange(ratio ? BigInt(int(0, 200)) : pick()) : 0n;
      if ((op === Op.BETWEEN || op === Op.OUTSIDE) && a > b) [a, b] = [b, a];
      const predicate: Predicate = { op, i: int(2, 7), j: ratio ? int(2, 7) : 0, a, b };
      const expected = evaluatePredicate(predicate, slots);
      if (expected) holding++;
      const proved = await h.witness(queryInput(commit({ slots }), [predicate])).then(
        () => true,
        () => false,
      );
      if (proved !== expected) {
        mismatches.push(
          `case ${n}: ${JSON.stringify(predicate, (_k, v) => (typeof v === "bigint" ? v.toString() : v))} TS=${expected} circuit=${proved}`,
        );
      }
    }
    expect(mismatches).toEqual([]);
    // Both outcomes were exercised, not just one.
    expect(holding).toBeGreaterThan(CASES / 5);
    expect(holding).toBeLessThan(CASES - CASES / 5);
  });
});
