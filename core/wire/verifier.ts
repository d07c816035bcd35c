/**
 * The verifier API's wire format, as zod schemas: the service validates requests with them,
 * its OpenAPI document is generated from them, and the client SDK takes its types from them.
 * Field elements travel as decimal strings, times as ISO 8601 strings.
 */
import { z } from "zod";
import { CIRCUIT_NAME_PATTERN, RELEASE_VERSION_PATTERN } from "../circuit-release.js";
import { REASONS } from "../reasons.js";
import {
  address,
  DECIMAL_PATTERN,
  decimalString as decimal,
  errorResponse,
  id,
  MAX_BATCH,
  time,
} from "./common.js";
import { POLICY_ID_PATTERN, policyDefinition } from "./policy.js";

// ---- requests -------------------------------------------------------------------------------

/** What to do when `subjectHash` is not a hash: the commonest first mistake, sending the id. */
export const SUBJECT_HASH_HINT =
  'must be the subject\'s hash as a decimal string, not the identifier itself: compute it with subjectHash(schemaId, field, value) from crossproof/client (for the sample policy: subjectHash("credit-report-v1", "subjectId", applicantId))';

/** `POST /v1/challenges` */
export const challengeRequest = z.strictObject({
  policyId: z.string().regex(new RegExp(POLICY_ID_PATTERN)),
  subjectHash: z
    .string()
    .regex(DECIMAL_PATTERN, SUBJECT_HASH_HINT)
    .optional()
    .describe(
      "For a policy that binds a subject: the subject field's value hashed to the field, as a decimal string. Compute it with subjectHash(schemaId, field, value) from crossproof/client: the identifier itself is never sent.",
    ),
});

/** A presentation, as documented (the verifier parses it strictly itself, to give reasons). */
export const presentationSchema = z
  .object({
    challengeId: id,
    proof: z.object({}).passthrough().describe("A Groth16 proof, as snarkjs writes it"),
    publicSignals: z.array(decimal),
    release: z
      .string()
      .regex(RELEASE_VERSION_PATTERN)
      .optional()
      .describe(
        "The version of the query circuit release the proof was made with, when it is not the verifier's loaded one (during a key rotation)",
      ),
    linked: z
      .array(
        z.strictObject({
          proof: z.object({}).passthrough(),
          publicSignals: z.array(decimal),
        }),
      )
      .optional()
      .describe(
        "A linked policy's further records, in policy order: each one's proof, made with the same link nonce as the first (query_v2)",
      ),
  })
  .describe("What the holder's prover returns; checked strictly by the verifier");

/** `POST /v1/verifications` */
export const verificationRequest = z.strictObject({
  policyId: z.string().regex(new RegExp(POLICY_ID_PATTERN)),
  presentation: z
    .unknown()
    .describe(
      "A presentation: {challengeId, proof, publicSignals}, and for a linked policy linked: [{proof, publicSignals}] per further record",
    ),
});

/** `POST /v1/verifications/batch` */
export const batchVerificationRequest = z.strictObject({
  items: z.array(verificationRequest).min(1).max(MAX_BATCH),
});

/** `POST /v1/circuits/{name}/verify` */
export const proofCheckRequest = z
  .object({ proof: z.unknown(), publicSignals: z.unknown() })
  .describe("A Groth16 proof and its public signals, as snarkjs writes them");

/** `POST /v1/circuits/{name}/verify/batch` */
export const batchProofCheckRequest = z.strictObject({
  items: z.array(proofCheckRequest).min(1).max(MAX_BATCH),
});

