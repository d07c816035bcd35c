/**
 * The `query_v2` circuit and core/query-v2.ts agree: for random sets (1 to 16 values drawn from
 * the record's own values and their neighbours, 0, 1, r − 1, 64-bit edges and wide field
 * elements), one or two IN/NIN predicates sharing the table, the operators of `query` now and
 * then, and the link on or off, the witness generator succeeds exactly when
 * `evaluatePredicateV2` says every predicate holds, and then its link output is `computeLink`'s.
 * The seed is fixed and printed, so that a failure can be replayed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { FIELD_ORDER } from "../../core/field.js";
import { Op, type Predicate } from "../../core/query.js";
import {
  buildQueryV2,
  computeLink,
  evaluatePredicateV2,
  type LinkChoice,
  OpV2,
  type SlotPredicateV2,
} from "../../core/query-v2.js";
import { CircuitHarness } from "../helpers/circuit.js";
import { edgeRandom } from "../helpers/edge-random.js";
import { commit, U64_MAX } from "../helpers/fixtures.js";
import { rawQueryV2Input, TEST_NONCE } from "../helpers/query-v2.js";

const SEED = 20261203;
const CASES = 200;

let h: CircuitHarness;
beforeAll(async () => {
  h = await CircuitHarness.load("query_v2");
});

const show = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));

describe("query_v2 circuit agrees with evaluatePredicateV2", () => {
  it(`on ${CASES} random sets over random records (seed ${SEED})`, async () => {
    const { int, u64, nearSlots } = edgeRandom(SEED);
    const wide = () => (BigInt(int(0, 2 ** 31 - 1)) << 200n) ^ u64();
    const { slots } = nearSlots(() => (int(0, 1) === 0 ? wide() : u64()));
    const mismatches: string[] = [];
    let holding = 0;
    let setCases = 0;
    for (let n = 0; n < CASES; n++) {
      const record = [...slots];
      // A fresh slot value per case in one of the record's slots, so that records differ.
      record[int(2, 15)] = int(0, 1) === 0 ? u64() : wide();
      const value = (i: number): bigint => {
        const x = record[i] as bigint;
        switch (int(0, 6)) {
          case 0:
            return x;
          case 1:
            return (x + 1n) % FIELD_ORDER;
          case 2:
            return x === 0n ? FIELD_ORDER - 1n : x - 1n;
          case 3:
            return [0n, 1n, FIELD_ORDER - 1n, U64_MAX][int(0, 3)] as bigint;
          case 4:
            return record[int(0, 15)] as bigint;
          case 5:
            return wide();
          default:
            return u64();
        }
      };
      const predicates: SlotPredicateV2[] = [];
      let budget = 16;
      for (let s = 0; s < int(1, 2); s++) {
        const i = int(0, 15);
        const size = int(1, budget);
        budget -= size;
        const values = Array.from({ length: size }, () => value(i));
        predicates.push({ op: int(0, 1) === 0 ? OpV2.IN : OpV2.NIN, i, values });
        if (budget === 0) break;
      }
      if (int(0, 3) === 0) {
        // An operator of `query` next to the sets: EQ / NE on a slot value or its neighbour.
        const i = int(0, 15);
        predicates.push({
          op: int(0, 1) === 0 ? Op.EQ : Op.NE,
          i,
          j: 0,
          a: value(i),
          b: 0n,
        } as Predicate);
      }
      const link: LinkChoice = int(0, 1) === 0 ? null : { index: int(0, 15) };
      const q = buildQueryV2(predicates, { link });
      setCases += predicates.filter((p) => p.op >= OpV2.IN).length;
      const expected = q.predicates.every((p) => evaluatePredicateV2(p, record, q.table));
      if (expected) holding++;
      const c = commit({ slots: record });
      const proved = await h
        .witness(rawQueryV2Input(c, q.predicates, q.table, q.link, q.queryHash))
        .then(
          (w) => h.read(w, "main.link") === computeLink(record, link, TEST_NONCE),
          () => false,
        );
      if (proved !== expected) {
        mismatches.push(
          `case ${n}: ${show({ predicates: q.predicates, table: q.table, link })} TS=${expected} circuit=${proved}`,
        );
      }
    }
    expect(mismatches).toEqual([]);
    expect(setCases).toBeGreaterThan(CASES);
    // Both outcomes were exercised, not just one.
    expect(holding).toBeGreaterThan(CASES / 5);
    expect(holding).toBeLessThan(CASES - CASES / 5);
  });
});
