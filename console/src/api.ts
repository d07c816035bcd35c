/**
 * The console's only way to the service: fetch on the same origin, the API key as a bearer token.
 * The key lives in this tab's sessionStorage (gone when the tab closes), never in a cookie or
 * localStorage. Error answers become `ApiError` with the service's stable code.
 */

const KEY_ITEM = "crossproof.apiKey";

/** The API key this tab signed in with, if any. */
export const storedKey = (): string | null => sessionStorage.getItem(KEY_ITEM);
export const storeKey = (key: string): void => sessionStorage.setItem(KEY_ITEM, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM);

/** An error answer of the service: its HTTP status, code, message and details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

async function request(
  method: string,
  path: string,
  body?: unknown,
  key = storedKey(),
  extra: Record<string, string> = {},
) {
  const headers: Record<string, string> = { accept: "application/json", ...extra };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new ApiError(0, "NETWORK", `the service did not answer (${(err as Error).message})`);
  }
  if (response.ok) return response;
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  let details: unknown;
  try {
    const answer = (await response.json()) as {
      error?: { code?: string; message?: string; details?: unknown };
    };
    if (answer.error?.code) code = answer.error.code;
    if (answer.error?.message) message = answer.error.message;
    details = answer.error?.details;
  } catch {
    // Not JSON: keep the status line.
  }
  throw new ApiError(response.status, code, message, details);
}

/** GET a JSON answer. */
export async function getJson<T>(path: string, key?: string): Promise<T> {
  return (await (await request("GET", path, undefined, key)).json()) as T;
}

/** GET a text answer (the audit log is NDJSON). */
export async function getText(path: string): Promise<string> {
  return (await request("GET", path)).text();
}

/** POST a JSON body, read the JSON answer. */
export async function postJson<T>(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  return (await (await request("POST", path, body, storedKey(), headers)).json()) as T;
}

/** A query string from the set values of `params`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// ---- the answers the console reads (docs: the service's /openapi.json) ----------------------

export type Role = "client" | "admin" | "auditor";

export interface Session {
  keyId: string;
  name: string;
  role: Role;
}

export interface Stats {
  from: string;
  to: string;
  perMinute: { minute: string; verified: number; refused: number }[];
  verdicts: { verified: number; refused: number };
  topReasons: { reason: string; count: number }[];
  latency: { count: number; p50: number; p90: number; p99: number } | null;
  batchSizes: { le: string | number; count: number }[];
  /** The parts that are this instance's alone. */
  perInstance?: string[];
}

export interface Reason {
  code: string;
  message?: string;
}

export interface Check {
  check: string;
  description: string;
  outcome: "passed" | "failed" | "not-run" | "not-recorded";
  reason?: string;
}

export interface Receipt {
  id: string;
  createdAt: string;
  policyId: string;
  challengeId: string | null;
  root: string | null;
  issuer: string | null;
  verified: boolean;
  reasons: Reason[];
  checks?: Check[];
  /** A linked policy's further records: each one's root and issuer. */
  linked?: { root: string; issuer: string | null }[];
}

export interface Policy {
  id: string;
  description?: string;
  schema: string;
  issuers: string[];
  createdAt: string;
  /** Each requirement in words, in query order. */
  conditions?: string[];
  /** The conditions as one sentence. */
  words?: string;
  [field: string]: unknown;
}

export interface PolicyPreview {
  id: string;
  schemaId: string;
  /** Null for a policy that binds a subject, unless a subject hash was given. */
  queryHash: string | null;
  asOf: string;
  subjectBound: boolean;
  /** A policy with this id exists: creating it would be refused. */
  exists: boolean;
  conditions: string[];
  words: string;
}

export interface ChainView {
  chainId: number;
  registry: string;
  issuers: { address: string; name: string; active: boolean }[];
  roots: {
    root: string;
    issuer: string;
    schemaId: string;
    anchoredAt: string;
    replacedAt: string | null;
    revokedAt: string | null;
  }[];
}

export interface Anchor {
  count: number;
  head: string;
  txHash: string;
  blockNumber: string | number;
  anchoredAt: string;
}

export interface AuditStatus {
  count: number;
  head: string;
  lastAnchor: Anchor | null;
  verifiedUpTo: number;
  unanchored: number;
  pending: { since: string; attempts: number; lastError: string | null } | null;
  contract: string | null;
  anchorer: string | null;
  chainId: number | null;
}

export interface Flows {
  by: string;
  bucket: string;
  from: string;
  to: string;
  rows: { bucket: string; key: string; count: number }[];
}

export interface Verification {
  verified: boolean;
  reasons: Reason[];
  disclosed: Record<string, unknown>;
  receiptId: string;
  policyId: string;
  challengeId: string | null;
  root: string | null;
  issuer: string | null;
  checkedAt: string;
}
