import { describe, expect, it } from "vitest";
import { textToField } from "../../core/field.js";
import { poseidon } from "../../core/poseidon.js";
import {
  checkPredicate,
  compileQuery,
  computeQueryHash,
  evaluatePredicate,
  NOOP_PREDICATE,
  Op,
  type PredicateSpec,
  packPredicate,
} from "../../core/query.js";
import { encodeRecord } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import { GOOD_REPORT, SLOT } from "../helpers/fixtures.js";

const schema = getSchema("credit-report-v1");
const slots = encodeRecord(schema, GOOD_REPORT);

function invalid(specs: PredicateSpec[], k = 8): string {
  try {
    compileQuery(schema, specs, k);
  } catch (err) {
    expect((err as { code: string }).code).toBe("INVALID_QUERY");
    return (err as Error).message;
  }
  throw new Error("the query was accepted");
}

describe("queries", () => {
  it("packs (op, i, j, b) injectively into op + 16 i + 256 j + 4096 b", () => {
    expect(packPredicate({ op: Op.RATIO_LTE, i: 3, j: 4, a: 100n, b: 40n })).toBe(
      9n + 16n * 3n + 256n * 4n + 4096n * 40n,
    );
    expect(
      packPredicate({ op: 15 as never, i: 15, j: 15, a: 0n, b: (1n << 64n) - 1n }),
    ).toBeLessThan(1n << 76n);
  });

  it("hashes K predicates as Poseidon over [packed, a] pairs, padded with NOOP", () => {
    const p = { op: Op.GTE, i: SLOT.creditScore, j: 0, a: 650n, b: 0n };
    const expected = poseidon([packPredicate(p), 650n, ...new Array(14).fill(0n)]);
    expect(computeQueryHash([p], 8)).toBe(expected);
    expect(computeQueryHash([p, NOOP_PREDICATE], 8)).toBe(expected);
    expect(computeQueryHash([p], 1)).toBe(poseidon([packPredicate(p), 650n]));
  });

  it("compiles the pilot's policy by field name, encoding values by the field's rule", () => {
    const { predicates } = compileQuery(
      schema,
      [
        { op: "EQ", field: "subjectId", value: "HK-A123456(7)" },
        { op: "GTE", field: "creditScore", value: 650 },
        {
          op: "RATIO_LTE",
          field: "totalDebt",
          per: "annualIncome",
          numerator: 40,
          denominator: 100,
        },
        { op: "EQ", field: "defaults24m", value: 0 },
        { op: "GTE", field: "reportDate", value: "2026-08-23" },
        { op: "BETWEEN", field: "openAccounts", min: 1, max: 20 },
        { op: "DISCLOSE", field: "jurisdiction" },
      ],
      8,
    );
    expect(predicates).toHaveLength(8);
    expect(predicates[0]).toEqual({
      op: Op.EQ,
      i: 0,
      j: 0,
      a: textToField("HK-A123456(7)"),
      b: 0n,
    });
    expect(predicates[2]).toEqual({ op: Op.RATIO_LTE, i: 3, j: 4, a: 100n, b: 40n });
    expect(predicates[4]).toEqual({ op: Op.GTE, i: 8, j: 0, a: 20_688n, b: 0n });
    expect(predicates[7]).toEqual(NOOP_PREDICATE);
    expect(predicates.every((p) => evaluatePredicate(p, slots))).toBe(true);
  });

  it("refuses what the circuit could not prove, naming the predicate", () => {
    expect(invalid([{ op: "GTE", field: "subjectId", value: 1 }])).toMatch(
      /predicate 0: GTE compares integers/,
    );
    expect(invalid([{ op: "GTE", field: "salary", value: 1 }])).toMatch(/no field "salary"/);
    expect(invalid([{ op: "GTE", field: "creditScore", value: "18446744073709551616" }])).toMatch(
      /2\^64/,
    );
    expect(invalid([{ op: "BETWEEN", field: "creditScore", min: 700, max: 600 }])).toMatch(
      /min must not exceed max/,
    );
    expect(
      invalid([
        { op: "RATIO_LTE", field: "totalDebt", per: "annualIncome", numerator: 1, denominator: 0 },
      ]),
    ).toMatch(/denominator/);
    expect(invalid([{ op: "LIKE", field: "creditScore" } as unknown as PredicateSpec])).toMatch(
      /unknown operator/,
    );
    expect(invalid(new Array(9).fill({ op: "DISCLOSE", field: "creditScore" }))).toMatch(
      /at most 8/,
    );
    expect(invalid([{ op: "GTE", field: "reportDate", value: "yesterday" }])).toMatch(/reportDate/);
  });

  it("refuses slot-level predicates outside the circuit's ranges", () => {
    const bad = [
      { op: 12, i: 0, j: 0, a: 0n, b: 0n },
      { op: Op.EQ, i: 16, j: 0, a: 0n, b: 0n },
      { op: Op.LT, i: 2, j: 0, a: 1n << 64n, b: 0n },
      { op: Op.BETWEEN, i: 2, j: 0, a: 0n, b: 1n << 64n },
      { op: Op.EQ, i: 2, j: 0, a: 1n, b: 5n },
      { op: Op.NOOP, i: 3, j: 0, a: 0n, b: 0n },
    ];
    for (const p of bad) expect(() => checkPredicate(p as never)).toThrowError(/predicate 0/);
  });

  it("evaluates each operator as the circuit does", () => {
    const score = { i: SLOT.creditScore, j: 0, b: 0n };
    const cases: [number, bigint, bigint, boolean][] = [
      [Op.LT, 721n, 0n, true],
      [Op.LT, 720n, 0n, false],
      [Op.LTE, 720n, 0n, true],
      [Op.GT, 719n, 0n, true],
      [Op.GT, 720n, 0n, false],
      [Op.GTE, 720n, 0n, true],
      [Op.BETWEEN, 720n, 720n, true],
      [Op.BETWEEN, 721n, 800n, false],
      [Op.OUTSIDE, 721n, 800n, true],
      [Op.OUTSIDE, 700n, 800n, false],
      [Op.NE, 720n, 0n, false],
    ];
    for (const [op, a, b, expected] of cases) {
      expect(evaluatePredicate({ ...score, op: op as never, a, b }, slots)).toBe(expected);
    }
  });
});
