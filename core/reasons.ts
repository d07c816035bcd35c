/**
 * Why a presentation was not verified: stable reason codes that clients act on (never renamed),
 * each with a short explanation for people. A verdict lists every failed check it reached.
 */

/** Reason codes, in the order the checks run (cheapest first). */
export const Reason = {
  /** Shapes, counts, a signal ≥ r, or a proof point off the curve or outside its subgroup. */
  MALFORMED: "MALFORMED",
  /** This verifier never issued the challenge. */
  CHALLENGE_UNKNOWN: "CHALLENGE_UNKNOWN",
  /** The challenge was issued for another policy. */
  CHALLENGE_POLICY_MISMATCH: "CHALLENGE_POLICY_MISMATCH",
  /** The challenge's lifetime ended. */
  CHALLENGE_EXPIRED: "CHALLENGE_EXPIRED",
  /** The challenge was used by an earlier presentation. */
  CHALLENGE_CONSUMED: "CHALLENGE_CONSUMED",
  /** The proof's challenge signal is not the challenge's nonce. */
  CHALLENGE_MISMATCH: "CHALLENGE_MISMATCH",
  /** The proof is about another schema than the policy's. */
  SCHEMA_MISMATCH: "SCHEMA_MISMATCH",
  /** The proof answers another query (other thresholds, or another subject). */
  QUERY_MISMATCH: "QUERY_MISMATCH",
  /** The proof's root is not the root the caller expected (statement-level check only). */
  ROOT_MISMATCH: "ROOT_MISMATCH",
  /** No issuer ever anchored the proof's root. */
  ROOT_UNKNOWN: "ROOT_UNKNOWN",
  /** The root was anchored for another schema. */
  ROOT_SCHEMA_MISMATCH: "ROOT_SCHEMA_MISMATCH",
  /** The root's issuer is not one the policy accepts. */
  ISSUER_NOT_ACCEPTED: "ISSUER_NOT_ACCEPTED",
  /** The root's issuer was removed from the registry. */
  ISSUER_REMOVED: "ISSUER_REMOVED",
  /** The issuer revoked the root. */
  ROOT_REVOKED: "ROOT_REVOKED",
  /** The issuer replaced the root longer ago than the policy's grace period. */
  ROOT_REPLACED: "ROOT_REPLACED",
  /**
   * The proof's circuit release (its verification key, or the version the presentation names)
   * is not registered on the verifier's chain, or this verifier does not hold its key.
   */
  CIRCUIT_UNREGISTERED: "CIRCUIT_UNREGISTERED",
  /** The release was retired on chain and its grace period is over. */
  CIRCUIT_RETIRED: "CIRCUIT_RETIRED",
  /** The release is registered, but the policy does not name it among those it accepts. */
  CIRCUIT_NOT_ACCEPTED: "CIRCUIT_NOT_ACCEPTED",
  /**
   * A linked presentation's records are not shown to be about the same subject: their link
   * outputs differ (or one is 0, linking off), or a record's proof is missing or extra.
   */
  LINK_MISMATCH: "LINK_MISMATCH",
  /** The Groth16 pairing check failed. */
  PROOF_INVALID: "PROOF_INVALID",
} as const;

/** A reason code. */
export type Reason = (typeof Reason)[keyof typeof Reason];

/** Every reason code, in check order. */
export const REASONS = Object.values(Reason);

const MESSAGES: Record<Reason, string> = {
  MALFORMED: "the presentation is malformed",
  CHALLENGE_UNKNOWN: "no challenge with this id was issued to this API key",
  CHALLENGE_POLICY_MISMATCH: "the challenge was issued for another policy",
  CHALLENGE_EXPIRED: "the challenge has expired",
  CHALLENGE_CONSUMED: "the challenge was already used",
  CHALLENGE_MISMATCH: "the proof was made for another challenge",
  SCHEMA_MISMATCH: "the proof is about another schema",
  QUERY_MISMATCH: "the proof answers another query than the challenge's",
  ROOT_MISMATCH: "the proof is against another root",
  ROOT_UNKNOWN: "no issuer anchored the proof's root",
  ROOT_SCHEMA_MISMATCH: "the root was anchored for another schema",
  ISSUER_NOT_ACCEPTED: "the root's issuer is not accepted by the policy",
  ISSUER_REMOVED: "the root's issuer was removed from the registry",
  ROOT_REVOKED: "the issuer revoked the root",
  ROOT_REPLACED: "the root was replaced longer ago than the policy's grace period",
  CIRCUIT_UNREGISTERED: "the proof's circuit release is not registered on the verifier's chain",
  CIRCUIT_RETIRED: "the proof's circuit release was retired and its grace period is over",
  CIRCUIT_NOT_ACCEPTED: "the proof's circuit release is not one the policy accepts",
  LINK_MISMATCH: "the linked records are not shown to be about the same subject",
  PROOF_INVALID: "the proof does not verify",
};

/** A failed check: its code and a short explanation (with specifics for MALFORMED). */
export interface FailedCheck {
  readonly code: Reason;
  readonly message: string;
  /**
   * Linked policies: the record the check is about (0 the policy's own, i its i-th linked
   * record); left out for a check about the whole presentation, and for single-record policies.
   */
  readonly record?: number;
}

/** The failed check for `code`, with an optional specific message. */
export function failed(code: Reason, message?: string): FailedCheck {
  return { code, message: message ?? MESSAGES[code] };
}
