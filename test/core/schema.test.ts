import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CrossproofError } from "../../core/errors.js";
import { FIELD_ORDER } from "../../core/field.js";
import {
  builtInSchemas,
  computeSchemaId,
  getSchema,
  parseSchema,
  SHIPPED_SCHEMA_FILES,
} from "../../core/schema.js";
import { SCHEMAS_DIR } from "../../infra/paths.js";

describe("schemas", () => {
  it("ships the pilot's two schemas, each within 16 slots", () => {
    // Every file of schemas/ is shipped (imported by core/schema.ts), and nothing else.
    const files = readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith(".json"));
    expect(Object.keys(SHIPPED_SCHEMA_FILES).sort()).toEqual(files.sort());
    expect([...builtInSchemas().keys()].sort()).toEqual([
      "corporate-credit-v1",
      "credit-report-v1",
    ]);
    for (const s of builtInSchemas().values()) expect(s.fields.length).toBeLessThanOrEqual(16);
  });

  it("gives a credit report the fields the pilot needs, the document fingerprint among them", () => {
    const s = getSchema("credit-report-v1");
    expect(s.fields.map((f) => f.name)).toEqual([
      "subjectId",
      "bureau",
      "creditScore",
      "totalDebt",
      "annualIncome",
      "defaults24m",
      "latePayments12m",
      "openAccounts",
      "reportDate",
      "currency",
      "jurisdiction",
      "documentFingerprint",
    ]);
    expect(s.fields[11]).toMatchObject({ type: "hash", encoding: "sha256" });
  });

  it("derives schemaId from the canonical JSON: key order does not matter, content does", () => {
    const s = getSchema("credit-report-v1");
    const reordered = JSON.parse(JSON.stringify(s.document, Object.keys(s.document).reverse()));
    expect(computeSchemaId({ ...reordered, fields: s.document.fields })).toBe(s.schemaId);
    expect(computeSchemaId({ ...s.document, title: `${s.document.title}.` })).not.toBe(s.schemaId);
    expect(s.schemaId).toBeLessThan(FIELD_ORDER);
    expect(s.schemaId).toBeLessThan(1n << 248n);
  });

  it("pins the published schemaIds (a change here is a new schema version)", () => {
    expect(
      Object.fromEntries([...builtInSchemas()].map(([id, s]) => [id, s.schemaId.toString()])),
    ).toMatchInlineSnapshot(`
      {
        "corporate-credit-v1": "329934610199671953605889035592557016365179435940802759350507211168373436033",
        "credit-report-v1": "389656829362915992083333151197501575790425114494627082498375585606840505943",
      }
    `);
  });

  it("refuses malformed schema documents with INVALID_SCHEMA", () => {
    const base = getSchema("credit-report-v1").document;
    const bad = [
      { ...base, fields: [] },
      { ...base, fields: [...base.fields, ...base.fields.slice(0, 5)] },
      { ...base, fields: [base.fields[0], base.fields[0]] },
      { ...base, fields: [{ name: "x", type: "uint", encoding: "text", description: "d" }] },
      { ...base, extra: 1 },
    ];
    for (const doc of bad) {
      expect(() => parseSchema(doc)).toThrow(CrossproofError);
      try {
        parseSchema(doc);
      } catch (err) {
        expect((err as CrossproofError).code).toBe("INVALID_SCHEMA");
      }
    }
  });

  it("says which schemas exist when asked for an unknown one", () => {
    expect(() => getSchema("nope")).toThrowError(/no schema "nope"/);
  });
});
