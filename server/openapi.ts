/**
 * The verifier API's OpenAPI 3.1 document, generated (`api-doc.ts`) from the zod schemas the
 * service validates and answers with (`verifier-api.ts`).
 */
import { z } from "zod";
import { REASONS } from "../core/reasons.js";
import { errorResponse } from "../core/wire/common.js";
import {
  apiKeyCreatedResponse,
  apiKeyListResponse,
  apiKeyRequest,
  batchProofCheckRequest,
  batchProofCheckResponse,
  batchVerificationResponse,
  challengeRequest,
  challengeResponse,
  circuitDetailResponse,
  circuitListResponse,
  externalCircuitRequest,
  externalCircuitResponse,
  healthResponse,
  policyListResponse,
  policyResponse,
  presentationSchema,
  proofCheckRequest,
  proofCheckResponse,
  readinessResponse,
  receiptResponse,
  rootResponse,
  verificationKeyResponse,
  verificationResponse,
} from "../core/wire/verifier.js";
import { policyDefinition } from "../verifier/policy.js";
import {
  type ApiDescription,
  DOCUMENT_OPERATIONS,
  type Operation,
  openApiDocument,
} from "./api-doc.js";

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
    z.strictObject({ items: z.array(verificationRequestDoc).min(1).max(64) }),
    "input",
  ],
  Verification: [verificationResponse, "output"],
  BatchVerification: [batchVerificationResponse, "output"],
  Receipt: [receiptResponse, "output"],
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
  Health: [healthResponse, "output"],
  Readiness: [readinessResponse, "output"],
};

