/**
 * Linked `query_v2` challenges for the holder's tests, built by hand in the shape of the issue 19
 * contract (notes/v2-contract.md): part 0 a credit report, part 1 a residency attestation, linked
 * on the `subjectId` both schemas hold (text, hashed the same way). Compiled with
 * core/query-v2.ts, independently of the prover code under test; and the check of a `query_v2`
 * proof with snarkjs against the committed verification key.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { computeLeaf } from "../../core/commitment.js";
import { predicatesToJson } from "../../core/proof-request.js";
import { compileQueryV2, type PredicateSpecV2, type QueryV2 } from "../../core/query-v2.js";
import { encodeRecord, type RecordInput } from "../../core/record.js";
import { getSchema, type Schema } from "../../core/schema.js";
import { CommitmentTree } from "../../core/tree.js";
import { PROJECT_ROOT } from "../../infra/paths.js";
import type { Committed } from "./fixtures.js";

export const CREDIT = getSchema("credit-report-v1");
export const RESIDENCY = getSchema("residency-v1");

/** Part 0: a score floor and a set of jurisdictions (GOOD_REPORT meets it: 720, HK). */
export const CREDIT_SPECS: readonly PredicateSpecV2[] = [
  { op: "GTE", field: "creditScore", value: 650 },
  { op: "IN", field: "jurisdiction", values: ["HK", "MO"] },
];

/** Part 1: settled enough, and not unemployed (RESIDENCY_SAMPLE meets it: work permit, self-employed). */
export const RESIDENCY_SPECS: readonly PredicateSpecV2[] = [
  { op: "IN", field: "residencyStatus", values: ["work-permit", "talent-scheme", "permanent"] },
  { op: "NIN", field: "employmentStatus", values: ["unemployed", "student"] },
];

/** One part's fields as a challenge carries them (decimal strings). */
function partJson(schema: Schema, q: QueryV2, specs: readonly PredicateSpecV2[]) {
  return {
    schemaId: schema.schemaId.toString(),
    queryHash: q.queryHash.toString(),
    predicates: predicatesToJson(q.predicates),
    table: q.table.map(String),
    link: q.link === null ? null : q.link.index,
    query: specs.map((s) => ({ ...s })),
  };
}

/** Options of {@link linkedChallenge}. */
export interface LinkedChallengeOptions {
  readonly challengeId?: string;
  readonly nonce?: bigint;
  readonly credit?: readonly PredicateSpecV2[];
  readonly residency?: readonly PredicateSpecV2[];
  /** The link field of each part (default subjectId for both; null: no link). */
  readonly links?: readonly [string | null, string | null];
  /** Leave out the linked residency part (a one-record query_v2 challenge). */
  readonly single?: boolean;
}

/**
 * A verifier's whole `query_v2` challenge, as the contract shapes it: the top-level fields are
 * part 0 (credit-report-v1), `linked[0]` is part 1 (residency-v1), plus the fields the holder
 * ignores (policy id, the query by field name, times).
 */
export function linkedChallenge(options: LinkedChallengeOptions = {}): Record<string, unknown> {
  const creditSpecs = options.credit ?? CREDIT_SPECS;
  const residencySpecs = options.residency ?? RESIDENCY_SPECS;
  const [link0, link1] = options.links ?? ["subjectId", "subjectId"];
  const q0 = compileQueryV2(CREDIT, creditSpecs, link0 === null ? {} : { link: link0 });
  const q1 = compileQueryV2(RESIDENCY, residencySpecs, link1 === null ? {} : { link: link1 });
  const { query, ...top } = partJson(CREDIT, q0, creditSpecs);
  const now = Date.now();
  return {
    challengeId: options.challengeId ?? `ch-linked-${now % 1_000_000}`,
    policyId: "pilot-linked-v1",
    nonce: (options.nonce ?? 0x5eed_0001n).toString(),
    ...top,
    query,
    issuedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 300_000).toISOString(),
    consumedAt: null,
    receiptId: null,
    circuit: "query_v2",
    ...(options.single ? {} : { linked: [partJson(RESIDENCY, q1, residencySpecs)] }),
  };
}

/** A residency-v1 record committed as leaf `index` of a small tree (as fixtures.ts's `commit`). */
export function commitRecord(
  schema: Schema,
  record: RecordInput,
  options: { size?: number; index?: number; salt?: bigint } = {},
): Committed {
  const slots = [...encodeRecord(schema, record)];
  const salt = options.salt ?? 0xfeedn * 0x10000000000000000n + 9n;
  const size = options.size ?? 4;
  const index = options.index ?? 1;
  const leaves = Array.from({ length: size }, (_, i) =>
    i === index ? computeLeaf(schema.schemaId, slots, salt) : BigInt(2000 + i),
  );
  return { schema, slots, salt, tree: new CommitmentTree(leaves), index };
}

/** Positions of the `query_v2` public signals: `[disclosed[0..7], link, root, schemaId, challenge, queryHash]`. */
export const V2_SIGNAL = { link: 8, root: 9, schemaId: 10, challenge: 11, queryHash: 12 } as const;

let key: Promise<unknown> | undefined;

/** Whether snarkjs accepts a proof against artifacts/query_v2/verification_key.json. */
export async function verifiesV2(bundle: {
  readonly proof: unknown;
  readonly publicSignals: readonly string[];
}): Promise<boolean> {
  key ??= readFile(
    join(PROJECT_ROOT, "artifacts", "query_v2", "verification_key.json"),
    "utf8",
  ).then((text) => JSON.parse(text) as unknown);
  type Verify = typeof snarkjs.groth16.verify;
  return snarkjs.groth16.verify(
    (await key) as Parameters<Verify>[0],
    [...bundle.publicSignals],
    bundle.proof as Parameters<Verify>[2],
  );
}
