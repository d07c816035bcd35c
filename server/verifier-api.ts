/**
 * The verifier API's wire shapes, as zod schemas: request bodies are validated with them, and
 * the OpenAPI document (`openapi.ts`) is generated from them, so the two cannot drift apart.
 * Field elements travel as decimal strings, times as ISO 8601 strings.
 */
import { z } from "zod";
import type { CircuitRelease } from "../core/artifacts.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { firstIssue, issueList } from "../core/validation.js";
import { POLICY_ID_PATTERN, policyDefinition, type StoredPolicy } from "../verifier/policy.js";
import { REASONS } from "../verifier/reasons.js";
import type { ApiKeyRecord, ChallengeRecord, Receipt } from "../verifier/store.js";
import type { ProofCheck, Verdict } from "../verifier/verifier.js";
import { MAX_BATCH } from "../verifier/verifier.js";

const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/)
  .describe("A field element, decimal");
const time = z.iso.datetime();
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

// ---- requests -------------------------------------------------------------------------------

/** `POST /v1/challenges` */
export const challengeRequest = z.strictObject({
  policyId: z.string().regex(new RegExp(POLICY_ID_PATTERN)),
  subjectHash: decimal
    .optional()
    .describe("For a policy that binds a subject: the subject field's value hashed to the field"),
});

/** A presentation, as documented (the verifier parses it strictly itself, to give reasons). */
export const presentationSchema = z
  .object({
    challengeId: id,
    proof: z.object({}).passthrough().describe("A Groth16 proof, as snarkjs writes it"),
    publicSignals: z.array(decimal),
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

/** `POST /v1/api-keys` */
export const apiKeyRequest = z.strictObject({ name: z.string().min(1).max(100) });

/** Parse a request body with `schema`, or `INVALID_REQUEST` naming the first problem. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new CrossproofError(
      ErrorCode.INVALID_REQUEST,
      `invalid request: ${firstIssue(parsed.error)}`,
      { details: { issues: issueList(parsed.error) } },
    );
  }
  return parsed.data;
}

// ---- responses ------------------------------------------------------------------------------

export const errorResponse = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
});

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

export const circuitListResponse = z.strictObject({ circuits: z.array(circuitResponse) });

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
  role: z.enum(["client", "admin"]),
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

// ---- serialisers ----------------------------------------------------------------------------

/** A policy as the API shows it. */
export function policyJson(p: StoredPolicy): z.input<typeof policyResponse> {
  return { ...p.definition, createdAt: p.createdAt.toISOString() };
}

/** A challenge as the API shows it (the holder's prover accepts it as a proof request). */
export function challengeJson(
  c: ChallengeRecord,
  withState = false,
): z.input<typeof challengeResponse> {
  return {
    challengeId: c.id,
    policyId: c.policyId,
    nonce: c.nonce.toString(),
    schemaId: c.schemaId.toString(),
    queryHash: c.queryHash.toString(),
    predicates: c.predicates.map((p) => ({
      op: p.op,
      i: p.i,
      j: p.j,
      a: p.a.toString(),
      b: p.b.toString(),
    })),
    query: c.query.map((q) => ({ ...q })),
    issuedAt: c.issuedAt.toISOString(),
    expiresAt: c.expiresAt.toISOString(),
    ...(withState
      ? { consumedAt: c.consumedAt?.toISOString() ?? null, receiptId: c.receiptId }
      : {}),
  };
}

/** A verdict as the API shows it. */
export function verificationJson(v: Verdict): z.input<typeof verificationResponse> {
  return {
    verified: v.verified,
    reasons: v.reasons.map((r) => ({ ...r })),
    disclosed: { ...v.disclosed },
    receiptId: v.receipt.id,
    policyId: v.receipt.policyId,
    challengeId: v.receipt.challengeId,
    root: v.receipt.root?.toString() ?? null,
    issuer: v.receipt.issuer,
    checkedAt: v.receipt.createdAt.toISOString(),
  };
}

/** A receipt as the API shows it. */
export function receiptJson(r: Receipt): z.input<typeof receiptResponse> {
  return {
    id: r.id,
    createdAt: r.createdAt.toISOString(),
    policyId: r.policyId,
    challengeId: r.challengeId,
    root: r.root?.toString() ?? null,
    issuer: r.issuer,
    verified: r.verified,
    reasons: r.reasons as z.input<typeof receiptResponse>["reasons"],
  };
}

/** A circuit release as the API lists it. */
export function circuitJson(r: CircuitRelease): z.input<typeof circuitResponse> {
  const m = r.manifest;
  return {
    name: r.name,
    template: m.template,
    params: m.params,
    constraints: m.constraints,
    nPublic: m.nPublic,
    publicSignals: m.publicSignals,
    setup: m.setup.kind,
    verificationKeySha256: m.files.verificationKey.sha256,
  };
}

/** A proof check as the API shows it. */
export function proofCheckJson(c: ProofCheck): z.input<typeof proofCheckResponse> {
  return { valid: c.valid, reasons: c.reasons.map((r) => ({ ...r })) };
}

/** An API key as the API lists it (never its secret). */
export function apiKeyJson(k: ApiKeyRecord): z.input<typeof apiKeyResponse> {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}
