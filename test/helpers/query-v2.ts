/**
 * Inputs of the `query_v2` circuit for tests: a committed record (test/helpers/fixtures.ts) and
 * predicates with sets, built honestly by core/query-v2.ts, or given raw (table, masks, link) for
 * forged parameters.
 */
import {
  buildQueryV2,
  computeQueryHashV2,
  type LinkChoice,
  type PredicateV2,
  padPredicatesV2,
  type SlotPredicateV2,
} from "../../core/query-v2.js";
import type { CircuitInput } from "../../prover/query-input.js";
import { buildQueryV2Input } from "../../prover/query-v2-input.js";
import { type Committed, DEPTH, GOOD_REPORT } from "./fixtures.js";

/** A fixed link nonce for tests (any field element). */
/** A residency-v1 record about GOOD_REPORT's subject (a second record for linked-proof tests). */
export const RESIDENCY_SAMPLE = {
  subjectId: GOOD_REPORT.subjectId,
  authority: "immd:hk",
  jurisdiction: "HK",
  residencyStatus: "work-permit",
  residentSince: "2001-07-01",
  permitExpiry: "2099-12-31",
  addressDistrict: "Central",
  employmentStatus: "self-employed",
  employer: "Acme",
  employedSince: "2020-01-01",
  monthlyIncome: 50_000_00,
  currency: "HKD",
  socialInsured: true,
  attestationDate: "2026-11-01",
  documentFingerprint: GOOD_REPORT.documentFingerprint,
};

export const TEST_NONCE = 0xabcdef0123456789n * 0x10000000000000000n + 7n;

/** Options of the `query_v2` inputs. */
export interface V2Options {
  readonly link?: LinkChoice;
  readonly nonce?: bigint;
  readonly challenge?: bigint;
}

/** The honest `query_v2` circuit input for `predicates` about a committed record. */
export function queryV2Input(
  c: Committed,
  predicates: readonly SlotPredicateV2[],
  options: V2Options = {},
): CircuitInput {
  const q = buildQueryV2(predicates, { link: options.link ?? null });
  return rawQueryV2Input(c, q.predicates, q.table, q.link, q.queryHash, options);
}

/**
 * The `query_v2` input for predicates, table and link given unchecked (padded here with NOOP and
 * 0), with `queryHash` as given: what a prover who chooses every private input can pose.
 */
export function rawQueryV2Input(
  c: Committed,
  predicates: readonly PredicateV2[],
  table: readonly bigint[],
  link: LinkChoice,
  queryHash: bigint,
  options: V2Options = {},
): CircuitInput {
  const padded = padPredicatesV2(predicates);
  const fullTable = [...table];
  while (fullTable.length < 16) fullTable.push(0n);
  return buildQueryV2Input(
    {
      schemaId: c.schema.schemaId,
      slots: c.slots,
      salt: c.salt,
      path: c.tree.path(c.index),
      predicates: padded,
      table: fullTable,
      link,
      linkNonce: options.nonce ?? TEST_NONCE,
      queryHash,
      challenge: options.challenge ?? 77n,
    },
    DEPTH,
  );
}

/** The queryHash of raw parts, without the range checks (for inputs the TS side refuses). */
export { computeQueryHashV2 };
