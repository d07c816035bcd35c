/**
 * The endpoints of both services with a valid body each, and random requests to them: a field
 * edited or raw text for a body, any key kind, odd path parameters and content types.
 */
import fc from "fast-check";
import type { Challenge, Presentation } from "../../client/index.js";
import { SAMPLE_POLICY_ID, samplePolicy } from "../../deploy/local.js";
import type { ApiStack, RawRequest } from "../api-stack.js";
import { edit, editArb, fromPlain, paths, R, rawBodies, toJson } from "./values.js";

export const CONTENT_TYPES: readonly (string | null)[] = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "application/jsonx",
  "APPLICATION/JSON",
  "application/merge-patch+json",
  "*/*",
  null,
];

export const ODD_IDS = [
  "%00",
  "%2e%2e%2f%2e%2e%2fetc",
  "..",
  "%E0%A4%A",
  "%",
  "%zz",
  "%ED%A0%80",
  "%F0%9F%98%80",
  "%C0%AF",
  "a".repeat(300),
  "cpk.x.y",
  "__proto__",
  "constructor",
  "1e400",
  "-1",
  "0",
  "00",
  R.toString(),
  (R - 1n).toString(),
  (2n ** 256n).toString(),
  "query",
  "commitment",
  "pilot-credit-v1",
  "%20",
  "a%2Fb",
];

export const pathParam: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ODD_IDS),
  fc.string({ unit: "grapheme", maxLength: 30 }).map((s) => encodeURIComponent(s) || "x"),
  fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
);

export const GARBAGE_KEYS = [
  "cpk.abc.def",
  "cpk..",
  "cpk",
  "admin",
  "Bearer",
  "x".repeat(5000),
  "cpk.%00.x",
  "null",
  "' OR 1=1 --",
];

/** Which key a request carries: `other` is a second client's, never the owner of a challenge. */
export type KeyKind = "none" | "client" | "other" | "admin" | "garbage";

/** An endpoint the fuzz sends to, with a valid body to mutate. */
export interface Endpoint {
  readonly service: "verifier" | "prover";
  readonly method: string;
  /** The route, as in the figures. */
  readonly route: string;
  /** Fills the path parameter. */
  readonly path: (param: string) => string;
  readonly template?: unknown;
  /** The key a valid request needs. */
  readonly key: KeyKind;
}

export interface Genuine {
  readonly challenge: Challenge;
  readonly presentation: Presentation;
}

export function endpoints(api: ApiStack, used: Genuine, receiptId: string): Endpoint[] {
  const bundle = {
    proof: used.presentation.proof,
    publicSignals: used.presentation.publicSignals,
  };
  const verification = { policyId: SAMPLE_POLICY_ID, presentation: used.presentation };
  const policy = {
    ...samplePolicy(api.stack.chain.registry.signer as string),
    id: "fuzz-policy",
  };
  const v = (method: string, route: string, key: KeyKind, template?: unknown): Endpoint => ({
    service: "verifier",
    method,
    route,
    key,
    path: (p) => route.replace(/\{[a-z]+\}/, p),
    ...(template === undefined ? {} : { template }),
  });
  return [
    v("POST", "/v1/policies", "admin", policy),
    v("GET", "/v1/policies", "client"),
    v("GET", "/v1/policies/{id}", "client"),
    v("POST", "/v1/challenges", "client", {
      policyId: SAMPLE_POLICY_ID,
      subjectHash: api.eligibleSubjectHash.toString(),
    }),
    v("GET", "/v1/challenges/{id}", "client"),
    v("POST", "/v1/verifications", "client", verification),
    v("POST", "/v1/verifications/batch", "client", { items: [verification, verification] }),
    {
      ...v("GET", "/v1/receipts/{id}", "client"),
      path: (p) => `/v1/receipts/${p === "0" ? receiptId : p}`,
    },
    v("GET", "/v1/roots/{root}", "client"),
    v("GET", "/v1/circuits", "client"),
    // An external circuit's registration: the commitment key under another name, so a body that
    // survives mutation whole is refused as taken (CIRCUIT_EXISTS) after the full key checks.
    v("POST", "/v1/circuits", "admin", {
      name: "fuzz-circuit",
      version: "1",
      verificationKey: api.stack.verifier.verifier.circuit("commitment").verificationKey,
    }),
    v("GET", "/v1/circuits/{name}", "client"),
    v("GET", "/v1/circuits/{name}/verification-key", "client"),
    { ...v("POST", "/v1/circuits/{name}/verify", "client", bundle), path: verifyPath },
    {
      ...v("POST", "/v1/circuits/{name}/verify/batch", "client", { items: [bundle, bundle] }),
      path: (p) => `${verifyPath(p)}/batch`,
    },
    v("POST", "/v1/api-keys", "admin", { name: "fuzz" }),
    v("GET", "/v1/api-keys", "admin"),
    v("DELETE", "/v1/api-keys/{id}", "admin"),
    v("GET", "/healthz", "none"),
    v("GET", "/readyz", "none"),
    v("GET", "/metrics", "none"),
    v("GET", "/openapi.json", "none"),
    v("GET", "/docs", "none"),
    v("PUT", "/v1/policies", "admin", policy),
    v("PATCH", "/v1/verifications", "client", verification),
    v("GET", "/v1/{id}", "client"),
    v("POST", "/{id}", "none", {}),
    {
      service: "prover",
      method: "POST",
      route: "prover /v1/presentations",
      key: "none",
      path: () => "/v1/presentations",
      template: { recordId: "fuzz-unknown-record", challenge: used.challenge },
    },
    {
      service: "prover",
      method: "POST",
      route: "prover /v1/presentations/batch",
      key: "none",
      path: () => "/v1/presentations/batch",
      template: { items: [{ recordId: "fuzz-unknown-record", challenge: used.challenge }] },
    },
    {
      service: "prover",
      method: "GET",
      route: "prover /healthz",
      key: "none",
      path: () => "/healthz",
    },
    {
      service: "prover",
      method: "GET",
      route: "prover /metrics",
      key: "none",
      path: () => "/metrics",
    },
    {
      service: "prover",
      method: "GET",
      route: "prover /{id}",
      key: "none",
      path: (p) => `/${p}`,
    },
  ];
}