/** `POST /v1/circuits`: an external circom/snarkjs BN254 Groth16 circuit's key (admin). */
export const externalCircuitRequest = z.strictObject({
  name: z
    .string()
    .regex(CIRCUIT_NAME_PATTERN)
    .describe("The circuit's name: lower-case letters, digits, _ and -, from a letter"),
  version: z
    .string()
    .regex(RELEASE_VERSION_PATTERN)
    .default("1")
    .describe("The release version registered on chain"),
  verificationKey: z
    .object({
      protocol: z.literal("groth16"),
      curve: z.literal("bn128"),
      nPublic: z.number().int().min(1).max(1_000),
    })
    .passthrough()
    .describe(
      "The snarkjs verification key (verification_key.json); checked: γ ≠ δ, IC count = nPublic + 1, every point on its curve and in its subgroup (KEY_INVALID otherwise)",
    ),
});

/** `POST /v1/api-keys` */
export const apiKeyRequest = z.strictObject({
  name: z.string().min(1).max(100),
  role: z
    .enum(["client", "auditor"])
    .default("client")
    .describe("client (verifies) or auditor (reads flows and the receipt log); default client"),
});

// ---- responses ------------------------------------------------------------------------------

/** A policy's requirements in words, and as one sentence (shared by policies and previews). */
const policyWords = {
  conditions: z
    .array(z.string())
    .describe(
      'Each requirement in words, in query order: "creditScore at least 650", "reportDate within the last 90 days", "discloses jurisdiction"',
    ),
  words: z.string().describe("The conditions as one sentence"),
};

export const policyResponse = z.strictObject({
  ...policyDefinition.shape,
  issuers: z.array(address),
  createdAt: time,
  ...policyWords,
});

export const policyListResponse = z.strictObject({ policies: z.array(policyResponse) });

const wirePredicate = z.strictObject({
  op: z.number().int(),
  i: z.number().int(),
  j: z.number().int(),
  a: decimal,
  b: decimal,
});

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const resolvedPredicate = z.union([
  z.strictObject({
    op: z.enum(["EQ", "NE", "LT", "LTE", "GT", "GTE"]),
    field: z.string(),
    value: scalar,
  }),
  z.strictObject({
    op: z.enum(["BETWEEN", "OUTSIDE"]),
    field: z.string(),
    min: scalar,
    max: scalar,
  }),
  z.strictObject({
    op: z.enum(["RATIO_LTE", "RATIO_GTE"]),
    field: z.string(),
    per: z.string(),
    numerator: z.number(),
    denominator: z.number(),
  }),
  z.strictObject({
    op: z.enum(["IN", "NIN"]),
    field: z.string(),
    values: z.array(scalar),
  }),
  z.strictObject({ op: z.literal("DISCLOSE"), field: z.string() }),
]);

/** A further record of a linked challenge (`query_v2`): what the holder proves about it. */
const challengePart = z.strictObject({
  schemaId: decimal,
  queryHash: decimal,
  predicates: z.array(wirePredicate).describe("The compiled predicates the holder proves"),
  query: z.array(resolvedPredicate).describe("The same predicates by field name"),
  table: z.array(decimal).describe("The record's set table (16 entries, 0-padded)"),
  link: z.number().int().nullable().describe("The slot of the field its link output commits to"),
});

export const challengeResponse = z
  .strictObject({
    challengeId: id,
    policyId: z.string(),
    nonce: decimal,
    schemaId: decimal,
    queryHash: decimal,
    predicates: z.array(wirePredicate).describe("The compiled predicates the holder proves"),
    query: z.array(resolvedPredicate).describe("The same predicates by field name"),
    circuit: z
      .enum(["query", "query_v2"])
      .describe(
        "The circuit the holder proves with: query_v2 for a policy with set predicates (IN, NIN) or linked records",
      ),
    table: z
      .array(decimal)
      .optional()
      .describe("query_v2: the record's set table (16 entries, 0-padded)"),
    link: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe("query_v2: the slot of the field the link output commits to (null: no link)"),
    linked: z
      .array(challengePart)
      .optional()
      .describe(
        "A linked policy's further records, in policy order: the holder proves each with the same link nonce",
      ),
    issuedAt: time,
    expiresAt: time,
    consumedAt: time.nullable().optional(),
    receiptId: z.string().nullable().optional(),
  })
  .describe("A one-time challenge; forward it whole to the holder's prover");

