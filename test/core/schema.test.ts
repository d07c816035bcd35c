import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CrossproofError } from "../../core/errors.js";
import { FIELD_ORDER } from "../../core/field.js";
import {
  allSchemas,
  builtInSchemas,
  computeSchemaId,
  type FieldDefinition,
  getSchema,
  parseSchema,
  registerSchema,
  SHIPPED_SCHEMA_FILES,
} from "../../core/schema.js";
import { SCHEMAS_DIR } from "../../infra/paths.js";
import { caught } from "../helpers/errors.js";

describe("schemas", () => {
  it("ships the pilot's four schemas, each within 16 slots", () => {
    // Every file of schemas/ is shipped (imported by core/schema.ts), and nothing else.
    const files = readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith(".json"));
    expect(Object.keys(SHIPPED_SCHEMA_FILES).sort()).toEqual(files.sort());
    expect([...builtInSchemas().keys()].sort()).toEqual([
      "corporate-credit-v1",
      "credit-report-v1",
      "medical-claim-v1",
      "residency-v1",
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
        "medical-claim-v1": "375978122283431174269304203725261884705208234583504664834472974185926960028",
        "residency-v1": "62163628590580506695642742171568426666436876835666279531596441854410542404",
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

  it("names the offending field of a malformed schema in the message and the details", async () => {
    const base = getSchema("residency-v1").document;
    const field = (i: number) => base.fields[i] as FieldDefinition;
    const seventeen = Array.from({ length: 17 }, (_, i) => ({ ...field(0), name: `f${i}` }));
    const cases: [string, unknown, string, RegExp][] = [
      ["a bad id", { ...base, id: "Residency_V1" }, "id", /lower-case letters/],
      ["an id too long", { ...base, id: "r".repeat(65) }, "id", /at most 64/],
      [
        "duplicate field names",
        { ...base, fields: [field(0), field(1), { ...field(2), name: "subjectId" }] },
        "fields.2.name",
        /duplicate field name "subjectId"/,
      ],
      ["more than 16 fields", { ...base, fields: seventeen }, "fields", /at most 16 fields/],
      [
        "an unknown encoding",
        { ...base, fields: [field(0), { ...field(4), encoding: "timestamp" }] },
        "fields.1.encoding",
        /./,
      ],
      [
        "an encoding of the wrong type",
        { ...base, fields: [{ ...field(0), encoding: "integer" }] },
        "fields.0.type",
        /./,
      ],
      [
        "an empty code table",
        { ...base, fields: [field(0), { ...field(2), codes: {} }] },
        "fields.1.codes",
        /at least one code/,
      ],
      [
        "a negative code",
        { ...base, fields: [field(0), { ...field(2), codes: { HK: -1 } }] },
        "fields.1.codes.HK",
        /./,
      ],
      [
        "a bad field name",
        { ...base, fields: [{ ...field(0), name: "Subject id" }] },
        "fields.0.name",
        /camelCase/,
      ],
      [
        "no description",
        { ...base, fields: [{ ...field(0), description: "" }] },
        "fields.0.description",
        /./,
      ],
      ["no fields", { ...base, fields: [] }, "fields", /./],
      ["an unknown key", { ...base, version: 2 }, "", /version/],
    ];
    for (const [what, doc, path, message] of cases) {
      const err = await caught(() => parseSchema(doc));
      expect(err, what).toBeInstanceOf(CrossproofError);
      const e = err as CrossproofError;
      expect(e.code, what).toBe("INVALID_SCHEMA");
      expect(e.details.field, what).toBe(path);
      expect(e.message, what).toContain(`${path || "(root)"}: `);
      expect(e.message, what).toMatch(message);
      expect(e.details.issues, what).toContainEqual(expect.objectContaining({ path }));
    }
  });

  it("registers an operator's schema at run time: found by id, immutable, never over a shipped one", async () => {
    const base = getSchema("residency-v1").document;
    const custom = { ...base, id: "test-registered-v1", title: "A test schema" };
    expect(() => getSchema("test-registered-v1")).toThrowError(/no schema/);
    const schema = registerSchema(custom);
    expect(getSchema("test-registered-v1")).toBe(schema);
    expect(schema.schemaId).toBe(computeSchemaId(custom));
    expect(allSchemas().map((s) => s.id)).toContain("test-registered-v1");
    // the same document again is a no-op; a different one under the same id is refused
    expect(registerSchema(JSON.parse(JSON.stringify(custom)))).toBe(schema);
    expect(await caught(() => registerSchema({ ...custom, title: "Changed" }))).toMatchObject({
      code: "SCHEMA_CONFLICT",
    });
    expect(await caught(() => registerSchema({ ...base, title: "Mine" }))).toMatchObject({
      code: "SCHEMA_CONFLICT",
      message: expect.stringMatching(/shipped/),
    });
    expect(getSchema("residency-v1").document.title).toBe(base.title);
  });

  it("says which schemas exist when asked for an unknown one", () => {
    expect(() => getSchema("nope")).toThrowError(/no schema "nope"/);
  });
});