/** The verify path: mostly the real circuit, sometimes an odd name. */
export function verifyPath(p: string): string {
  return `/v1/circuits/${/^[a-z0-9]/.test(p) && p.length > 12 ? "query" : p}/verify`;
}

/** One generated request, with what it targets. */
export interface FuzzRequest extends Omit<RawRequest, "body"> {
  readonly body?: string;
  readonly service: "verifier" | "prover";
  readonly route: string;
  /** The request's genuine meaning, when it has one: `valid: true` is allowed only for it. */
  readonly genuine?: "bundle" | "bundles" | "verification";
  readonly rawBody?: Uint8Array;
}

export function randomRequests(
  list: readonly Endpoint[],
  keys: Record<Exclude<KeyKind, "none" | "garbage">, string>,
): fc.Arbitrary<FuzzRequest> {
  const keyArb = fc.oneof(
    { weight: 6, arbitrary: fc.constant<KeyKind | "right">("right") },
    {
      weight: 1,
      arbitrary: fc.constantFrom<KeyKind>("none", "client", "other", "admin", "garbage"),
    },
  );
  return fc
    .tuple(
      fc.constantFrom(...list),
      keyArb,
      fc.constantFrom(...GARBAGE_KEYS),
      pathParam,
      fc.oneof(
        { weight: 5, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      fc.nat(),
    )
    .chain(([endpoint, keyKind, garbage, param, contentType, pick]) => {
      const kind = keyKind === "right" ? endpoint.key : keyKind;
      const key = kind === "none" ? undefined : kind === "garbage" ? garbage : keys[kind];
      const templateText =
        endpoint.template === undefined ? "{}" : toJson(fromPlain(endpoint.template));
      const template = fromPlain(endpoint.template ?? {});
      const targets = paths(template);
      const structured = fc
        .tuple(fc.constant(targets[pick % targets.length] ?? []), editArb)
        .map(([path, e]) => toJson(edit(template, path, e) ?? null));
      const body: fc.Arbitrary<string | Uint8Array | undefined> =
        endpoint.template === undefined
          ? fc.oneof(
              { weight: 8, arbitrary: fc.constant(undefined) },
              { weight: 1, arbitrary: structured },
              { weight: 1, arbitrary: rawBodies(templateText) },
            )
          : fc.oneof(
              { weight: 6, arbitrary: structured },
              { weight: 3, arbitrary: rawBodies(templateText) },
              { weight: 1, arbitrary: fc.constant(templateText) },
            );
      return body.map((b): FuzzRequest => {
        const genuine = endpoint.route.endsWith("/verify")
          ? "bundle"
          : endpoint.route.endsWith("/verify/batch")
            ? "bundles"
            : undefined;
        return {
          service: endpoint.service,
          route: endpoint.route,
          method: endpoint.method,
          path: endpoint.path(param),
          key,
          ...(typeof b === "string" ? { body: b } : {}),
          ...(b instanceof Uint8Array ? { rawBody: b } : {}),
          ...(contentType === undefined ? {} : { contentType }),
          ...(genuine === undefined ? {} : { genuine }),
        };
      });
    });
}
