/**
 * A policy in words, for people (the console, `GET /v1/policies`, the preview of a new policy):
 * each predicate, as written in a policy or as resolved for a challenge, becomes one English
 * phrase by its schema's field names: "creditScore at least 650", "reportDate within the last
 * 90 days", "defaultFlag is false", "totalDebt at most 40% of annualIncome". Pure: no I/O, no
 * clock (a relative date stays relative: "within the last 90 days").
 */
import type { FieldDefinition, Schema } from "../core/schema.js";
import type {
  PolicyDefinition,
  PolicyPredicate,
  PolicyValue,
  ResolvedPredicate,
} from "./policy.js";

/** A predicate in either form: as the policy writes it, or resolved for one challenge. */
export type AnyPredicate = PolicyPredicate | ResolvedPredicate;

const NUMBER_WORDS = {
  EQ: "equals",
  NE: "does not equal",
  LT: "below",
  LTE: "at most",
  GT: "above",
  GTE: "at least",
} as const;

const DATE_WORDS = {
  EQ: "on",
  NE: "not on",
  LT: "before",
  LTE: "on or before",
  GT: "after",
  GTE: "on or after",
} as const;

type Comparison = keyof typeof NUMBER_WORDS;

function fieldOf(schema: Schema | undefined, name: string): FieldDefinition | undefined {
  const slot = schema?.slotOf.get(name);
  return slot === undefined ? undefined : schema?.fields[slot];
}

/** A relative date as words: "today", "1 day ago", "90 days ago". */
function daysAgo(n: number): string {
  if (n === 0) return "today";
  return n === 1 ? "1 day ago" : `${n} days ago`;
}

/** A value in its field's encoding, as written for people. */
function valueWords(field: FieldDefinition | undefined, value: PolicyValue): string {
  if (typeof value === "object") return daysAgo(value.daysAgo);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") return String(value);
  switch (field?.encoding) {
    case "text":
    case "sha256":
    case "code":
      return JSON.stringify(value);
    default:
      // Integers (decimal strings), dates (YYYY-MM-DD): as written.
      return value;
  }
}

/** One comparison (EQ … GTE) in words. */
function comparisonWords(
  field: FieldDefinition | undefined,
  name: string,
  op: Comparison,
  value: PolicyValue,
): string {
  if (field?.encoding === "boolean" && (op === "EQ" || op === "NE")) {
    return `${name} ${op === "EQ" ? "is" : "is not"} ${valueWords(field, value)}`;
  }
  if (typeof value === "object") {
    // Relative to the day each challenge is issued (a date field: the policy checked that).
    const n = value.daysAgo;
    if (n > 0) {
      switch (op) {
        case "GTE":
          return `${name} within the last ${n} days`;
        case "GT":
          return `${name} less than ${daysAgo(n)}`;
        case "LTE":
          return `${name} at least ${daysAgo(n)}`;
        case "LT":
          return `${name} more than ${daysAgo(n)}`;
        case "EQ":
          return `${name} exactly ${daysAgo(n)}`;
        case "NE":
          return `${name} not exactly ${daysAgo(n)}`;
      }
    }
    if (op === "EQ" || op === "NE") return `${name} ${op === "EQ" ? "is" : "is not"} today`;
    return `${name} ${DATE_WORDS[op]} today`;
  }
  const words = field?.encoding === "date" ? DATE_WORDS : NUMBER_WORDS;
  return `${name} ${words[op]} ${valueWords(field, value)}`;
}

/** A ratio numerator/denominator in words: "40%" for a denominator of 100, else "3/4". */
function ratioWords(numerator: number, denominator: number): string {
  if (denominator === 100) return `${numerator}%`;
  if (denominator === 1) return `${numerator} times`;
  return `${numerator}/${denominator}`;
}

/**
 * One predicate in words, by `schema`'s field names and encodings (an unknown schema or field
 * is written by name, values as they are).
 */
export function predicateInWords(schema: Schema | undefined, p: AnyPredicate): string {
  const field = fieldOf(schema, p.field);
  const date = field?.encoding === "date";
  switch (p.op) {
    case "BETWEEN":
      return `${p.field} between ${valueWords(field, p.min)} and ${valueWords(field, p.max)} (inclusive)`;
    case "OUTSIDE":
      return date
        ? `${p.field} before ${valueWords(field, p.min)} or after ${valueWords(field, p.max)}`
        : `${p.field} below ${valueWords(field, p.min)} or above ${valueWords(field, p.max)}`;
    case "RATIO_LTE":
    case "RATIO_GTE": {
      const bound = p.op === "RATIO_LTE" ? "at most" : "at least";
      const ratio = ratioWords(p.numerator, p.denominator);
      return ratio.endsWith("times")
        ? `${p.field} ${bound} ${ratio} ${p.per}`
        : `${p.field} ${bound} ${ratio} of ${p.per}`;
    }
    case "IN":
    case "NIN": {
      const values = p.values.map((v) => valueWords(field, v));
      const what = values.length === 1 ? values[0] : `one of ${values.join(", ")}`;
      return `${p.field} ${p.op === "IN" ? "is" : "is not"} ${what}`;
    }
    case "DISCLOSE":
      return `discloses ${p.field}`;
    default:
      return comparisonWords(field, p.field, p.op, p.value);
  }
}

/**
 * A policy in words, one phrase per requirement, in the order a challenge's query has them: the
 * subject binding, the predicates, then each disclosed field.
 */
export function policyInWords(
  definition: PolicyDefinition,
  schema: Schema | undefined,
  schemaOf: (id: string) => Schema | undefined = () => undefined,
): string[] {
  const phrases: string[] = [];
  if (definition.subject) {
    phrases.push(`${definition.subject.field} is the subject named by each challenge`);
  }
  for (const p of definition.predicates) phrases.push(predicateInWords(schema, p));
  for (const field of definition.disclose) {
    phrases.push(predicateInWords(schema, { op: "DISCLOSE", field }));
  }
  // A linked record's requirements are said as about "its" record, after the link itself.
  for (const record of definition.linked ?? []) {
    const theirs = schemaOf(record.schema);
    phrases.push(
      `a ${record.schema} record whose ${record.link.field} equals this record's ${definition.link?.field ?? record.link.field}`,
    );
    for (const p of record.predicates) {
      phrases.push(`its ${predicateInWords(theirs, p)}`);
    }
    for (const field of record.disclose) {
      phrases.push(`it ${predicateInWords(theirs, { op: "DISCLOSE", field })}`);
    }
  }
  return phrases;
}

/** Phrases as one sentence: "a, b and c" (empty: "no conditions"). */
export function joinWords(phrases: readonly string[]): string {
  if (phrases.length === 0) return "no conditions";
  if (phrases.length === 1) return phrases[0] as string;
  return `${phrases.slice(0, -1).join(", ")} and ${phrases.at(-1)}`;
}
