/**
 * Verifier policies: what a verifying institution asks of a record, by field name, and how a
 * policy becomes the exact query of one challenge.
 *
 * A policy names a schema, the issuers whose roots it trusts, an optional subject binding (an
 * `EQ` on the subject-identifier field with the hash the verifier gives per challenge), its
 * predicates, the fields it wants disclosed, the lifetime of its challenges and the grace period
 * it grants a replaced root. Thresholds may be relative to the day a challenge is issued
 * (`{"daysAgo": 90}` on a date field): they are resolved then, so each challenge carries its own
 * `queryHash`, and a proof made for one day's threshold cannot pass for another's.
 *
 * Policies are immutable once created: a receipt names the policy it was checked against, and
 * that must keep meaning one thing. A changed policy is a new policy id.
 */
import { getAddress } from "viem";
import type { z } from "zod";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { isFieldElement } from "../core/field.js";
import {
  type CompiledQuery,
  compileQuery,
  Op,
  type Predicate,
  type PredicateSpec,
} from "../core/query.js";
import { compileQueryV2, type PredicateSpecV2, type PredicateV2 } from "../core/query-v2.js";
import { codeName, dayNumber, decodeDate } from "../core/record.js";
import { getSchema, type Schema } from "../core/schema.js";
import { firstIssue, issueList } from "../core/validation.js";
import {
  type PolicyPredicate,
  type PolicyValue,
  policyDefinition as wirePolicyDefinition,
} from "../core/wire/policy.js";

/** A policy definition as the API validates it (defaults applied, addresses checksummed). */
export const policyDefinition = wirePolicyDefinition.transform((d) => ({
  ...d,
  issuers: d.issuers.map((a) => getAddress(a)),
  ...(d.linked === undefined
    ? {}
    : { linked: d.linked.map((r) => ({ ...r, issuers: r.issuers.map((a) => getAddress(a)) })) }),
}));

/** A validated policy definition (defaults applied, addresses checksummed). */
export type PolicyDefinition = z.output<typeof policyDefinition>;

export type { LinkedRecord, PolicyPredicate, PolicyValue } from "../core/wire/policy.js";
export { POLICY_ID_PATTERN } from "../core/wire/policy.js";

/** A stored policy. */
export interface StoredPolicy {
  readonly definition: PolicyDefinition;
  readonly createdAt: Date;
}

/** A predicate of one challenge, by field name, with every relative value resolved. */
export type ResolvedPredicate =
  | {
      readonly op: "EQ" | "NE" | "LT" | "LTE" | "GT" | "GTE";
      readonly field: string;
      readonly value: string | number | boolean;
    }
  | {
      readonly op: "BETWEEN" | "OUTSIDE";
      readonly field: string;
      readonly min: string | number | boolean;
      readonly max: string | number | boolean;
    }
  | {
      readonly op: "RATIO_LTE" | "RATIO_GTE";
      readonly field: string;
      readonly per: string;
      readonly numerator: number;
      readonly denominator: number;
    }
  | {
      readonly op: "IN" | "NIN";
      readonly field: string;
      readonly values: (string | number | boolean)[];
    }
  | { readonly op: "DISCLOSE"; readonly field: string };

/** The query of one challenge: the predicates by name (for people) and compiled (for the circuit). */
export interface ResolvedQuery {
  readonly schema: Schema;
  readonly predicates: readonly ResolvedPredicate[];
  readonly compiled: CompiledQuery;
}

