/**
 * Applicants for the local deployment's linked policy (`cross-border-linked-v1`): people chosen
 * from the two bureaus' synthetic files by what the policy's parts ask of each record, evaluated
 * exactly as the `query_v2` circuit evaluates them (core/query-v2.ts) on the statement the
 * verifier issues (verifier/policy.ts resolveStatement), so that the demo and the
 * walk-through know beforehand who can be proved eligible and who cannot.
 */
import { readFile } from "node:fs/promises";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { evaluatePredicateV2 } from "../core/query-v2.js";
import { encodeRecord, type RecordInput } from "../core/record.js";
import { type PolicyDefinition, resolveStatement } from "../verifier/policy.js";
import {
  HK_BUREAU,
  hkSyntheticSourcePath,
  MAINLAND_BUREAU,
  syntheticSourcePath,
} from "./bureaus.js";

/**
 * For each record of `policy` (its own, then each linked one), whether a record meets what the
 * policy asks of it on the day of `now`: the statement the verifier would issue then (relative
 * dates resolved, sets in their table), evaluated as the `query_v2` circuit evaluates it (a
 * `query` policy's predicates are the same operators). The subject binding is left out: each
 * applicant's challenge binds their own subject, which their own record always matches.
 */
export function recordMatchers(
  policy: PolicyDefinition,
  k: number,
  now: Date,
): ((record: RecordInput) => boolean)[] {
  const { subject: _, ...unbound } = policy;
  return resolveStatement(unbound, k, now, undefined).parts.map((part) => {
    const table = part.table ?? [];
    return (record) => {
      const slots = encodeRecord(part.schema, record);
      return part.predicates.every((p) => evaluatePredicateV2(p, slots, table));
    };
  });
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
 * `policy` asks for a mainland record with one linked Hong Kong record, for a circuit of `k`
 * predicate slots. `USAGE` when the files no longer
 * give all three (the records age: start on a fresh data folder).
 */
export async function pickLinkedApplicants(
  dataDir: string,
  policy: PolicyDefinition,
  k: number,
  now = new Date(),
): Promise<LinkedApplicants> {
  const [mainlandMeets, hkMeets, ...more] = recordMatchers(policy, k, now);
  if (!mainlandMeets || !hkMeets || more.length > 0) {
    throw new CrossproofError(
      ErrorCode.USAGE,
      "the linked applicants are chosen for a policy with exactly one linked record",
    );
  }
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