const failedCheck = z.strictObject({
  code: z.enum(REASONS),
  message: z.string(),
  record: z
    .number()
    .int()
    .optional()
    .describe(
      "Linked policies: the record the check is about (0: the policy's own, i: its i-th linked record)",
    ),
});

export const verificationResponse = z.strictObject({
  verified: z.boolean(),
  reasons: z.array(failedCheck).describe("Every failed check; empty when verified"),
  disclosed: z
    .record(z.string(), z.union([z.string(), z.boolean()]))
    .describe("Disclosed values by field name (only when verified)"),
  linked: z
    .array(
      z.strictObject({
        schema: z.string(),
        disclosed: z.record(z.string(), z.union([z.string(), z.boolean()])),
      }),
    )
    .optional()
    .describe("Linked policies: each further record's disclosed values (only when verified)"),
  receiptId: z.string(),
  policyId: z.string(),
  challengeId: z.string().nullable(),
  root: decimal.nullable(),
  issuer: address.nullable(),
  checkedAt: time,
});

export const batchVerificationResponse = z.strictObject({
  results: z.array(z.union([verificationResponse, errorResponse])),
});

export const receiptResponse = z.strictObject({
  id: z.string(),
  createdAt: time,
  policyId: z.string(),
  challengeId: z.string().nullable(),
  root: decimal.nullable(),
  issuer: address.nullable(),
  verified: z.boolean(),
  reasons: z.array(z.enum(REASONS)),
  linked: z
    .array(z.strictObject({ root: decimal, issuer: address.nullable() }))
    .optional()
    .describe("Linked policies: each further record's root and its issuer"),
});

/** One of the verifier's checks behind a receipt. */
export const receiptCheck = z.strictObject({
  check: z.string().describe("The check's stable name, e.g. root-anchored"),
  description: z.string(),
  outcome: z
    .enum(["passed", "failed", "not-run", "not-recorded"])
    .describe(
      "not-run: an earlier failure stopped the verifier before it; not-recorded: it ran, but the challenge was lost to a concurrent presentation at the end and only that was recorded",
    ),
  reason: z.enum(REASONS).optional().describe("The reason code, on a failed check"),
});

/** `GET /v1/receipts/{id}`: a receipt and its checks. */
export const receiptDetailResponse = z.strictObject({
  ...receiptResponse.shape,
  checks: z.array(receiptCheck).describe("Every check of a presentation, in the order they run"),
});

/** Most receipts in one page of `GET /v1/receipts`. */
export const MAX_RECEIPT_PAGE = 200;

/** `GET /v1/receipts`: the query parameters. */
export const receiptListQuery = z.strictObject({
  verdict: z.enum(["verified", "refused"]).optional(),
  policy: z.string().regex(new RegExp(POLICY_ID_PATTERN)).optional().describe("A policy id"),
  reason: z.enum(REASONS).optional().describe("Only refusals with this reason code"),
  from: time.optional().describe("Created at or after (ISO 8601)"),
  to: time.optional().describe("Created before (ISO 8601)"),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/, "an integer from 1 to 200")
    .optional()
    .describe("Receipts per page, 1–200 (default 50)"),
  cursor: z
    .string()
    .max(256)
    .optional()
    .describe("The previous page's `next`, for the page after it"),
});

/** `GET /v1/receipts` */
export const receiptListResponse = z.strictObject({
  receipts: z.array(receiptResponse).describe("Newest first"),
  next: z.string().nullable().describe("The cursor of the next page; null on the last"),
});

/** `GET /v1/session` */
export const sessionResponse = z.strictObject({
  keyId: z.string().describe("The key's id (admin for the admin key)"),
  name: z.string(),
  role: z.enum(["client", "admin", "auditor"]),
});

/** Longest window of `GET /v1/stats`, in minutes (a day). */
export const MAX_STATS_MINUTES = 1_440;

