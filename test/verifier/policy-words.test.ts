/**
 * Policies in words (`verifier/policy-words.ts`): every operator, on integer, date (absolute and
 * relative), boolean, code and text fields, and whole policies (subject, predicates, disclosures).
 */
import { describe, expect, it } from "vitest";
import { getSchema } from "../../core/schema.js";
import { parsePolicyDefinition } from "../../verifier/policy.js";
import {
  type AnyPredicate,
  joinWords,
  policyInWords,
  predicateInWords,
} from "../../verifier/policy-words.js";

const credit = getSchema("credit-report-v1");
const residency = getSchema("residency-v1");
const words = (p: AnyPredicate) => predicateInWords(credit, p);

describe("predicateInWords", () => {
  it("writes each comparison on an integer field", () => {
    const cases: [AnyPredicate["op"], string][] = [
      ["EQ", "creditScore equals 650"],
      ["NE", "creditScore does not equal 650"],
      ["LT", "creditScore below 650"],
      ["LTE", "creditScore at most 650"],
      ["GT", "creditScore above 650"],
      ["GTE", "creditScore at least 650"],
    ];
    for (const [op, expected] of cases) {
      expect(words({ op, field: "creditScore", value: 650 } as AnyPredicate)).toBe(expected);
    }
    // A big integer as a decimal string is written as it is.
    expect(words({ op: "LT", field: "totalDebt", value: "18446744073709551615" })).toBe(
      "totalDebt below 18446744073709551615",
    );
  });

  it("writes each comparison on an absolute date", () => {
    const cases: [AnyPredicate["op"], string][] = [
      ["EQ", "reportDate on 2026-01-31"],
      ["NE", "reportDate not on 2026-01-31"],
      ["LT", "reportDate before 2026-01-31"],
      ["LTE", "reportDate on or before 2026-01-31"],
      ["GT", "reportDate after 2026-01-31"],
      ["GTE", "reportDate on or after 2026-01-31"],
    ];
    for (const [op, expected] of cases) {
      expect(words({ op, field: "reportDate", value: "2026-01-31" } as AnyPredicate)).toBe(
        expected,
      );
    }
  });

  it("writes each comparison on a relative date, today included", () => {
    const rel = (op: string, daysAgo: number) =>
      words({ op, field: "reportDate", value: { daysAgo } } as unknown as AnyPredicate);
    expect(rel("GTE", 90)).toBe("reportDate within the last 90 days");
    expect(rel("GT", 90)).toBe("reportDate less than 90 days ago");
    expect(rel("LTE", 1)).toBe("reportDate at least 1 day ago");
    expect(rel("LT", 30)).toBe("reportDate more than 30 days ago");
    expect(rel("EQ", 7)).toBe("reportDate exactly 7 days ago");
    expect(rel("NE", 7)).toBe("reportDate not exactly 7 days ago");
    expect(rel("GTE", 0)).toBe("reportDate on or after today");
    expect(rel("LT", 0)).toBe("reportDate before today");
    expect(rel("EQ", 0)).toBe("reportDate is today");
    expect(rel("NE", 0)).toBe("reportDate is not today");
  });

  it("writes booleans, codes and text as such", () => {
    expect(predicateInWords(residency, { op: "EQ", field: "socialInsured", value: true })).toBe(
      "socialInsured is true",
    );
    expect(predicateInWords(residency, { op: "NE", field: "socialInsured", value: false })).toBe(
      "socialInsured is not false",
    );
    expect(words({ op: "EQ", field: "jurisdiction", value: "HK" })).toBe(
      'jurisdiction equals "HK"',
    );
    expect(words({ op: "NE", field: "bureau", value: "Bureau A" })).toBe(
      'bureau does not equal "Bureau A"',
    );
  });

  it("writes the range operators, inclusive and outside", () => {
    expect(words({ op: "BETWEEN", field: "creditScore", min: 600, max: 850 })).toBe(
      "creditScore between 600 and 850 (inclusive)",
    );
    expect(words({ op: "OUTSIDE", field: "creditScore", min: 300, max: 400 })).toBe(
      "creditScore below 300 or above 400",
    );
    expect(
      words({ op: "OUTSIDE", field: "reportDate", min: "2026-01-01", max: "2026-02-01" }),
    ).toBe("reportDate before 2026-01-01 or after 2026-02-01");
    expect(
      words({
        op: "BETWEEN",
        field: "reportDate",
        min: { daysAgo: 30 },
        max: { daysAgo: 0 },
      } as unknown as AnyPredicate),
    ).toBe("reportDate between 30 days ago and today (inclusive)");
    expect(words({ op: "OUTSIDE", field: "jurisdiction", min: "CN", max: "HK" })).toBe(
      'jurisdiction below "CN" or above "HK"',
    );
  });

  it("writes ratios as a percentage, a multiple or a fraction", () => {
    const ratio = (op: "RATIO_LTE" | "RATIO_GTE", numerator: number, denominator: number) =>
      words({ op, field: "totalDebt", per: "annualIncome", numerator, denominator });
    expect(ratio("RATIO_LTE", 40, 100)).toBe("totalDebt at most 40% of annualIncome");
    expect(ratio("RATIO_GTE", 3, 1)).toBe("totalDebt at least 3 times annualIncome");
    expect(ratio("RATIO_LTE", 3, 4)).toBe("totalDebt at most 3/4 of annualIncome");
  });

  it("writes disclosures, and fields of an unknown schema by name", () => {
    expect(words({ op: "DISCLOSE", field: "jurisdiction" })).toBe("discloses jurisdiction");
    expect(predicateInWords(undefined, { op: "GTE", field: "score", value: "7" })).toBe(
      "score at least 7",
    );
  });
});

describe("policyInWords", () => {
  it("writes the subject binding, the predicates and the disclosures in query order", () => {
    const definition = parsePolicyDefinition(
      {
        id: "pilot",
        schema: "credit-report-v1",
        issuers: ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"],
        subject: { field: "subjectId" },
        predicates: [
          { op: "GTE", field: "creditScore", value: 650 },
          {
            op: "RATIO_LTE",
            field: "totalDebt",
            per: "annualIncome",
            numerator: 40,
            denominator: 100,
          },
          { op: "EQ", field: "defaults24m", value: 0 },
          { op: "GTE", field: "reportDate", value: { daysAgo: 90 } },
        ],
        disclose: ["jurisdiction"],
      },
      8,
    );
    const phrases = policyInWords(definition, credit);
    expect(phrases).toEqual([
      "subjectId is the subject named by each challenge",
      "creditScore at least 650",
      "totalDebt at most 40% of annualIncome",
      "defaults24m equals 0",
      "reportDate within the last 90 days",
      "discloses jurisdiction",
    ]);
    expect(joinWords(phrases.slice(1, 4))).toBe(
      "creditScore at least 650, totalDebt at most 40% of annualIncome and defaults24m equals 0",
    );
    expect(joinWords(["one"])).toBe("one");
    expect(joinWords([])).toBe("no conditions");
  });
});
