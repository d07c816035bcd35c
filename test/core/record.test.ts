import { describe, expect, it } from "vitest";
import { RecordValidationError } from "../../core/errors.js";
import { digestToField, hashBytesToField, textToField } from "../../core/field.js";
import { decodeDate, encodeRecord, type RecordInput } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import { GOOD_REPORT } from "../helpers/fixtures.js";

const schema = getSchema("credit-report-v1");

/** The error code and field of a refused record. */
function refusal(record: RecordInput): { code: string; field: string } {
  try {
    encodeRecord(schema, record);
  } catch (err) {
    if (err instanceof RecordValidationError) return { code: err.code, field: err.field };
    throw err;
  }
  throw new Error("the record was accepted");
}

describe("record encoding", () => {
  it("encodes every field by its schema's rule into 16 slots", () => {
    const slots = encodeRecord(schema, GOOD_REPORT);
    expect(slots).toHaveLength(16);
    expect(slots[0]).toBe(textToField("HK-A123456(7)"));
    expect(slots[2]).toBe(720n);
    expect(slots[3]).toBe(15_000_000n);
    expect(slots[8]).toBe(20_758n); // 2026-11-01
    expect(decodeDate(20_758n)).toBe("2026-11-01");
    expect(slots[9]).toBe(344n); // HKD
    expect(slots[10]).toBe(344n); // HK
    expect(slots[11]).toBe(digestToField(GOOD_REPORT.documentFingerprint as string));
    expect(slots.slice(12)).toEqual([0n, 0n, 0n, 0n]);
  });

  it("hashes strings by one documented rule: NFC, UTF-8, sha256, top 248 bits", () => {
    // "é" composed and decomposed are the same text.
    expect(textToField("caf\u00e9")).toBe(textToField("cafe\u0301"));
    expect(textToField("abc")).toBe(
      BigInt("0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") >> 8n,
    );
    expect(hashBytesToField(new Uint8Array())).toBeLessThan(1n << 248n);
  });

  it("accepts the edges of a uint: 0 and 2^64 - 1 (as a decimal string)", () => {
    const slots = encodeRecord(schema, {
      ...GOOD_REPORT,
      totalDebt: 0,
      annualIncome: "18446744073709551615",
    });
    expect(slots[3]).toBe(0n);
    expect(slots[4]).toBe((1n << 64n) - 1n);
  });

  it.each([
    ["an unknown field", { ...GOOD_REPORT, salary: 1 }, "UNKNOWN_FIELD", "salary"],
    ["a missing field", { ...GOOD_REPORT, creditScore: undefined }, "MISSING_FIELD", "creditScore"],
    [
      "a string where an integer belongs",
      { ...GOOD_REPORT, creditScore: "high" },
      "WRONG_TYPE",
      "creditScore",
    ],
    ["a fraction", { ...GOOD_REPORT, creditScore: 700.5 }, "WRONG_TYPE", "creditScore"],
    ["null", { ...GOOD_REPORT, openAccounts: null }, "WRONG_TYPE", "openAccounts"],
    ["a negative integer", { ...GOOD_REPORT, totalDebt: -1 }, "OUT_OF_RANGE", "totalDebt"],
    ["a negative decimal string", { ...GOOD_REPORT, totalDebt: "-5" }, "OUT_OF_RANGE", "totalDebt"],
    ["2^64", { ...GOOD_REPORT, totalDebt: "18446744073709551616" }, "OUT_OF_RANGE", "totalDebt"],
    [
      "r, the field order",
      {
        ...GOOD_REPORT,
        totalDebt: "21888242871839275222246405745257275088548364400416034343698204186575808495617",
      },
      "OUT_OF_RANGE",
      "totalDebt",
    ],
    ["an unsafe JSON number", { ...GOOD_REPORT, totalDebt: 2 ** 60 }, "WRONG_TYPE", "totalDebt"],
    [
      "a date that does not exist",
      { ...GOOD_REPORT, reportDate: "2026-02-30" },
      "INVALID_DATE",
      "reportDate",
    ],
    [
      "a date in another format",
      { ...GOOD_REPORT, reportDate: "01/11/2026" },
      "INVALID_DATE",
      "reportDate",
    ],
    [
      "a date before 1970",
      { ...GOOD_REPORT, reportDate: "1969-12-31" },
      "INVALID_DATE",
      "reportDate",
    ],
    ["a date as a number", { ...GOOD_REPORT, reportDate: 20393 }, "WRONG_TYPE", "reportDate"],
    ["an unknown code", { ...GOOD_REPORT, currency: "EUR" }, "INVALID_CODE", "currency"],
    [
      "a prototype key as a code",
      { ...GOOD_REPORT, currency: "toString" },
      "INVALID_CODE",
      "currency",
    ],
    [
      "a short digest",
      { ...GOOD_REPORT, documentFingerprint: "abc" },
      "INVALID_DIGEST",
      "documentFingerprint",
    ],
    ["an empty identifier", { ...GOOD_REPORT, subjectId: "" }, "WRONG_TYPE", "subjectId"],
    ["a number as an identifier", { ...GOOD_REPORT, subjectId: 42 }, "WRONG_TYPE", "subjectId"],
  ])("refuses %s with a stable code naming the field", (_what, record, code, field) => {
    expect(refusal(record as RecordInput)).toEqual({ code, field });
  });

  it("refuses a record that is not an object", () => {
    expect(() => encodeRecord(schema, [] as unknown as RecordInput)).toThrowError(
      RecordValidationError,
    );
  });

  it("writes error messages a person can act on", () => {
    expect(() =>
      encodeRecord(schema, { ...GOOD_REPORT, reportDate: "2026-02-30" }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[RecordValidationError: reportDate: 2026-02-30 is not a calendar date]`,
    );
    expect(() =>
      encodeRecord(schema, { ...GOOD_REPORT, currency: "EUR" }),
    ).toThrowErrorMatchingInlineSnapshot(`[RecordValidationError: currency: unknown code "EUR"]`);
  });
});
