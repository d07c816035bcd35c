/**
 * The verifier API's OpenAPI 3.1 document, generated (`api-doc.ts`) from the service's route table
 * (`verifier-routes/`) and the zod schemas it validates and answers with (`core/wire/`).
 */
import { z } from "zod";
import { errorResponse, MAX_BATCH } from "../core/wire/common.js";
import {
  apiKeyCreatedResponse,
  apiKeyListResponse,
  apiKeyRequest,
  auditAnchorsResponse,
  auditFlowsResponse,
  auditStatusResponse,
  batchProofCheckRequest,
  batchProofCheckResponse,
  batchVerificationResponse,
  chainResponse,
  challengeRequest,
  challengeResponse,
  circuitDetailResponse,
  circuitListResponse,
  externalCircuitRequest,
  externalCircuitResponse,
  healthResponse,
  policyListResponse,
  policyPreviewResponse,
  policyResponse,
  presentationSchema,
  proofCheckRequest,
  proofCheckResponse,
  readinessResponse,
  receiptDetailResponse,
  receiptListResponse,
  receiptResponse,
  rootResponse,
  sessionResponse,
  statsResponse,
  verificationKeyResponse,
  verificationResponse,
} from "../core/wire/verifier.js";
import { policyDefinition } from "../verifier/policy.js";
import { type ApiDescription, openApiDocument } from "./api-doc.js";
import { operationsOf } from "./routes.js";
import { VERIFIER_ROUTES } from "./verifier-routes/index.js";

const verificationRequestDoc = z.strictObject({
  policyId: z.string(),
  presentation: presentationSchema,
});

/** The named schemas of the document (`#/components/schemas/<name>`). */
const COMPONENTS: ApiDescription["components"] = {
  Error: [errorResponse, "output"],
  PolicyDefinition: [policyDefinition, "input"],
  Policy: [policyResponse, "output"],
  PolicyList: [policyListResponse, "output"],
  ChallengeRequest: [challengeRequest, "input"],
  Challenge: [challengeResponse, "output"],
  VerificationRequest: [verificationRequestDoc, "input"],
  BatchVerificationRequest: [
    z.strictObject({ items: z.array(verificationRequestDoc).min(1).max(MAX_BATCH) }),
    "input",
  ],
  Verification: [verificationResponse, "output"],
  BatchVerification: [batchVerificationResponse, "output"],
  Receipt: [receiptDetailResponse, "output"],
  ReceiptSummary: [receiptResponse, "output"],
  ReceiptList: [receiptListResponse, "output"],
  PolicyPreview: [policyPreviewResponse, "output"],
  Session: [sessionResponse, "output"],
  Stats: [statsResponse, "output"],
  Chain: [chainResponse, "output"],
  RootStatus: [rootResponse, "output"],
  CircuitList: [circuitListResponse, "output"],
  ExternalCircuitRequest: [externalCircuitRequest, "input"],
  ExternalCircuit: [externalCircuitResponse, "output"],
  Circuit: [circuitDetailResponse, "output"],
  VerificationKey: [verificationKeyResponse, "output"],
  ProofCheckRequest: [proofCheckRequest, "input"],
  ProofCheck: [proofCheckResponse, "output"],
  BatchProofCheckRequest: [batchProofCheckRequest, "input"],
  BatchProofCheck: [batchProofCheckResponse, "output"],
  ApiKeyRequest: [apiKeyRequest, "input"],
  ApiKeyCreated: [apiKeyCreatedResponse, "output"],
  ApiKeyList: [apiKeyListResponse, "output"],
  AuditFlows: [auditFlowsResponse, "output"],
  AuditStatus: [auditStatusResponse, "output"],
  AuditAnchors: [auditAnchorsResponse, "output"],
  Health: [healthResponse, "output"],
  Readiness: [readinessResponse, "output"],
};

/** How a client authenticates, as the docs page says it. */
export const VERIFIER_AUTH_NOTE =
  "Every <code>/v1</code> route needs an API key, as <code>authorization: Bearer &lt;key&gt;</code> or <code>x-api-key: &lt;key&gt;</code>.";

/** The verifier API. */
export const VERIFIER_API: ApiDescription = {
  info: {
    title: "crossproof verifier API",
    version: "1.0.0",
    description:
      "Check zero-knowledge proofs that a record meets a policy, against roots anchored on chain, with one-time challenges. The verifier never receives a raw record field. A challenge belongs to the API key that issued it: only that key can read it or verify a presentation for it.",
  },
  tags: [
    "policies",
    "challenges",
    "verifications",
    "receipts",
    "roots",
    "circuits",
    "api keys",
    "session",
    "audit",
    "operations",
    "console",
  ],
  components: COMPONENTS,
  operations: operationsOf(VERIFIER_ROUTES),
  commonErrors: {
    "400": "Malformed request (INVALID_REQUEST and others)",
    "401": "No valid API key (UNAUTHORIZED)",
    "413": "Body over the limit (BODY_TOO_LARGE)",
    "415": "Body not application/json (UNSUPPORTED_MEDIA_TYPE)",
    "429": "Rate limit (RATE_LIMITED); see Retry-After",
    "503":
      "Nothing decided; retry after Retry-After (REGISTRY_UNAVAILABLE, QUEUE_FULL, STORE_UNAVAILABLE, REQUEST_TIMEOUT, SERVICE_UNAVAILABLE)",
  },
  securitySchemes: {
    bearer: { type: "http", scheme: "bearer", description: "authorization: Bearer <API key>" },
    apiKeyHeader: {
      type: "apiKey",
      in: "header",
      name: "x-api-key",
      description: "x-api-key: <API key> (the same key; either header)",
    },
  },
  authNote: VERIFIER_AUTH_NOTE,
};

/** The OpenAPI 3.1 document of the verifier API. */
export function verifierOpenApiDocument(): Record<string, unknown> {
  return openApiDocument(VERIFIER_API);
}
