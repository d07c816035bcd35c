/**
 * Applicants for the local deployment's linked policy (`cross-border-linked-v1`): people chosen
 * from the two bureaus' synthetic files by what the policy's parts ask of each record, evaluated
 * exactly as the `query_v2` circuit evaluates them (core/query-v2.ts), so that the demo and the
 * walk-through know beforehand who can be proved eligible and who cannot.
 */
import { readFile } from "node:fs/promises";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { compileQueryV2, evaluatePredicateV2, type PredicateSpecV2 } from "../core/query-v2.js";
import { dayNumber, decodeDate, encodeRecord, type RecordInput } from "../core/record.js";
import { getSchema } from "../core/schema.js";
import {
  HK_BUREAU,
  hkSyntheticSourcePath,
  MAINLAND_BUREAU,
  syntheticSourcePath,
} from "./bureaus.js";

/** A literal value of a policy predicate, or a date relative to the day of the challenge. */
type PartValue = string | number | boolean | { readonly daysAgo: number };

/** A predicate of one record of a policy, as the policy is written (core/wire/policy.ts). */
export type PartPredicate =
  | {
      readonly op: "EQ" | "NE" | "LT" | "LTE" | "GT" | "GTE";
      readonly field: string;
      readonly value: PartValue;
    }
  | {
      readonly op: "BETWEEN" | "OUTSIDE";
      readonly field: string;
      readonly min: PartValue;
      readonly max: PartValue;
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
      readonly values: readonly (string | number | boolean)[];
    };

/** What a policy asks of one record: the primary (top level) or one of `linked`. */
export interface PolicyPart {
  readonly schema: string;
  readonly link?: { readonly field: string };
  readonly predicates: readonly PartPredicate[];
}

/** A policy with its linked records, as far as choosing applicants needs it. */
export interface LinkedPolicyParts extends PolicyPart {
  readonly linked?: readonly PolicyPart[];
}

function resolved(value: PartValue, today: bigint): string | number | boolean {
  return typeof value === "object" ? decodeDate(today - BigInt(value.daysAgo)) : value;
}

/**
 * Whether a record meets what `part` asks of it on the day of `now` (relative dates resolved
 * then), by the `query_v2` circuit's own evaluation. The subject binding is left out: each
 * applicant's challenge binds their own subject, which their own record always matches.
 * `INVALID_QUERY` for a part that does not compile for the circuit.
 */
export function partMatcher(part: PolicyPart, now: Date): (record: RecordInput) => boolean {
  const schema = getSchema(part.schema);
  const today = dayNumber(now);
  const specs = part.predicates.map((p): PredicateSpecV2 => {
    switch (p.op) {
      case "IN":
      case "NIN":
      case "RATIO_LTE":
      case "RATIO_GTE":
        return p;
      case "BETWEEN":
      case "OUTSIDE":
        return { ...p, min: resolved(p.min, today), max: resolved(p.max, today) };
      default:
        return { ...p, value: resolved(p.value, today) };
    }
  });
  const query = compileQueryV2(schema, specs, part.link ? { link: part.link.field } : {});
  return (record) => {
    const slots = encodeRecord(schema, record);
    return query.predicates.every((p) => evaluatePredicateV2(p, slots, query.table));
  };
}

/** One record of a bureau, named as the holder's prover takes it. */
export interface BureauRecord {
  readonly bureau: string;
  readonly recordId: string;
}

/** A person, by the id the bank knows, and their records in policy order (one per part). */
export interface LinkedApplicant {
  readonly subjectId: string;
  readonly records: readonly BureauRecord[];
}

/** Who the demo and the walk-through ask about under the linked policy. */
export interface LinkedApplicants {
  /** Known to both bureaus, each record meeting its part: [mainland record, Hong Kong record]. */
  readonly eligible: LinkedApplicant;
  /**
   * Someone else's Hong Kong record that meets its part (someone the mainland bureau does not
   * know, when there is one): sent in place of the applicant's, the link does not match.
   */
  readonly otherHongKong: LinkedApplicant;
  /**
   * Meets the mainland part, but their Hong Kong record does not meet its part; when everyone's
   * does, someone the Hong Kong bureau does not know (then `records` holds the mainland one only).
   */
  readonly ineligible: LinkedApplicant;
}

/** A line of a synthetic file: its record id, the record, and the subject it is about. */
interface Row {
  readonly recordId: string;
  readonly subjectId: string;
  readonly record: RecordInput;
}

async function rowsOf(path: string): Promise<Row[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CrossproofError(
      ErrorCode.USAGE,
      `no synthetic records in ${path}: run \`crossproof start\` first`,
      { cause: err },
    );
  }
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const { recordId, ...record } = JSON.parse(line) as RecordInput & { recordId: string };
      return { recordId, subjectId: record.subjectId as string, record };
    });
}

/**
 * Picks the linked policy's applicants from the two bureaus' synthetic files, as of `now`:
 * `policy` is the mainland part with one linked Hong Kong part. `USAGE` when the files no longer
 * give all three (the records age: start on a fresh data folder).
 */
export async function pickLinkedApplicants(
  dataDir: string,
  policy: LinkedPolicyParts,
  now = new Date(),
): Promise<LinkedApplicants> {
  const hkPart = policy.linked?.[0];
  if (!hkPart || policy.linked?.length !== 1) {
    throw new CrossproofError(
      ErrorCode.USAGE,
      "the linked applicants are chosen for a policy with exactly one linked record",
    );
  }
  const mainlandMeets = partMatcher(policy, now);
  const hkMeets = partMatcher(hkPart, now);
  const mainland = await rowsOf(syntheticSourcePath(dataDir));
  const hk = await rowsOf(hkSyntheticSourcePath(dataDir));
  const hkBySubject = new Map(hk.map((r) => [r.subjectId, r]));
  const inMainland = new Set(mainland.map((r) => r.subjectId));
  const record = (bureau: string, row: Row): BureauRecord => ({ bureau, recordId: row.recordId });

  let eligible: LinkedApplicant | undefined;
  let failsHk: LinkedApplicant | undefined;
  let unknownToHk: LinkedApplicant | undefined;
  for (const row of mainland) {
    if (!mainlandMeets(row.record)) continue;
    const own = hkBySubject.get(row.subjectId);
    const { subjectId } = row;
    if (!own) unknownToHk ??= { subjectId, records: [record(MAINLAND_BUREAU, row)] };
    else if (hkMeets(own.record)) {
      eligible ??= {
        subjectId,
        records: [record(MAINLAND_BUREAU, row), record(HK_BUREAU, own)],
      };
    } else {
      failsHk ??= { subjectId, records: [record(MAINLAND_BUREAU, row), record(HK_BUREAU, own)] };
    }
  }
  const others = hk.filter((r) => r.subjectId !== eligible?.subjectId && hkMeets(r.record));
  const other = others.find((r) => !inMainland.has(r.subjectId)) ?? others[0];
  const ineligible = failsHk ?? unknownToHk;
  if (!eligible || !other || !ineligible) {
    throw new CrossproofError(
      ErrorCode.USAGE,
      "the synthetic records no longer give eligible and ineligible applicants for the linked policy (they age): start on a fresh data folder",
    );
  }
  return {
    eligible,
    otherHongKong: { subjectId: other.subjectId, records: [record(HK_BUREAU, other)] },
    ineligible,
  };
}
