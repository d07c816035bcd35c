/**
 * `crossproof/client`: a small typed client for the verifier API (and the holder's prover API),
 * over `fetch`. Every non-2xx answer becomes an {@link ApiError} carrying the service's stable
 * error code, except where an answer is a verdict (`verified: false` is a normal answer).
 *
 * ```ts
 * const verifier = new VerifierClient({ url: "http://127.0.0.1:8080", apiKey });
 * const challenge = await verifier.issueChallenge("pilot-credit-v1", subjectHash("credit-report-v1", "subjectId", "CN-1234"));
 * const presentation = await prover.present(recordId, challenge);   // inside the holder's boundary
 * const verdict = await verifier.verify("pilot-credit-v1", presentation);
 * ```
 */
import type { z } from "zod";
import { newLinkNonce } from "../core/link-nonce.js";
import { encodeFieldValue } from "../core/record.js";
import { getSchema } from "../core/schema.js";
import type { errorResponse, Presentation } from "../core/wire/common.js";
import type { PolicyInput } from "../core/wire/policy.js";
import type { LinkedPresentation } from "../core/wire/prover.js";
import type {
  apiKeyCreatedResponse,
  apiKeyListResponse,
  batchProofCheckResponse,
  batchVerificationResponse,
  challengeResponse,
  circuitDetailResponse,
  circuitListResponse,
  externalCircuitRequest,
  externalCircuitResponse,
  policyListResponse,
  policyResponse,
  proofCheckResponse,
  readinessResponse,
  receiptDetailResponse,
  rootResponse,
  verificationKeyResponse,
  verificationResponse,
} from "../core/wire/verifier.js";

export type Policy = z.output<typeof policyResponse>;
export type Challenge = z.output<typeof challengeResponse>;
export type Verification = z.output<typeof verificationResponse>;
export type BatchVerification = z.output<typeof batchVerificationResponse>;
export type ReceiptView = z.output<typeof receiptDetailResponse>;
export type RootView = z.output<typeof rootResponse>;
export type CircuitView = z.output<typeof circuitDetailResponse>;
export type CircuitList = z.output<typeof circuitListResponse>;
export type ExternalCircuitInput = z.input<typeof externalCircuitRequest>;
export type ExternalCircuitView = z.output<typeof externalCircuitResponse>;
export type VerificationKeyView = z.output<typeof verificationKeyResponse>;
export type ProofCheckView = z.output<typeof proofCheckResponse>;
export type BatchProofCheck = z.output<typeof batchProofCheckResponse>;
export type Readiness = z.output<typeof readinessResponse>;
export type ApiKeyCreated = z.output<typeof apiKeyCreatedResponse>;
export type ApiKeyList = z.output<typeof apiKeyListResponse>;
export type ErrorBody = z.output<typeof errorResponse>;

export type { LinkedPresentation, PolicyInput, Presentation };

/** An error answer of a crossproof service. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

/** Called with every answer (tests check each against the OpenAPI document). */
export type ResponseObserver = (answer: {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body: unknown;
}) => void;

/** Options of a client. */
export interface ClientOptions {
  /** The service's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly apiKey?: string;
  /** Per-request time limit (default 60 s). */
  readonly timeoutMs?: number;
  readonly onResponse?: ResponseObserver;
}

class HttpClient {
  readonly #url: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;
  readonly #onResponse: ResponseObserver | undefined;

  constructor(options: ClientOptions) {
    this.#url = options.url.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#onResponse = options.onResponse;
  }

  /** One request; the parsed JSON body of a 2xx answer, else an {@link ApiError}. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    accept: number[] = [],
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${this.#url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    this.#onResponse?.({ method, path, status: response.status, body: parsed });
    if (response.ok || accept.includes(response.status)) return parsed as T;
    const error = (parsed as Partial<ErrorBody> | null)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? "HTTP_ERROR",
      error?.message ?? response.statusText,
      error?.details ?? {},
    );
  }
}

/** A client of the verifier API. */
export class VerifierClient {
  readonly #http: HttpClient;

  constructor(options: ClientOptions) {
    this.#http = new HttpClient(options);
  }

