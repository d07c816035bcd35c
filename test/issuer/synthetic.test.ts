import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { evaluatePredicate } from "../../core/query.js";
import { encodeRecord, type RecordInput } from "../../core/record.js";
import { builtInSchemas, getSchema } from "../../core/schema.js";
import { recordMatchers } from "../../deploy/linked-applicants.js";
import { SAMPLE_POLICIES } from "../../deploy/sample-policies.js";
import {
  SYNTHETIC_GENERATORS,
  syntheticCreditReports,
  syntheticHongKongResidency,
  syntheticRows,
} from "../../issuer/synthetic.js";
import { parsePolicyDefinition, resolveQuery } from "../../verifier/policy.js";
import { caught } from "../helpers/errors.js";

const asOf = new Date("2026-11-20T00:00:00Z");
const ISSUER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

describe("synthetic records of every shipped schema", () => {
  it("keeps the credit reports that tests and benchmarks were written against", () => {
    // The digest of this exact output before generators for other schemas were added.
    const rows = syntheticCreditReports({ count: 200, seed: 7, asOf });
    expect(createHash("sha256").update(JSON.stringify(rows)).digest("hex")).toBe(
      "1c2680bb03ccb2956451319794f4df3f972552fa82a27ee609076cd75af474df",
    );
  });

  it("has a generator for each shipped schema, deterministic by seed and day, every record valid, ids prefixed per schema", () => {
    expect(Object.keys(SYNTHETIC_GENERATORS).sort()).toEqual([...builtInSchemas().keys()].sort());
    const prefixes = new Set<string>();
    for (const id of builtInSchemas().keys()) {
      const schema = getSchema(id);
      const rows = syntheticRows(id, { count: 500, seed: 4, asOf });
      expect(syntheticRows(id, { count: 500, seed: 4, asOf })).toEqual(rows);
      expect(syntheticRows(id, { count: 500, seed: 5, asOf })).not.toEqual(rows);
      const prefix = String(rows[0]?.recordId).split("-")[0] as string;
      prefixes.add(prefix);
      expect(rows[0]?.recordId).toBe(`${prefix}-4-000`);
      expect(new Set(rows.map((r) => r.recordId)).size).toBe(500);
      for (const { recordId: _, ...record } of rows) {
        // every field present, every value valid for its encoding
        expect(Object.keys(record), id).toEqual(schema.fields.map((f) => f.name));
        encodeRecord(schema, record as RecordInput);
      }
      // document fingerprints are distinct per record
      expect(new Set(rows.map((r) => r.documentFingerprint)).size, id).toBe(500);
    }
    expect(prefixes.size).toBe(builtInSchemas().size);
  });

  it("gives each sample policy both records that meet it and records that do not, for each of its records", () => {
    for (const policy of SAMPLE_POLICIES.values()) {
      // As the verifier checks it, then each of its records by the statement it would issue.
      const definition = parsePolicyDefinition(policy.definition([ISSUER]), 8);
      const schemas = [policy.schema, ...(policy.linkedSchemas ?? [])];
      const matchers = recordMatchers(definition, 8, asOf);
      expect(matchers).toHaveLength(schemas.length);
      schemas.forEach((schemaId, index) => {
        const meets = matchers[index] as (r: RecordInput) => boolean;
        const rows = syntheticRows(schemaId, { count: 500, seed: 4, asOf });
        const met = rows.filter(({ recordId: _id, ...r }) => meets(r as RecordInput)).length;
        // a minority to a majority: neither none nor all
        expect(met, `${policy.id} ${schemaId}`).toBeGreaterThan(25);
        expect(met, `${policy.id} ${schemaId}`).toBeLessThan(475);
      });
      // A query policy's one record: the same verdicts by the query circuit's own evaluation.
      if (schemas.length === 1 && !JSON.stringify(definition.predicates).includes('"IN')) {
        const { subject: _, ...unbound } = definition;
        const { predicates } = resolveQuery(unbound, 8, asOf, undefined).compiled;
        const schema = getSchema(policy.schema);
        for (const { recordId: _id, ...r } of syntheticRows(policy.schema, {
          count: 100,
          seed: 4,
          asOf,
        })) {
          const slots = encodeRecord(schema, r as RecordInput);
          expect(matchers[0]?.(r as RecordInput)).toBe(
            predicates.every((p) => evaluatePredicate(p, slots)),
          );
        }
      }
    }
  });

  it("gives the Hong Kong bureau attestations in Hong Kong about two thirds of the given subjects and some others, deterministic by seed", () => {
    const subjects = syntheticCreditReports({ count: 300, seed: 7, asOf }).map(
      (r) => r.subjectId as string,
    );
    const options = { subjects, count: 40, seed: 7, asOf };
    const records = syntheticHongKongResidency(options);
    expect(syntheticHongKongResidency(options)).toEqual(records);
    expect(syntheticHongKongResidency({ ...options, seed: 8 })).not.toEqual(records);
    const known = new Set(subjects);
    const shared = records.filter((r) => known.has(r.subjectId as string));
    expect(shared.length).toBeGreaterThan(170);
    expect(shared.length).toBeLessThan(230);
    expect(records.length - shared.length).toBe(40);
    // in the subjects' own order, each at most once
    const order = shared.map((r) => subjects.indexOf(r.subjectId as string));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(new Set(records.map((r) => r.subjectId)).size).toBe(records.length);
    const schema = getSchema("residency-v1");
    for (const r of records) {
      expect(r).toMatchObject({ jurisdiction: "HK", authority: "authority:hk-immd" });
      encodeRecord(schema, r);
    }
  });

  it("refuses a schema without a generator with UNKNOWN_SCHEMA", async () => {
    expect(await caught(() => syntheticRows("my-own-v1", { count: 1, seed: 1 }))).toMatchObject({
      code: "UNKNOWN_SCHEMA",
    });
  });
});
