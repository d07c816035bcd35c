/**
 * The verifier API's OpenAPI 3.1 document, generated from the zod schemas the service validates
 * and answers with (`verifier-api.ts`), and a static human-readable page of it for `/docs`
 * (server-rendered HTML: no scripts, nothing loaded from elsewhere).
 */
import { z } from "zod";
import { policyDefinition } from "../verifier/policy.js";
import { REASONS } from "../verifier/reasons.js";
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
  errorResponse,
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
} from "./verifier-api.js";

type JsonSchema = Record<string, unknown>;

function schema(s: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

const verificationRequestDoc = z.strictObject({
  policyId: z.string(),
  presentation: presentationSchema,
});

/** The named schemas of the document (`#/components/schemas/<name>`). */
const COMPONENTS: Record<string, [z.ZodType, "input" | "output"]> = {
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

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ content: { "application/json": { schema: ref(name) } } });
const error = (description: string) => ({ description, ...json("Error") });

const COMMON_ERRORS = {
  "400": error("Malformed request (INVALID_REQUEST and others)"),
  "401": error("No valid API key (UNAUTHORIZED)"),
  "413": error("Body over the limit (BODY_TOO_LARGE)"),
  "415": error("Body not application/json (UNSUPPORTED_MEDIA_TYPE)"),
  "429": error("Rate limit (RATE_LIMITED); see Retry-After"),
  "503": error(
    "Nothing decided; retry after Retry-After (REGISTRY_UNAVAILABLE, QUEUE_FULL, STORE_UNAVAILABLE, REQUEST_TIMEOUT, SERVICE_UNAVAILABLE)",
  ),
};

interface Operation {
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly admin?: boolean;
  readonly public?: boolean;
  readonly body?: string;
  readonly params?: readonly string[];
  readonly ok: [status: string, schema: string | null, description: string];
  readonly errors?: Record<string, string>;
}

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
        "Shape, ranges, curve and subgroup checks and the pairing check; no policy, challenge or root.",
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
    },
  },
  "/openapi.json": {
    get: {
      summary: "This document (OpenAPI 3.1)",
      tag: "operations",
      public: true,
      ok: ["200", null, "The document"],
    },
  },
  "/docs": {
    get: {
      summary: "This document as a web page",
      tag: "operations",
      public: true,
      ok: ["200", null, "HTML"],
    },
  },
  "/metrics": {
    get: {
      summary: "Prometheus metrics",
      tag: "operations",
      public: true,
      ok: ["200", null, "Prometheus text format"],
    },
  },
};

/** Answers that are not one of the JSON schemas: their media types. */
const MEDIA: Record<string, string> = {
  "/metrics": "text/plain",
  "/docs": "text/html",
  "/openapi.json": "application/json",
};

/** The OpenAPI 3.1 document of the verifier API. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, methods] of Object.entries(OPERATIONS)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(methods)) {
      const [status, schemaName, description] = op.ok;
      const responses: Record<string, unknown> = {
        [status]: schemaName
          ? { description, ...json(schemaName) }
          : {
              description,
              ...(MEDIA[path]
                ? {
                    content: {
                      [MEDIA[path]]: {
                        schema: { type: path === "/openapi.json" ? "object" : "string" },
                      },
                    },
                  }
                : {}),
            },
      };
      if (!op.public) Object.assign(responses, COMMON_ERRORS);
      if (op.admin) responses["403"] = error("Needs the admin key (FORBIDDEN)");
      // Only requests with a body can be too large.
      if (!op.body) {
        delete responses["413"];
        delete responses["415"];
      }
      for (const [code, text] of Object.entries(op.errors ?? {})) {
        responses[code] =
          code === "503" && path === "/readyz"
            ? { description: text, ...json("Readiness") }
            : error(text);
      }
      paths[path][method] = {
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        tags: [op.tag],
        operationId: `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
        ...(op.public ? { security: [] } : {}),
        ...(op.params
          ? {
              parameters: op.params.map((name) => ({
                name,
                in: "path",
                required: true,
                schema: { type: "string" },
              })),
            }
          : {}),
        ...(op.body ? { requestBody: { required: true, ...json(op.body) } } : {}),
        responses,
      };
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "crossproof verifier API",
      version: "1.0.0",
      description:
        "Check zero-knowledge proofs that a record meets a policy, against roots anchored on chain, with one-time challenges. The verifier never receives a raw record field.",
    },
    servers: [{ url: "/" }],
    security: [{ apiKey: [] }],
    tags: [
      "policies",
      "challenges",
      "verifications",
      "receipts",
      "roots",
      "circuits",
      "api keys",
      "operations",
    ].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "authorization: Bearer <API key>" },
      },
      schemas: Object.fromEntries(
        Object.entries(COMPONENTS).map(([name, [s, io]]) => [name, schema(s, io)]),
      ),
    },
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A static HTML page describing the document (for people; `/openapi.json` is for tools). */
export function apiDocsHtml(document: Record<string, unknown>, notice?: string): string {
  const doc = document as {
    info: { title: string; description: string; version: string };
    paths: Record<
      string,
      Record<
        string,
        {
          summary: string;
          description?: string;
          security?: unknown[];
          requestBody?: { content: Record<string, { schema: { $ref: string } }> };
          responses: Record<
            string,
            { description: string; content?: Record<string, { schema: { $ref?: string } }> }
          >;
        }
      >
    >;
    components: { schemas: Record<string, unknown> };
  };
  const refName = (r?: string) => r?.split("/").pop();
  const sections = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const body = refName(op.requestBody?.content["application/json"]?.schema.$ref);
      const responses = Object.entries(op.responses)
        .map(([code, r]) => {
          const name = refName(r.content?.["application/json"]?.schema.$ref);
          return `<li><code>${code}</code> ${escapeHtml(r.description)}${name ? ` — <a href="#schema-${name}">${name}</a>` : ""}</li>`;
        })
        .join("");
      return `<section><h3><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary)}${op.security ? " <em>(no key needed)</em>" : ""}</p>
${op.description ? `<p>${escapeHtml(op.description)}</p>` : ""}
${body ? `<p>Body: <a href="#schema-${body}">${body}</a></p>` : ""}
<ul>${responses}</ul></section>`;
    }),
  );
  const schemas = Object.entries(doc.components.schemas)
    .map(
      ([name, s]) =>
        `<section id="schema-${name}"><h3>${name}</h3><pre>${escapeHtml(JSON.stringify(s, null, 2))}</pre></section>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f5;padding:.75rem;overflow:auto}
section{border-top:1px solid #ddd;padding:.25rem 0}.m{display:inline-block;min-width:4.5rem;color:#05a}
</style></head><body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
${notice ? `<p role="alert" style="border:2px solid #b00;padding:.5rem;color:#b00"><strong>Warning:</strong> ${escapeHtml(notice)}</p>` : ""}
<p>${escapeHtml(doc.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Every <code>/v1</code> route needs <code>authorization: Bearer &lt;API key&gt;</code>.</p>
<h2>Operations</h2>
${sections.join("\n")}
<h2>Schemas</h2>
${schemas}
</body></html>
`;
}