  /** (admin) Creates a policy. */
  createPolicy(policy: PolicyInput | Record<string, unknown>): Promise<Policy> {
    return this.#http.request("POST", "/v1/policies", policy);
  }
  policy(id: string): Promise<Policy> {
    return this.#http.request("GET", `/v1/policies/${encodeURIComponent(id)}`);
  }
  async listPolicies(): Promise<Policy[]> {
    return (await this.#http.request<z.output<typeof policyListResponse>>("GET", "/v1/policies"))
      .policies;
  }

  /** Issues a one-time challenge; give `subjectHash` when the policy binds a subject. */
  issueChallenge(policyId: string, subjectHash?: bigint | string): Promise<Challenge> {
    return this.#http.request("POST", "/v1/challenges", {
      policyId,
      ...(subjectHash === undefined ? {} : { subjectHash: subjectHash.toString() }),
    });
  }
  challenge(id: string): Promise<Challenge> {
    return this.#http.request("GET", `/v1/challenges/${encodeURIComponent(id)}`);
  }

  /** Verifies a presentation (anything: malformed ones get `verified: false`). */
  verify(policyId: string, presentation: unknown): Promise<Verification> {
    return this.#http.request("POST", "/v1/verifications", { policyId, presentation });
  }
  verifyBatch(
    items: readonly { policyId: string; presentation: unknown }[],
  ): Promise<BatchVerification> {
    return this.#http.request("POST", "/v1/verifications/batch", { items });
  }

  receipt(id: string): Promise<ReceiptView> {
    return this.#http.request("GET", `/v1/receipts/${encodeURIComponent(id)}`);
  }
  root(root: bigint | string): Promise<RootView> {
    return this.#http.request("GET", `/v1/roots/${root.toString()}`);
  }

  async circuits(): Promise<CircuitList["circuits"]> {
    return (await this.#http.request<CircuitList>("GET", "/v1/circuits")).circuits;
  }
  /** The external circuits the admin registered. */
  async externalCircuits(): Promise<CircuitList["external"]> {
    return (await this.#http.request<CircuitList>("GET", "/v1/circuits")).external;
  }
  /**
   * (admin) Registers an external circom/snarkjs BN254 Groth16 circuit's verification key: checked,
   * registered on the verifier's chain as a release of kind external, then usable by
   * {@link checkProof} and {@link checkProofs}.
   */
  registerCircuit(circuit: ExternalCircuitInput): Promise<ExternalCircuitView> {
    return this.#http.request("POST", "/v1/circuits", circuit);
  }
  circuit(name: string): Promise<CircuitView> {
    return this.#http.request("GET", `/v1/circuits/${encodeURIComponent(name)}`);
  }
  verificationKey(name: string): Promise<VerificationKeyView> {
    return this.#http.request("GET", `/v1/circuits/${encodeURIComponent(name)}/verification-key`);
  }
  /** Checks any Groth16 proof against a circuit's verification key. */
  checkProof(
    name: string,
    bundle: { proof: unknown; publicSignals: unknown },
  ): Promise<ProofCheckView> {
    return this.#http.request("POST", `/v1/circuits/${encodeURIComponent(name)}/verify`, bundle);
  }
  /** Checks up to 64 Groth16 proofs against a circuit's key in one batch; results in order. */
  checkProofs(
    name: string,
    bundles: readonly { proof: unknown; publicSignals: unknown }[],
  ): Promise<BatchProofCheck> {
    return this.#http.request("POST", `/v1/circuits/${encodeURIComponent(name)}/verify/batch`, {
      items: bundles,
    });
  }

  /** (admin) Creates a client (or auditor) API key; the key is in the answer, once. */
  createApiKey(name: string, role: "client" | "auditor" = "client"): Promise<ApiKeyCreated> {
    return this.#http.request("POST", "/v1/api-keys", { name, role });
  }
  async listApiKeys(): Promise<ApiKeyList["keys"]> {
    return (await this.#http.request<ApiKeyList>("GET", "/v1/api-keys")).keys;
  }
  async revokeApiKey(id: string): Promise<void> {
    await this.#http.request("DELETE", `/v1/api-keys/${encodeURIComponent(id)}`);
  }

  health(): Promise<{ status: "ok" }> {
    return this.#http.request("GET", "/healthz");
  }
  /** Readiness; a not-ready answer (503) is returned, not thrown. */
  ready(): Promise<Readiness> {
    return this.#http.request("GET", "/readyz", undefined, [503]);
  }
  openApi(): Promise<Record<string, unknown>> {
    return this.#http.request("GET", "/openapi.json");
  }
}

/** A client of the holder's prover service (inside the holder's boundary). */
export class ProverClient {
  readonly #http: HttpClient;

  constructor(options: ClientOptions) {
    this.#http = new HttpClient(options);
  }

  /** Proves that a record meets a challenge's query. */
  async present(
    recordId: string,
    challenge: Challenge | Record<string, unknown>,
  ): Promise<Presentation> {
    return this.#http.request<Presentation>("POST", "/v1/presentations", { recordId, challenge });
  }

