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
  })
  .describe("What the holder's prover returns; checked strictly by the verifier");

/** `POST /v1/verifications` */
export const verificationRequest = z.strictObject({
  policyId: z.string().regex(new RegExp(POLICY_ID_PATTERN)),
  presentation: z.unknown().describe("A presentation: {challengeId, proof, publicSignals}"),
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

export const policyResponse = z.strictObject({
  ...policyDefinition.shape,
  issuers: z.array(address),
  createdAt: time,
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
  z.strictObject({ op: z.literal("DISCLOSE"), field: z.string() }),
]);

export const challengeResponse = z
  .strictObject({
    challengeId: id,
    policyId: z.string(),
    nonce: decimal,
    schemaId: decimal,
    queryHash: decimal,
    predicates: z.array(wirePredicate).describe("The compiled predicates the holder proves"),
    query: z.array(resolvedPredicate).describe("The same predicates by field name"),
    issuedAt: time,
    expiresAt: time,
    consumedAt: time.nullable().optional(),
    receiptId: z.string().nullable().optional(),
  })
  .describe("A one-time challenge; forward it whole to the holder's prover");

const failedCheck = z.strictObject({ code: z.enum(REASONS), message: z.string() });

export const verificationResponse = z.strictObject({
  verified: z.boolean(),
  reasons: z.array(failedCheck).describe("Every failed check; empty when verified"),
  disclosed: z
    .record(z.string(), z.union([z.string(), z.boolean()]))
    .describe("Disclosed values by field name (only when verified)"),
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
