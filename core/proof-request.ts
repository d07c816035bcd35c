/**
 * A proof request: what a verifier's challenge asks the holder to prove, in the form that
 * crosses the boundary. The verifier sends its one-time nonce, the schema, the resolved
 * slot-level predicates and their `queryHash`; the holder checks that the predicates hash to
 * that `queryHash` (so it proves exactly what the verifier will check, nothing else) before it
 * proves anything.
 *
 * Wire form: `{challengeId, nonce, schemaId, queryHash, predicates: [{op, i, j, a, b}]}` with
 * field elements as decimal strings; a verifier's whole challenge (which adds `policyId`, the
 * query by field name and its times) is accepted too, its extra fields ignored.
 *
 * A `query_v2` challenge (issue 19) adds `circuit: "query_v2"`, the set `table` (16 decimal
 * strings) and the `link` slot (or null), all in its `queryHash`; a linked one adds `linked`, one
 * further record ("part") each with its own schema, predicates, table, link and `queryHash`.
 * Part 0 is the top-level record, part i is `linked[i-1]`; every part answers the same nonce.
 */
import { z } from "zod";
import { CrossproofError, ErrorCode } from "./errors.js";
import { computeQueryHash, type OpCode, type Predicate } from "./query.js";
import {
  computeQueryHashV2,
  type LinkChoice,
  type OpCodeV2,
  type PredicateV2,
  padPredicatesV2,
  QUERY_V2_K,
  QUERY_V2_TABLE_SIZE,
} from "./query-v2.js";
import { firstIssue } from "./validation.js";
import { fieldElement, id } from "./wire/common.js";

const decimal = fieldElement;

const wirePredicates = z
  .array(
    z.strictObject({
      op: z.number().int().min(0).max(15),
      i: z.number().int().min(0).max(15),
      j: z.number().int().min(0).max(15),
      a: decimal,
      b: decimal,
    }),
  )
  .max(64);

const table = z
  .array(decimal)
  .length(QUERY_V2_TABLE_SIZE)
  .describe("query_v2: the set table of the record's IN/NIN predicates (decimal, 0-padded)");

const link = z
  .number()
  .int()
  .min(0)
  .max(15)
  .nullable()
  .describe("query_v2: the slot the link output commits to, or null (linking off)");

/** Most further records a linked challenge may name (the contract allows 1..3). */
export const MAX_LINKED_RECORDS = 3;

/**
 * The wire form of a proof request (input: decimal strings; output: bigints), as the prover
 * service documents it. {@link parseProofRequest} is the way to read one.
 */
export const proofRequestSchema = z.strictObject({
  challengeId: id,
  nonce: decimal,
  schemaId: decimal,
  queryHash: decimal,
  predicates: wirePredicates,
  circuit: z
    .enum(["query", "query_v2"])
    .optional()
    .describe("The circuit the challenge is for (absent: query)"),
  // For `query`: absent or null (a challenge may carry every field, empty where unused).
  table: table.nullable().optional(),
  link: link.optional(),
  linked: z
    .array(
      z.strictObject({
        schemaId: decimal,
        queryHash: decimal,
        predicates: wirePredicates,
        table,
        link,
        // The linked record's query by field name, for people: ignored, as at the top level.
        query: z.array(z.unknown()).max(64).optional(),
      }),
    )
    .max(MAX_LINKED_RECORDS)
    .nullable()
    .optional()
    .describe("query_v2: the further records of a linked challenge, in order (part 1, 2, …)"),
  // What the verifier's challenge carries besides the request, for people and its own records:
  // accepted so a challenge can be forwarded whole, and ignored (the predicates are what count).
  policyId: z.string().max(128).optional(),
  query: z.array(z.unknown()).max(64).optional(),
  issuedAt: z.string().max(64).optional(),
  expiresAt: z.string().max(64).optional(),
  consumedAt: z.string().max(64).nullable().optional(),
  receiptId: z.string().max(128).nullable().optional(),
});

/** A validated proof request for the `query` circuit. */
export interface QueryProofRequest {
  /** `query` (a request built by hand may leave it out: it means the same). */
  readonly circuit?: "query";
  readonly challengeId: string;
  /** The verifier's one-time challenge value, bound into the proof. */
  readonly nonce: bigint;
  readonly schemaId: bigint;
  readonly queryHash: bigint;
  /** The slot-level predicates, unpadded. */
  readonly predicates: readonly Predicate[];
}

/** A validated proof request for one part (record) of a `query_v2` challenge. */
export interface QueryV2ProofRequest {
  readonly circuit: "query_v2";
  readonly challengeId: string;
  /** The verifier's one-time challenge value, shared by every part. */
  readonly nonce: bigint;
  /** This part's schema, predicates (padded to K), table, link and hash. */
  readonly schemaId: bigint;
  readonly queryHash: bigint;
  readonly predicates: readonly PredicateV2[];
  readonly table: readonly bigint[];
  /** The slot this part's link output commits to; null: no link (the proof outputs 0). */
  readonly link: LinkChoice;
  /** Which part of the challenge this is (0: the top-level record). */
  readonly part: number;
  /** How many parts the challenge has (1 + its linked records). */
  readonly parts: number;
}

/** A validated proof request: for `query`, or one part of a `query_v2` challenge. */
export type ProofRequest = QueryProofRequest | QueryV2ProofRequest;

/**
 * The wire form of a proof request (decimal strings). A `query_v2` part is written as a
 * request of its own (its fields at the top level, without the other parts), which
 * {@link parseProofRequest} reads back as part 0.
 */
