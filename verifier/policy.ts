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
import { codeName, dayNumber, decodeDate } from "../core/record.js";
import { getSchema, type Schema } from "../core/schema.js";
import { firstIssue, issueList } from "../core/validation.js";
import { type PolicyValue, policyDefinition as wirePolicyDefinition } from "../core/wire/policy.js";

/** A policy definition as the API validates it (defaults applied, addresses checksummed). */
export const policyDefinition = wirePolicyDefinition.transform((d) => ({
  ...d,
  issuers: d.issuers.map((a) => getAddress(a)),
}));

/** A validated policy definition (defaults applied, addresses checksummed). */
export type PolicyDefinition = z.output<typeof policyDefinition>;

export type { PolicyPredicate, PolicyValue } from "../core/wire/policy.js";
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

/** Validate a policy definition (untrusted JSON) and check that it compiles for a circuit with `k` slots. */
export function parsePolicyDefinition(json: unknown, k: number): PolicyDefinition {
  const parsed = policyDefinition.safeParse(json);
  if (!parsed.success) {
    invalid(`invalid policy: ${firstIssue(parsed.error)}`, { issues: issueList(parsed.error) });
  }
  const definition = parsed.data;
  let schema: Schema;
  try {
    schema = getSchema(definition.schema);
  } catch (err) {
    invalid(`invalid policy: no schema "${definition.schema}"`, { schema: definition.schema }, err);
  }
  if (definition.subject) {
    const slot = schema.slotOf.get(definition.subject.field);
    if (slot === undefined) {
      invalid(`invalid policy: ${schema.id} has no field "${definition.subject.field}"`, {
        field: definition.subject.field,
      });
    }
    // The subject is named by a hash given per challenge: only a hash field can hold one.
    if (schema.fields[slot]?.type !== "hash") {
      invalid(
        `invalid policy: the subject field ${definition.subject.field} must be a hash field`,
        {
          field: definition.subject.field,
        },
      );
    }
  }
  // Compile once now, with a stand-in subject, so a policy that cannot be proven is refused here.
  resolveQuery(
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
 * The query of a challenge issued at `now`: the subject binding first (when the policy has one),
 * then the policy's predicates with relative values resolved, then one `DISCLOSE` per disclosed
 * field; compiled for a circuit with `k` predicate slots. Errors carry `code` (INVALID_POLICY when
 * checking a new policy).
 */
export function resolveQuery(
  policy: PolicyDefinition,
  k: number,
  now: Date,
  subjectHash: bigint | undefined,
  code: ErrorCode = ErrorCode.INVALID_QUERY,
): ResolvedQuery {
  const schema = getSchema(policy.schema);
  const today = dayNumber(now);
  const resolved: ResolvedPredicate[] = [];
  const specs: PredicateSpec[] = [];
  if (policy.subject) {
    if (subjectHash === undefined || !isFieldElement(subjectHash)) {
      throw new CrossproofError(
        ErrorCode.INVALID_SUBJECT,
        "this policy binds a subject: give subjectHash",
      );
    }
    resolved.push({ op: "EQ", field: policy.subject.field, value: subjectHash.toString() });
    specs.push({ op: "EQ", field: policy.subject.field, value: subjectHash });
  }
  for (const p of policy.predicates) {
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
      default: {
        const v = resolveValue(schema, p.field, p.value, today, code);
        resolved.push({ op: p.op, field: p.field, value: v });
        specs.push({ op: p.op, field: p.field, value: v });
      }
    }
  }
  for (const field of policy.disclose) {
    resolved.push({ op: "DISCLOSE", field });
    specs.push({ op: "DISCLOSE", field });
  }
  try {
    return { schema, predicates: resolved, compiled: compileQuery(schema, specs, k) };
  } catch (err) {
    if (!(err instanceof CrossproofError)) throw err;
    throw new CrossproofError(code, `invalid policy: ${err.message}`, {
      details: err.details as Record<string, unknown>,
      cause: err,
    });
  }
}

/** A disclosed value, decoded by its field's encoding (integers and hashes as decimal strings). */
export type DisclosedValue = string | boolean;

/** The disclosed outputs of a verified proof, by field name. */
export function decodeDisclosed(
  schema: Schema,
  predicates: readonly Predicate[],
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
