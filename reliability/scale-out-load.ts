/**
 * Requests and checks the scale-out suites share: raw HTTP with the status kept, presentations
 * made ahead of use (proving is the slow part), presentations that are decided without a
 * pairing check (a real proof sent with another challenge: refused as CHALLENGE_MISMATCH, the
 * challenge consumed), and the shared database's view of what was decided.
 */
import { randomBytes } from "node:crypto";
import pLimit from "p-limit";
import { ApiError, type Challenge, type Presentation } from "../client/index.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import type { VerificationKey } from "../infra/artifacts.js";
import { rerandomizeProof } from "../support/rerandomize.js";
import type { ScaleOut } from "./scale-out-stack.js";

/** One answer, or the transport failure of a request (an instance killed under it). */
export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly retryAfter: string | null;
}

/** Sends one JSON request; status 0 when no answer came (connection refused or reset). */
export async function send(
  url: string,
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // metrics, or an empty 204
    }
    return {
      status: response.status,
      body: parsed,
      retryAfter: response.headers.get("retry-after"),
    };
  } catch {
    return { status: 0, body: {}, retryAfter: null };
  }
}

/** Presents `presentation` to `url` with the sample policy. */
export function present(url: string, key: string, presentation: unknown): Promise<Answer> {
  return send(url, "POST", "/v1/verifications", key, {
    policyId: SAMPLE_POLICY_ID,
    presentation,
  });
}

/**
 * Fresh challenges with valid presentations, made `concurrency` at a time, in order. A proof the
 * prover gives up on (504 PROVE_TIMEOUT, 503 QUEUE_FULL on a busy machine: nothing was made) is
 * asked again for the same challenge, up to five times.
 */
export function presentationsAhead(
  scale: ScaleOut,
  count: number,
  concurrency = 2,
): Promise<{ challenge: Challenge; presentation: Presentation }>[] {
  const limit = pLimit(concurrency);
  const { api } = scale;
  const made = Array.from({ length: count }, () =>
    limit(async () => {
      const challenge = await api.freshChallenge();
      for (let attempt = 1; ; attempt++) {
        try {
          const presentation = await api.prover.present(
            api.stack.applicants.eligible.recordId,
            challenge,
          );
          return { challenge, presentation };
        } catch (err) {
          const retry = err instanceof ApiError && (err.status === 503 || err.status === 504);
          if (!retry || attempt >= 5) throw err;
        }
      }
    }),
  );
  // A test that fails half-way leaves the rest unread: their failures are not "unhandled".
  for (const p of made) p.catch(() => undefined);
  return made;
}

/** A real proof sent with another (fresh) challenge: decided, refused, challenge consumed. */
export function mismatched(template: Presentation, challengeId: string): Presentation {
  return { ...template, challengeId };
}

/** Per challenge: receipts that consumed it (not CHALLENGE_CONSUMED/EXPIRED ones), and verified ones. */
export interface Decisions {
  readonly consuming: number;
  readonly verified: number;
}

/** What the shared database holds for each of `challengeIds`. */
export async function decisionsOf(
  scale: ScaleOut,
  challengeIds: readonly string[],
): Promise<Map<string, Decisions>> {
  const rows = await scale.query<{ challenge_id: string; consuming: string; verified: string }>(
    `SELECT challenge_id,
            count(*) FILTER (WHERE NOT (reasons::jsonb ?| array['CHALLENGE_CONSUMED', 'CHALLENGE_EXPIRED'])) AS consuming,
            count(*) FILTER (WHERE verified) AS verified
       FROM receipts WHERE challenge_id = ANY($1) GROUP BY challenge_id`,
    [challengeIds],
  );
  const out = new Map<string, Decisions>();
  for (const id of challengeIds) out.set(id, { consuming: 0, verified: 0 });
  for (const r of rows) {
    out.set(r.challenge_id, { consuming: Number(r.consuming), verified: Number(r.verified) });
  }
  return out;
}

/** The receipt ids among `ids` that the shared database does not hold. */
export async function missingReceipts(scale: ScaleOut, ids: readonly string[]): Promise<string[]> {
  const rows = await scale.query<{ id: string }>("SELECT id FROM receipts WHERE id = ANY($1)", [
    ids,
  ]);
  const held = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !held.has(id));
}

/** The receipt id of a decided answer (200), else undefined. */
export function receiptIdOf(answer: Answer): string | undefined {
  return answer.status === 200 && typeof answer.body.receiptId === "string"
    ? answer.body.receiptId
    : undefined;
}

/** The reason codes of a decided answer. */
export function reasonsOf(answer: Answer): string[] {
  const reasons = answer.body.reasons as { code: string }[] | undefined;
  return (reasons ?? []).map((r) => r.code);
}

/**
 * A copy of challenge `challengeId` under a new id, unused and valid for an hour, written
 * straight into the shared database: a proof binds its challenge's nonce, not the challenge's
 * id, so a re-randomised copy of the proof made for `challengeId` is a valid, distinct
 * presentation for the copy. Lets a suite decide many challenges with genuine proofs at the cost
 * of one proof (issuing, not deciding, is what this skips).
 */
export async function copyChallenge(scale: ScaleOut, challengeId: string): Promise<string> {
  const id = `ch_${randomBytes(16).toString("base64url")}`;
  const copied = await scale.query(
    `INSERT INTO challenges (id, policy_id, nonce, schema_id, query_hash, predicates, query,
                             issued_at, expires_at, client_id, consumed_at, receipt_id)
     SELECT $2, policy_id, nonce, schema_id, query_hash, predicates, query,
            now(), now() + interval '1 hour', client_id, NULL, NULL
       FROM challenges WHERE id = $1
     RETURNING id`,
    [challengeId, id],
  );
  if (copied.length !== 1) throw new Error(`no challenge ${challengeId} to copy`);
  return id;
}

/** A valid presentation for `challengeId`: a re-randomised copy of `template`'s proof. */
export async function rerandomizedFor(
  verificationKey: VerificationKey,
  template: Presentation,
  challengeId: string,
): Promise<Presentation> {
  const bundle = await rerandomizeProof(verificationKey, template);
  return { challengeId, proof: bundle.proof, publicSignals: bundle.publicSignals };
}