/** `GET /v1/stats`: the query parameters. */
export const statsQuery = z.strictObject({
  minutes: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, "an integer from 1 to 1440")
    .optional()
    .describe("The window in minutes, ending with the current minute (default 60, at most 1440)"),
});

const count = z.number().int().min(0);

/** `GET /v1/stats` */
export const statsResponse = z.strictObject({
  from: time.describe("The window's start (a minute's start)"),
  to: time.describe("The window's end, exclusive (the start of the minute after the current one)"),
  perMinute: z
    .array(z.strictObject({ minute: time, verified: count, refused: count }))
    .describe("Every minute of the window, oldest first, from the receipts (all instances)"),
  verdicts: z
    .strictObject({ verified: count, refused: count })
    .describe("The window's verdicts, from the receipts (all instances)"),
  topReasons: z
    .array(z.strictObject({ reason: z.enum(REASONS), count }))
    .describe("The ten most frequent reasons of the window's refusals (all instances)"),
  latency: z
    .strictObject({
      count,
      p50: z.number(),
      p90: z.number(),
      p99: z.number(),
    })
    .nullable()
    .describe(
      "Seconds to decide a verification, since this instance started, estimated from its histogram's buckets as Prometheus does; null before its first verification",
    ),
  batchSizes: z
    .array(z.strictObject({ le: z.union([z.number(), z.literal("+Inf")]), count }))
    .describe(
      "Proofs per batched pairing check since this instance started: cumulative bucket counts (batches of at most le proofs), as Prometheus keeps them",
    ),
  perInstance: z
    .array(z.enum(["latency", "batchSizes"]))
    .describe("The parts of this answer that are this instance's alone, not every instance's"),
});

/** The header of `POST /v1/policies/preview` that names a subject (never in a URL, which proxies log). */
export const SUBJECT_HASH_HEADER = "x-subject-hash";

/** `POST /v1/policies/preview`: its header. */
export const policyPreviewHeaders = z.object({
  [SUBJECT_HASH_HEADER]: z
    .string()
    .regex(DECIMAL_PATTERN, SUBJECT_HASH_HINT)
    .optional()
    .describe(
      "For a policy that binds a subject: answer the queryHash of a challenge for this subject (a header, so that it stays out of URLs and their logs)",
    ),
});

/** `POST /v1/policies/preview` */
export const policyPreviewResponse = z.strictObject({
  id: z.string(),
  schemaId: decimal,
  queryHash: decimal
    .nullable()
    .describe(
      "The queryHash of a challenge issued now (relative dates resolved today); null for a policy that binds a subject unless the x-subject-hash header is given, as each subject's challenges have their own",
    ),
  asOf: time.describe("When the relative thresholds were resolved"),
  subjectBound: z.boolean(),
  exists: z.boolean().describe("A policy with this id exists: creating it would answer 409"),
  definition: z
    .strictObject({ ...policyDefinition.shape, issuers: z.array(address) })
    .describe("The policy as it would be stored: defaults applied, issuers checksummed"),
  ...policyWords,
});

/** `GET /v1/chain` */
export const chainResponse = z.strictObject({
  chainId: z.number().int(),
  registry: address,
  block: decimal.describe("The chain's block this view was read at"),
  issuers: z.array(z.strictObject({ address, name: z.string(), active: z.boolean() })),
  roots: z
    .array(
      z.strictObject({
        root: decimal,
        issuer: address,
        schemaId: decimal,
        anchoredAt: time,
        replacedAt: time.nullable(),
        revokedAt: time.nullable(),
      }),
    )
    .describe("Anchored roots, newest first, at most 200"),
});

export const circuitResponse = z.strictObject({
  name: z.string(),
  template: z.string(),
  params: z.array(z.number()),
  constraints: z.number().int(),
  nPublic: z.number().int(),
  publicSignals: z.array(z.string()),
  setup: z.enum(["development", "production"]),
  verificationKeySha256: z.string(),
});