export function proofRequestToJson(request: ProofRequest): Record<string, unknown> {
  const common = {
    challengeId: request.challengeId,
    nonce: request.nonce.toString(),
    schemaId: request.schemaId.toString(),
    queryHash: request.queryHash.toString(),
  };
  if (request.circuit !== "query_v2") {
    return { ...common, predicates: predicatesToJson(request.predicates) };
  }
  return {
    ...common,
    predicates: predicatesToJson(request.predicates),
    circuit: "query_v2",
    table: request.table.map(String),
    link: request.link === null ? null : request.link.index,
  };
}

/** Slot-level predicates in their wire form (decimal strings), as requests and stores keep them. */
export function predicatesToJson(
  predicates: readonly (Predicate | PredicateV2)[],
): { op: number; i: number; j: number; a: string; b: string }[] {
  return predicates.map((p) => ({
    op: p.op,
    i: p.i,
    j: p.j,
    a: p.a.toString(),
    b: p.b.toString(),
  }));
}

function invalid(message: string, details: Record<string, unknown> = {}, cause?: unknown): never {
  throw new CrossproofError(ErrorCode.INVALID_CHALLENGE, message, {
    details,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Validates a proof request for a circuit with `k` predicate slots and selects its part `part`
 * (0, the default: the top-level record; i: `linked[i-1]` of a linked `query_v2` challenge):
 * exact shape, field elements, each predicate within the circuit's ranges, and `queryHash`
 * equal to the hash of the part's predicates (`query`), or of its predicates, table and link
 * (`query_v2`, with the `query_v2` release's K and table size). `INVALID_CHALLENGE` otherwise,
 * naming the problem (a part out of range too).
 */
export function parseProofRequest(json: unknown, k: number, part = 0): ProofRequest {
  const requests = parseProofRequestParts(json, k);
  const selected = Number.isInteger(part) ? requests[part] : undefined;
  if (selected === undefined) {
    invalid(
      `part ${part} is out of range: the challenge has ${requests.length} part${requests.length === 1 ? "" : "s"} (0 to ${requests.length - 1})`,
      { part, parts: requests.length },
    );
  }
  return selected;
}

/**
 * Every part of a proof request, in order, each checked as {@link parseProofRequest} checks it:
 * one for a `query` challenge or an unlinked `query_v2` one, 1 + `linked.length` for a linked one.
 */
export function parseProofRequestParts(json: unknown, k: number): ProofRequest[] {
  const parsed = proofRequestSchema.safeParse(json);
  if (!parsed.success) invalid(`malformed proof request: ${firstIssue(parsed.error)}`);
  const request = parsed.data;
  if (request.circuit !== "query_v2") {
    for (const name of ["table", "link", "linked"] as const) {
      if (request[name] !== undefined && request[name] !== null) {
        invalid(`${name} is a field of query_v2 challenges: this one is for the query circuit`, {
          field: name,
        });
      }
    }
    return [queryRequest(request, k)];
  }
  if (request.table == null || request.link === undefined) {
    invalid("a query_v2 challenge needs its table and link");
  }
  const top = { ...request, table: request.table, link: request.link };
  const parts = [top, ...(request.linked ?? [])];
  return parts.map((p, index) =>
    queryV2Request(request.challengeId, request.nonce, p, index, parts.length),
  );
}

/** A `query` request, its hash checked (today's behaviour, unchanged). */
function queryRequest(request: z.output<typeof proofRequestSchema>, k: number): QueryProofRequest {
  const predicates = request.predicates.map((p) => ({ ...p, op: p.op as OpCode }));
  let hash: bigint;
  try {
    hash = computeQueryHash(predicates, k);
  } catch (err) {
    invalid(`the request's predicates do not fit the circuit: ${(err as Error).message}`, {}, err);
  }
  if (hash !== request.queryHash) {
    invalid(
      "the request's predicates do not hash to its queryHash: refusing to prove a different query",
    );
  }
  return {
    circuit: "query",
    challengeId: request.challengeId,
    nonce: request.nonce,
    schemaId: request.schemaId,
    queryHash: request.queryHash,
    predicates,
  };
}

/** What a part of a `query_v2` challenge carries on the wire (already field elements). */
interface WirePartV2 {
  readonly schemaId: bigint;
  readonly queryHash: bigint;
  readonly predicates: readonly { op: number; i: number; j: number; a: bigint; b: bigint }[];
  readonly table: readonly bigint[];
  readonly link: number | null;
}

/** One part of a `query_v2` request: predicates padded to K, its hash checked. */
function queryV2Request(
  challengeId: string,
  nonce: bigint,
  wire: WirePartV2,
  part: number,
  parts: number,
): QueryV2ProofRequest {
  const where = part === 0 ? "the request" : `part ${part} (linked[${part - 1}])`;
  if (wire.predicates.length > QUERY_V2_K) {
    invalid(
      `${where} has ${wire.predicates.length} predicates: query_v2 takes at most ${QUERY_V2_K}`,
      {
        part,
      },
    );
  }
  const predicates = padPredicatesV2(
    wire.predicates.map((p): PredicateV2 => ({ ...p, op: p.op as OpCodeV2 })),
  );
  const link: LinkChoice = wire.link === null ? null : { index: wire.link };
  let hash: bigint;
  try {
    hash = computeQueryHashV2(predicates, wire.table, link);
  } catch (err) {
    invalid(
      `${where}: the predicates do not fit the query_v2 circuit: ${(err as Error).message}`,
      { part },
      err,
    );
  }
  if (hash !== wire.queryHash) {
    invalid(
      `${where}: the predicates, table and link do not hash to its queryHash: refusing to prove a different query`,
      { part },
    );
  }
  return {
    circuit: "query_v2",
    challengeId,
    nonce,
    schemaId: wire.schemaId,
    queryHash: wire.queryHash,
    predicates,
    table: wire.table,
    link,
    part,
    parts,
  };
}