  /**
   * Proves one part of a (linked) challenge with a record of this prover (of its vault
   * `bureau`, default its first): `part` 0 is the top-level record, i its `linked[i-1]`;
   * `linkNonce` is the presentation's, required exactly when the part has a link.
   * {@link presentLinked} draws the nonce and assembles the parts.
   */
  async presentPart(
    recordId: string,
    challenge: Challenge | Record<string, unknown>,
    options: { part?: number; linkNonce?: bigint | string; bureau?: string } = {},
  ): Promise<Presentation> {
    return this.#http.request<Presentation>("POST", "/v1/presentations", {
      recordId,
      challenge,
      ...(options.bureau === undefined ? {} : { bureau: options.bureau }),
      ...(options.part === undefined ? {} : { part: options.part }),
      ...(options.linkNonce === undefined ? {} : { linkNonce: options.linkNonce.toString() }),
    });
  }

  /**
   * Proves every part of a linked challenge with records of this prover's vaults (one per part,
   * in order); the service draws the link nonce itself and answers the whole presentation.
   */
  async presentLinked(
    challenge: Challenge | Record<string, unknown>,
    records: readonly { recordId: string; bureau?: string }[],
  ): Promise<LinkedPresentation> {
    return this.#http.request<LinkedPresentation>("POST", "/v1/presentations/linked", {
      challenge,
      records,
    });
  }
}

/** One part of a linked presentation: the prover that holds the record, and the record. */
export interface LinkedPart {
  readonly prover: ProverClient;
  readonly recordId: string;
  /** The prover's vault that holds the record (default: its first). */
  readonly bureau?: string;
}

/** Whether part `part` of a challenge has a link (so takes the link nonce). */
function partHasLink(challenge: Record<string, unknown>, part: number): boolean {
  const linked = Array.isArray(challenge.linked) ? (challenge.linked as unknown[]) : [];
  const fields = part === 0 ? challenge : linked[part - 1];
  const link = (fields as { link?: unknown } | undefined)?.link;
  return typeof link === "number";
}

/**
 * The cross-border case of a linked challenge: each record is proved by the prover that holds
 * it (one bureau's prover service per part, in the challenge's order), so no record data
 * crosses. The link nonce is drawn here, on the holder's side, fresh for this presentation, and
 * sent only to the holder's own provers; the parts are asked for concurrently and assembled
 * into the presentation to forward to the verifier.
 */
export async function presentLinked(
  parts: readonly LinkedPart[],
  challenge: Challenge | Record<string, unknown>,
): Promise<LinkedPresentation> {
  const fields = challenge as Record<string, unknown>;
  const count = 1 + (Array.isArray(fields.linked) ? fields.linked.length : 0);
  if (parts.length !== count) {
    throw new RangeError(
      `the challenge has ${count} parts: give one record per part, not ${parts.length}`,
    );
  }
  const linkNonce = newLinkNonce();
  const proofs = await Promise.all(
    parts.map((p, part) =>
      p.prover.presentPart(p.recordId, challenge, {
        part,
        ...(p.bureau === undefined ? {} : { bureau: p.bureau }),
        ...(partHasLink(fields, part) ? { linkNonce } : {}),
      }),
    ),
  );
  const [first, ...rest] = proofs as [Presentation, ...Presentation[]];
  return {
    challengeId: first.challengeId,
    proof: first.proof,
    publicSignals: first.publicSignals,
    ...(rest.length === 0
      ? {}
      : { linked: rest.map((p) => ({ proof: p.proof, publicSignals: p.publicSignals })) }),
  };
}

/**
 * Registers an operator's own schema document (one added with `crossproof schemas add`) in this
 * process, so that {@link subjectHash} knows its fields; refused with `INVALID_SCHEMA` or
 * `SCHEMA_CONFLICT` as on the command line.
 */
export { registerSchema } from "../core/schema.js";

/**
 * The hash a verifier gives for a subject-binding policy: the subject field's value encoded as
 * the schema encodes it (for a `text` field, sha256 of the NFC UTF-8 text, shifted to the field),
 * computed on the verifier's side, so the identifier itself is never sent.
 */
export function subjectHash(schemaId: string, field: string, value: string): bigint {
  const schema = getSchema(schemaId);
  const slot = schema.slotOf.get(field);
  const definition = slot === undefined ? undefined : schema.fields[slot];
  if (!definition) throw new Error(`${schemaId} has no field "${field}"`);
  return encodeFieldValue(definition, value);
}