export const externalCircuitResponse = z.strictObject({
  name: z.string(),
  version: z.string(),
  kind: z.literal("external"),
  nPublic: z.number().int(),
  keyHash: z
    .string()
    .describe("sha256 of the key's RFC 8785 canonical JSON, as registered on chain"),
  createdAt: time,
});

export const circuitListResponse = z.strictObject({
  circuits: z.array(circuitResponse),
  external: z.array(externalCircuitResponse).describe("External circuits the admin registered"),
});

export const circuitDetailResponse = z.strictObject({
  ...circuitResponse.shape,
  manifest: z.record(z.string(), z.unknown()),
});

export const verificationKeyResponse = z
  .object({ protocol: z.literal("groth16"), curve: z.literal("bn128"), nPublic: z.number().int() })
  .passthrough()
  .describe("The snarkjs verification key");

export const proofCheckResponse = z.strictObject({
  valid: z.boolean(),
  reasons: z.array(failedCheck),
});

export const batchProofCheckResponse = z.strictObject({
  results: z.array(proofCheckResponse),
});

export const rootResponse = z.strictObject({
  root: decimal,
  anchored: z.boolean(),
  issuer: address.nullable(),
  schemaId: decimal.nullable(),
  anchoredAt: time.nullable(),
  replacedAt: time.nullable(),
  revokedAt: time.nullable(),
  issuerActive: z.boolean().nullable(),
});

export const apiKeyResponse = z.strictObject({
  id: z.string(),
  name: z.string(),
  role: z.enum(["client", "admin", "auditor"]),
  createdAt: time,
  revokedAt: time.nullable(),
});

export const apiKeyCreatedResponse = z.strictObject({
  ...apiKeyResponse.shape,
  key: z.string().describe("The key itself: shown once, stored only as a hash"),
});

export const apiKeyListResponse = z.strictObject({ keys: z.array(apiKeyResponse) });

export const healthResponse = z.strictObject({ status: z.literal("ok") });

export const readinessResponse = z.strictObject({
  ready: z.boolean(),
  checks: z.record(z.string(), z.strictObject({ ok: z.boolean(), detail: z.string().optional() })),
  warnings: z.array(z.string()),
});

/** A receipt-log head anchored on chain (`GET /v1/audit/status`, `/v1/audit/anchors`). */
export const logAnchorResponse = z.strictObject({
  count: z.number().int().nonnegative(),
  head: z.string(),
  txHash: z.string(),
  blockNumber: decimal,
  anchoredAt: time,
});

/** Verifications counted by time bucket and one dimension (`GET /v1/audit/flows`). */
export const auditFlowsResponse = z.strictObject({
  by: z.enum(["policy", "issuer", "verdict", "reason"]),
  bucket: z.enum(["hour", "day"]),
  from: time,
  to: time,
  rows: z.array(
    z.strictObject({ bucket: time, key: z.string(), count: z.number().int().positive() }),
  ),
});

/** The receipt log's integrity (`GET /v1/audit/status`). */
export const auditStatusResponse = z.strictObject({
  count: z.number().int().nonnegative(),
  head: z.string(),
  lastAnchor: logAnchorResponse.nullable(),
  verifiedUpTo: z.number().int().nonnegative(),
  unanchored: z.number().int().nonnegative(),
  pending: z
    .strictObject({ since: time, attempts: z.number().int().positive(), lastError: z.string() })
    .nullable(),
  mismatch: z.strictObject({ seq: z.number().int().positive(), message: z.string() }).nullable(),
  contract: address.nullable(),
  anchorer: address.nullable(),
  chainId: z.number().int().positive().nullable(),
  anchorEvery: z.number().int().positive().nullable(),
  anchorSeconds: z.number().int().positive().nullable(),
});

/** The anchors written, newest first (`GET /v1/audit/anchors`). */
export const auditAnchorsResponse = z.strictObject({ anchors: z.array(logAnchorResponse) });