function invalid(message: string, details: Record<string, unknown> = {}, cause?: unknown): never {
  throw new CrossproofError(ErrorCode.INVALID_POLICY, message, {
    details,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The circuit a policy's challenges are proven with. */
export type PolicyCircuit = "query" | "query_v2";

/**
 * The circuit of a policy: `query_v2` when a record of it has a set predicate (IN, NIN) or the
 * policy links several records; otherwise `query`, so that a policy `query` can prove keeps its
 * release, its hashes and its proofs.
 */
export function policyCircuit(definition: PolicyDefinition): PolicyCircuit {
  const hasSet = (predicates: readonly PolicyPredicate[]) =>
    predicates.some((p) => p.op === "IN" || p.op === "NIN");
  return definition.linked !== undefined ||
    definition.link !== undefined ||
    hasSet(definition.predicates)
    ? "query_v2"
    : "query";
}

/** A record of a policy, whichever its place: the policy's own (record 0) or a linked one. */
interface PolicyRecord {
  readonly schema: string;
  readonly issuers: readonly string[];
  readonly subject?: { readonly field: string } | undefined;
  readonly link?: { readonly field: string } | undefined;
  readonly predicates: readonly PolicyPredicate[];
  readonly disclose: readonly string[];
}

/** The records of a policy in statement order: its own, then each linked one. */
export function policyRecords(definition: PolicyDefinition): PolicyRecord[] {
  return [definition, ...(definition.linked ?? [])];
}

/** The schema of a policy record, or `INVALID_POLICY` naming it. */
function recordSchema(record: PolicyRecord, where: Record<string, unknown>): Schema {
  try {
    return getSchema(record.schema);
  } catch (err) {
    invalid(
      `invalid policy: no schema "${record.schema}"`,
      { schema: record.schema, ...where },
      err,
    );
  }
}

/** The definition of a field of `schema`, or `INVALID_POLICY` naming it. */
function fieldDefinition(schema: Schema, field: string, where: Record<string, unknown>) {
  const slot = schema.slotOf.get(field);
  const definition = slot === undefined ? undefined : schema.fields[slot];
  if (!definition)
    invalid(`invalid policy: ${schema.id} has no field "${field}"`, { field, ...where });
  return definition;
}

/** Validate a policy definition (untrusted JSON) and check that it compiles for a circuit with `k` slots. */
export function parsePolicyDefinition(json: unknown, k: number): PolicyDefinition {
  const parsed = policyDefinition.safeParse(json);
  if (!parsed.success) {
    invalid(`invalid policy: ${firstIssue(parsed.error)}`, { issues: issueList(parsed.error) });
  }
  const definition = parsed.data;
  const schema = recordSchema(definition, {});
  if (definition.subject) {
    const field = fieldDefinition(schema, definition.subject.field, {});
    // The subject is named by a hash given per challenge: only a hash field can hold one.
    if (field.type !== "hash") {
      invalid(
        `invalid policy: the subject field ${definition.subject.field} must be a hash field`,
        {
          field: definition.subject.field,
        },
      );
    }
  }
  if ((definition.link === undefined) !== (definition.linked === undefined)) {
    invalid(
      definition.link === undefined
        ? "invalid policy: a policy with linked records names its own link field (link)"
        : "invalid policy: link names the field shared with linked records: give linked too",
      { field: "link" },
    );
  }
  if (definition.link && definition.linked) {
    const own = fieldDefinition(schema, definition.link.field, { record: 0 });
    definition.linked.forEach((record, index) => {
      const where = { record: index + 1 };
      const theirs = fieldDefinition(recordSchema(record, where), record.link.field, where);
      // Equal links must mean equal values: the two fields must encode a value the same way.
      if (theirs.type !== own.type || theirs.encoding !== own.encoding) {
        invalid(
          `invalid policy: linked record ${index + 1}'s link field ${record.link.field} (${theirs.type}/${theirs.encoding}) is not encoded as ${definition.link?.field} (${own.type}/${own.encoding})`,
          { field: record.link.field, ...where },
        );
      }
    });
  }
  // Compile once now, with a stand-in subject, so a policy that cannot be proven is refused here.
  resolveStatement(
    definition,
    k,
    new Date(),
    definition.subject ? 1n : undefined,
    ErrorCode.INVALID_POLICY,
  );
  return definition;
}

function resolveValue(
  schema: Schema,
  field: string,
  v: PolicyValue,
  today: bigint,
  code: ErrorCode,
): string | number | boolean {
  if (typeof v !== "object") return v;
  const slot = schema.slotOf.get(field);
  const definition = slot === undefined ? undefined : schema.fields[slot];
  if (definition?.encoding !== "date") {
    throw new CrossproofError(code, `daysAgo applies to date fields, and ${field} is not one`, {
      details: { field },
    });
  }
  return decodeDate(today - BigInt(v.daysAgo));
}

/**
 * A policy record's query, by field name, for a challenge issued on day `today`: the subject
 * binding first (when the record has one), then its predicates with relative values resolved,
 * then one `DISCLOSE` per disclosed field.
 */
function resolveRecord(
  record: PolicyRecord,
  schema: Schema,
  today: bigint,
  subjectHash: bigint | undefined,
  code: ErrorCode,
): { resolved: ResolvedPredicate[]; specs: PredicateSpecV2[] } {
  const resolved: ResolvedPredicate[] = [];
  const specs: PredicateSpecV2[] = [];
  if (record.subject) {
    if (subjectHash === undefined || !isFieldElement(subjectHash)) {
      throw new CrossproofError(
        ErrorCode.INVALID_SUBJECT,
        "this policy binds a subject: give subjectHash",
      );
    }
    resolved.push({ op: "EQ", field: record.subject.field, value: subjectHash.toString() });
    specs.push({ op: "EQ", field: record.subject.field, value: subjectHash });
  }
  for (const p of record.predicates) {
    switch (p.op) {
      case "BETWEEN":
      case "OUTSIDE": {
        const min = resolveValue(schema, p.field, p.min, today, code);
        const max = resolveValue(schema, p.field, p.max, today, code);
        resolved.push({ op: p.op, field: p.field, min, max });
        specs.push({ op: p.op, field: p.field, min, max });
        break;
      }
      case "RATIO_LTE":
      case "RATIO_GTE":
        resolved.push({ ...p });
        specs.push({ ...p });
        break;
      case "IN":
      case "NIN":
        resolved.push({ op: p.op, field: p.field, values: [...p.values] });
        specs.push({ op: p.op, field: p.field, values: [...p.values] });
        break;
      default: {
        const v = resolveValue(schema, p.field, p.value, today, code);
        resolved.push({ op: p.op, field: p.field, value: v });
        specs.push({ op: p.op, field: p.field, value: v });
      }
    }
  }
  for (const field of record.disclose) {
    resolved.push({ op: "DISCLOSE", field });
    specs.push({ op: "DISCLOSE", field });
  }
  return { resolved, specs };
}

/** A compile error as `code`, saying which record of a linked policy it is about. */
function compileError(err: unknown, code: ErrorCode, record: number | null): never {
  if (!(err instanceof CrossproofError)) throw err;
  const where = record === null ? "" : `record ${record}: `;
  throw new CrossproofError(code, `invalid policy: ${where}${err.message}`, {
    details: {
      ...(err.details as Record<string, unknown>),
      ...(record === null ? {} : { record }),
    },
    cause: err,
  });
}

/**
 * The query of a challenge issued at `now` for a `query` policy: the subject binding first (when
 * the policy has one), then the policy's predicates with relative values resolved, then one
 * `DISCLOSE` per disclosed field; compiled for a circuit with `k` predicate slots. Errors carry
 * `code` (INVALID_POLICY when checking a new policy).
 */
export function resolveQuery(
  policy: PolicyDefinition,
  k: number,
  now: Date,
  subjectHash: bigint | undefined,
  code: ErrorCode = ErrorCode.INVALID_QUERY,
): ResolvedQuery {
  const schema = getSchema(policy.schema);
  const { resolved, specs } = resolveRecord(policy, schema, dayNumber(now), subjectHash, code);
  try {
    return {
      schema,
      predicates: resolved,
      compiled: compileQuery(schema, specs as PredicateSpec[], k),
    };
  } catch (err) {
    compileError(err, code, null);
  }
}

/** One record of a challenge's statement: what the holder proves about it. */
export interface ResolvedPart {
  readonly schema: Schema;
  /** The issuers whose roots are accepted for this record (checksummed). */
  readonly issuers: readonly string[];
  /** The predicates by field name, relative values resolved. */
  readonly query: readonly ResolvedPredicate[];
  /** The slot-level predicates, unpadded (set predicates as masks over `table`). */
  readonly predicates: readonly PredicateV2[];
  readonly queryHash: bigint;
  /** `query_v2` only: the record's set table (16 entries, 0-padded); null for `query`. */
  readonly table: readonly bigint[] | null;
  /** `query_v2` only: the slot the link output commits to (null: linking off). */
  readonly link: number | null;
}

/** The statement of one challenge: its circuit and one part per record (the policy's first). */
export interface ResolvedStatement {
  readonly circuit: PolicyCircuit;
  readonly parts: readonly ResolvedPart[];
}

/**
 * The statement of a challenge issued at `now`: each record of the policy resolved as
 * {@link resolveQuery} does and compiled for the policy's circuit with `k` slots. A `query`
 * policy gives exactly resolveQuery's query; a `query_v2` one a query per record, each with its
 * table and link choice.
 */
export function resolveStatement(
  policy: PolicyDefinition,
  k: number,
  now: Date,
  subjectHash: bigint | undefined,
  code: ErrorCode = ErrorCode.INVALID_QUERY,
): ResolvedStatement {
  const circuit = policyCircuit(policy);
  if (circuit === "query") {
    const query = resolveQuery(policy, k, now, subjectHash, code);
    return {
      circuit,
      parts: [
        {
          schema: query.schema,
          issuers: policy.issuers,
          query: query.predicates,
          predicates: query.compiled.predicates.slice(0, query.predicates.length),
          queryHash: query.compiled.queryHash,
          table: null,
          link: null,
        },
      ],
    };
  }
  const today = dayNumber(now);
  const linked = policy.linked !== undefined;
  const parts = policyRecords(policy).map((record, index): ResolvedPart => {
    const schema = getSchema(record.schema);
    const { resolved, specs } = resolveRecord(record, schema, today, subjectHash, code);
    try {
      const compiled = compileQueryV2(schema, specs, {
        k,
        ...(record.link === undefined ? {} : { link: record.link.field }),
      });
      return {
        schema,
        issuers: record.issuers,
        query: resolved,
        predicates: compiled.predicates.slice(0, resolved.length),
        queryHash: compiled.queryHash,
        table: compiled.table,
        link: compiled.link?.index ?? null,
      };
    } catch (err) {
      return compileError(err, code, linked ? index : null);
    }
  });
  return { circuit, parts };
}

/** A disclosed value, decoded by its field's encoding (integers and hashes as decimal strings). */
export type DisclosedValue = string | boolean;

/** The disclosed outputs of a verified proof, by field name. */
export function decodeDisclosed(
  schema: Schema,
  predicates: readonly (Predicate | PredicateV2)[],
  outputs: readonly bigint[],
): Record<string, DisclosedValue> {
  const disclosed: Record<string, DisclosedValue> = {};
  predicates.forEach((p, index) => {
    if (p.op !== Op.DISCLOSE) return;
    const field = schema.fields[p.i];
    const v = outputs[index];
    if (!field || v === undefined) return;
    switch (field.encoding) {
      case "date":
        disclosed[field.name] = decodeDate(v);
        break;
      case "boolean":
        disclosed[field.name] = v === 1n;
        break;
      case "code":
        disclosed[field.name] = codeName(field, v) ?? v.toString();
        break;
      default:
        disclosed[field.name] = v.toString();
    }
  });
  return disclosed;
}