const OPERATIONS: Record<string, Record<string, Operation>> = {
  "/v1/policies": {
    post: {
      summary: "Create a policy (admin)",
      description:
        "Policies are immutable: a changed policy is a new id. Relative thresholds ({daysAgo}) are resolved when each challenge is issued.",
      tag: "policies",
      admin: true,
      body: "PolicyDefinition",
      ok: ["201", "Policy", "The stored policy"],
      errors: { "409": "A policy with this id exists (POLICY_EXISTS)" },
    },
    get: { summary: "List policies", tag: "policies", ok: ["200", "PolicyList", "All policies"] },
  },
  "/v1/policies/{id}": {
    get: {
      summary: "Read a policy",
      tag: "policies",
      params: ["id"],
      ok: ["200", "Policy", "The policy"],
      errors: { "404": "No such policy (NOT_FOUND)" },
    },
  },
  "/v1/challenges": {
    post: {
      summary: "Issue a one-time challenge for a policy",
      description:
        "Returns the nonce, the resolved query, schemaId, queryHash and expiry. Forward the whole answer to the holder's prover as the proof request.",
      tag: "challenges",
      body: "ChallengeRequest",
      ok: ["201", "Challenge", "The challenge"],
      errors: { "404": "No such policy (NOT_FOUND)" },
    },
  },
  "/v1/challenges/{id}": {
    get: {
      summary: "Read a challenge you issued and whether it was used (the admin reads all)",
      tag: "challenges",
      params: ["id"],
      ok: ["200", "Challenge", "The challenge, with consumedAt and receiptId"],
      errors: { "404": "No such challenge (NOT_FOUND)" },
    },
  },
  "/v1/verifications": {
    post: {
      summary: "Verify a presentation against a policy",
      description: `Checks, cheapest first: shape and ranges; the challenge (this verifier's, this policy's, unexpired, unused, consumed atomically); schemaId and queryHash; the root in the registry (accepted issuer, not revoked, current or within the grace period); the pairing check. A bad presentation is verified: false with reasons (${REASONS.join(", ")}), never a 5xx.`,
      tag: "verifications",
      body: "VerificationRequest",
      ok: ["200", "Verification", "The verdict and its receipt id"],
      errors: { "404": "No such policy (NOT_FOUND)" },
    },
  },
  "/v1/verifications/batch": {
    post: {
      summary: "Verify up to 64 presentations",
      description:
        "One result per item, in order: a verdict, or an error body for an item that could not be decided.",
      tag: "verifications",
      body: "BatchVerificationRequest",
      ok: ["200", "BatchVerification", "The verdicts"],
    },
  },
  "/v1/receipts/{id}": {
    get: {
      summary: "Read a receipt (yours; the admin reads all)",
      tag: "receipts",
      params: ["id"],
      ok: [
        "200",
        "Receipt",
        "The receipt: ids, time, policy, root, issuer, verdict; no record data",
      ],
      errors: { "404": "No such receipt (NOT_FOUND)" },
    },
  },
  "/v1/roots/{root}": {
    get: {
      summary: "A root's status in the on-chain registry",
      tag: "roots",
      params: ["root"],
      ok: ["200", "RootStatus", "What the registry records about the root"],
    },
  },
  "/v1/circuits": {
    get: {
      summary: "List the circuits this verifier checks",
      tag: "circuits",
      ok: ["200", "CircuitList", "The circuits"],
    },
    post: {
      summary: "Register an external Groth16 circuit's verification key (admin)",
      description:
        "Another system's circom/snarkjs BN254 Groth16 circuit: the key is checked as crossproof's own are on load " +
        "(γ ≠ δ, IC count = nPublic + 1, every point on its curve and in its subgroup; KEY_INVALID naming the check), " +
        "its hash is registered on the verifier's chain as a release of kind external (the chain admin's key), " +
        "and its proofs can then be checked with /v1/circuits/{name}/verify. The same registration again answers 200.",
      tag: "circuits",
      admin: true,
      body: "ExternalCircuitRequest",
      ok: ["201", "ExternalCircuit", "The registered circuit"],
      errors: {
        "409": "The name is one of ours, or registered with another key (CIRCUIT_EXISTS)",
        "503":
          "No chain admin key configured (CHAIN_CONFIG), or the chain is unreachable (REGISTRY_UNAVAILABLE)",
      },
    },
  },
  "/v1/circuits/{name}": {
    get: {
      summary: "A circuit and its release manifest",
      tag: "circuits",
      params: ["name"],
      ok: ["200", "Circuit", "The circuit"],
      errors: { "404": "No such circuit (NOT_FOUND)" },
    },
  },
  "/v1/circuits/{name}/verification-key": {
    get: {
      summary: "A circuit's Groth16 verification key (snarkjs JSON)",
      tag: "circuits",
      params: ["name"],
      ok: ["200", "VerificationKey", "The key"],
      errors: { "404": "No such circuit (NOT_FOUND)" },
    },
  },
  "/v1/circuits/{name}/verify": {
    post: {
      summary: "Check any Groth16 proof against a circuit's key",
      description:
        "Shape, ranges (as many public signals as the key's nPublic: MALFORMED otherwise), curve and subgroup checks " +
        "and the pairing check; no policy, challenge or root. For an external circuit, its release must also be " +
        "registered on chain and not retired (CIRCUIT_UNREGISTERED, CIRCUIT_RETIRED).",
      tag: "circuits",
      params: ["name"],
      body: "ProofCheckRequest",
      ok: ["200", "ProofCheck", "Whether the proof is valid"],
      errors: { "404": "No such circuit (NOT_FOUND)" },
    },
  },
  "/v1/circuits/{name}/verify/batch": {
    post: {
      summary: "Check up to 64 Groth16 proofs against a circuit's key, in one batch",
      description:
        "Each item is checked as by /verify; the well-formed ones share one pairing product " +
        "(bad ones are found by bisection). Results in the order of the items.",
      tag: "circuits",
      params: ["name"],
      body: "BatchProofCheckRequest",
      ok: ["200", "BatchProofCheck", "One result per item"],
      errors: { "404": "No such circuit (NOT_FOUND)" },
    },
  },
  "/v1/api-keys": {
    post: {
      summary: "Create a client API key (admin)",
      tag: "api keys",
      admin: true,
      body: "ApiKeyRequest",
      ok: ["201", "ApiKeyCreated", "The key, shown once"],
    },
    get: {
      summary: "List API keys (admin)",
      tag: "api keys",
      admin: true,
      ok: ["200", "ApiKeyList", "The keys, without secrets"],
    },
  },
  "/v1/api-keys/{id}": {
    delete: {
      summary: "Revoke an API key (admin)",
      tag: "api keys",
      admin: true,
      params: ["id"],
      ok: ["204", null, "Revoked"],
      errors: { "404": "No such live key (NOT_FOUND)" },
    },
  },
  "/healthz": {
    get: {
      summary: "Liveness",
      tag: "operations",
      public: true,
      ok: ["200", "Health", "The process answers"],
    },
  },
  "/readyz": {
    get: {
      summary: "Readiness: artifacts loaded, store and registry reachable, workers up",
      tag: "operations",
      public: true,
      ok: ["200", "Readiness", "Ready"],
      errors: { "503": "Not ready (the body says which check failed)" },
      errorSchemas: { "503": "Readiness" },
    },
  },
  ...DOCUMENT_OPERATIONS,
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
    "operations",
  ],
  components: COMPONENTS,
  operations: OPERATIONS,
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
