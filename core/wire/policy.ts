/**
 * A policy on the wire: what an administrator writes to `POST /v1/policies`, checked for shape
 * here; what it means (fields of its schema, encodings, a query the circuit can prove) is
 * checked by the verifier when the policy is compiled (`verifier/policy.ts`).
 */
import { z } from "zod";
import { RELEASE_VERSION_PATTERN } from "../circuit-release.js";
import { address } from "./common.js";

/** Policy ids: lower-case letters, digits and dashes, as schema ids. */
export const POLICY_ID_PATTERN = "^[a-z0-9][a-z0-9-]{0,63}$";

const fieldName = z.string().min(1).max(64);

/** A date threshold resolved when a challenge is issued: that day minus `daysAgo` (UTC). */
export const relativeDate = z
  .strictObject({ daysAgo: z.number().int().min(0).max(3_650) })
  .describe("A date this many days before the day the challenge is issued (UTC)");

const value = z
  .union([z.string().max(256), z.number(), z.boolean(), relativeDate])
  .describe(
    "A value in the field's encoding: an integer (or decimal string), a YYYY-MM-DD date, a code name, a boolean, text; or a relative date",
  );

const comparison = z.strictObject({
  op: z.enum(["EQ", "NE", "LT", "LTE", "GT", "GTE"]),
  field: fieldName,
  value,
});
const range = z.strictObject({
  op: z.enum(["BETWEEN", "OUTSIDE"]),
  field: fieldName,
  min: value,
  max: value,
});
const ratio = z
  .strictObject({
    op: z.enum(["RATIO_LTE", "RATIO_GTE"]),
    field: fieldName,
    per: fieldName,
    numerator: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    denominator: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  })
  .describe("field / per compared with numerator / denominator (e.g. debt/income ≤ 40/100)");

/** Most values in one set predicate (the `query_v2` table holds 16 distinct values per record). */
export const MAX_SET_VALUES = 16;

const setPredicate = z
  .strictObject({
    op: z.enum(["IN", "NIN"]),
    field: fieldName,
    values: z
      .array(z.union([z.string().max(256), z.number(), z.boolean()]))
      .min(1)
      .max(MAX_SET_VALUES),
  })
  .describe(
    "field is one of (IN) or none of (NIN) these values, in the field's encoding; a record's set predicates share 16 distinct values",
  );

/** One predicate of a policy, by field name. */
export const policyPredicate = z.union([comparison, range, ratio, setPredicate]);

/**
 * An EVM address, lower-cased so that two spellings of one address are one (the verifier
 * checksums them: `verifier/policy.ts`).
 */
const issuerAddress = address.transform((a) => a.toLowerCase());

const releaseVersion = z
  .string()
  .regex(RELEASE_VERSION_PATTERN, "a release version such as 1.2.0 (letters, digits, . _ + -)");
const numericVersion = z
  .string()
  .regex(/^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$/, "a dotted numeric version such as 1.2.0");

/**
 * Which registered releases of the `query` circuit a policy accepts: named versions, a range of
 * dotted numeric versions (from ≤ v < below), or both. Left out: every release the chain has
 * registered and not retired whose key the verifier holds (its loaded key's release by default).
 */
export const releaseSelector = z
  .strictObject({
    versions: z
      .array(releaseVersion)
      .min(1)
      .max(32)
      .refine((v) => new Set(v).size === v.length, "versions must be distinct")
      .optional(),
    range: z
      .strictObject({ from: numericVersion.optional(), below: numericVersion.optional() })
      .refine((r) => r.from !== undefined || r.below !== undefined, "give from, below or both")
      .optional(),
  })
  .refine(
    (s) => s.versions !== undefined || s.range !== undefined,
    "give versions, a range or both",
  )
  .describe(
    "The circuit releases this policy accepts (of its circuit: query, or query_v2 for set predicates and linked records): versions by name, a numeric range from ≤ v < below, or both; left out, every registered, unretired release the verifier holds",
  );

const predicates = z.array(policyPredicate).max(16).default([]);
const disclose = z
  .array(fieldName)
  .max(16)
  .default([])
  .describe("Fields whose values the proof discloses");
const schemaId = z.string().min(1).max(64).describe("A record schema id, such as credit-report-v1");
const issuers = z
  .array(issuerAddress)
  .min(1)
  .max(32)
  .refine((a) => new Set(a).size === a.length, "issuers must be distinct")
  .describe("Issuer addresses whose anchored roots this policy accepts");
const linkField = z
  .strictObject({ field: fieldName })
  .describe(
    "The field that links this record to the policy's other records: every record must hold the same value, which is never revealed",
  );

/** Most further records of a linked policy. */
export const MAX_LINKED_RECORDS = 3;

/** A further record of a linked policy: its own schema, issuers, link field and predicates. */
export const linkedRecord = z
  .strictObject({
    schema: schemaId,
    issuers,
    link: linkField,
    predicates,
    disclose,
  })
  .describe(
    "A further record the holder must present, about the same subject: from its own schema and issuers, linked by its link field to the policy's record",
  );

/** A policy as an administrator writes it (the body of `POST /v1/policies`). */
export const policyDefinition = z.strictObject({
  id: z.string().regex(new RegExp(POLICY_ID_PATTERN), "lower-case letters, digits and dashes"),
  description: z.string().max(500).optional(),
  schema: schemaId,
  issuers,
  subject: z
    .strictObject({ field: fieldName })
    .optional()
    .describe(
      "Binds each challenge to one subject: an EQ on this field with the subjectHash given when the challenge is issued",
    ),
  predicates,
  disclose,
  link: linkField.optional(),
  linked: z
    .array(linkedRecord)
    .min(1)
    .max(MAX_LINKED_RECORDS)
    .optional()
    .describe(
      "Further records about the same subject, each from its own schema and issuers (a linked policy: give link too)",
    ),
  challengeTtlSeconds: z.number().int().min(1).max(86_400).default(300),
  rootGraceSeconds: z
    .number()
    .int()
    .min(0)
    .max(31_536_000)
    .default(3_600)
    .describe("How long after its issuer replaced it a root is still accepted"),
  releases: releaseSelector.optional(),
});

/** A policy as an administrator writes it (relative dates as `{daysAgo}`). */
export type PolicyInput = z.input<typeof policyDefinition>;

/**
 * The definition a policy was created from, out of what the service answers about it (which adds
 * its creation time and the policy in words): the definition's own fields and nothing else, so
 * it can be parsed or created again as it was written.
 */
export function policyDefinitionOf(policy: object): PolicyInput {
  const fields = new Set(Object.keys(policyDefinition.shape));
  return Object.fromEntries(
    Object.entries(policy).filter(([field]) => fields.has(field)),
  ) as PolicyInput;
}

/** A value in a policy predicate: literal, or a relative date. */
export type PolicyValue = z.output<typeof value>;

/** A predicate of a policy, by field name. */
export type PolicyPredicate = z.output<typeof policyPredicate>;

/** A further record of a linked policy, as validated. */
export type LinkedRecord = z.output<typeof linkedRecord>;
