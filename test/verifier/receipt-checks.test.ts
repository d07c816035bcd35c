/**
 * The checks of a receipt (`verifier/receipt-checks.ts`): what passed, failed, did not run, or
 * ran without a recorded outcome, for each way the verifier decides (`verifier.ts`).
 */
import { describe, expect, it } from "vitest";
import { REASONS, Reason } from "../../core/reasons.js";
import { PRESENTATION_CHECKS, receiptChecks } from "../../verifier/receipt-checks.js";
import type { Receipt } from "../../verifier/store.js";

const base: Receipt = {
  id: "rc_1",
  createdAt: new Date("2026-06-01T08:00:00Z"),
  policyId: "p",
  challengeId: "ch_1",
  root: 123n,
  issuer: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
  verified: true,
  reasons: [],
  clientId: "c",
};

const refused = (reasons: string[], root: bigint | null = 123n): Receipt => ({
  ...base,
  verified: false,
  reasons,
  root,
  issuer: root === null ? null : base.issuer,
});

/** The outcomes by check name, compactly. */
function outcomes(receipt: Receipt): Record<string, string> {
  return Object.fromEntries(
    receiptChecks(receipt).map((c) => [c.check, c.reason ? `${c.outcome}:${c.reason}` : c.outcome]),
  );
}

const names = PRESENTATION_CHECKS.map((c) => c.check);
const all = (outcome: string, only?: readonly string[]) =>
  Object.fromEntries((only ?? names).map((n) => [n, outcome]));
const STATEMENT_ON = names.slice(5);

describe("receiptChecks", () => {
  it("names a check for every reason code a presentation can be refused with", () => {
    const covered = new Set(PRESENTATION_CHECKS.map((c) => c.reason));
    // ROOT_MISMATCH belongs to statement-level checks with an expected root, not presentations.
    expect(REASONS.filter((r) => !covered.has(r))).toEqual([Reason.ROOT_MISMATCH]);
    expect(new Set(names).size).toBe(names.length);
    for (const c of receiptChecks(base)) expect(c.description.length).toBeGreaterThan(10);
  });

  it("passes every check of a verified receipt", () => {
    expect(outcomes(base)).toEqual(all("passed"));
  });

  it("stops at a malformed presentation: nothing after it ran", () => {
    expect(outcomes(refused([Reason.MALFORMED], null))).toEqual({
      ...all("not-run"),
      "presentation-shape": "failed:MALFORMED",
    });
  });

  it("stops at the first failed challenge check, in order", () => {
    expect(outcomes(refused([Reason.CHALLENGE_UNKNOWN], null))).toEqual({
      ...all("not-run"),
      "presentation-shape": "passed",
      "challenge-issued": "failed:CHALLENGE_UNKNOWN",
    });
    expect(outcomes(refused([Reason.CHALLENGE_EXPIRED], null))).toEqual({
      ...all("not-run"),
      "presentation-shape": "passed",
      "challenge-issued": "passed",
      "challenge-policy": "passed",
      "challenge-unused": "passed",
      "challenge-unexpired": "failed:CHALLENGE_EXPIRED",
    });
  });

  it("runs every statement and root check, but skips the proof, when one fails", () => {
    const got = outcomes(
      refused([Reason.QUERY_MISMATCH, Reason.ISSUER_NOT_ACCEPTED, Reason.ROOT_REPLACED]),
    );
    expect(got).toEqual({
      ...all("passed"),
      query: "failed:QUERY_MISMATCH",
      "issuer-accepted": "failed:ISSUER_NOT_ACCEPTED",
      "root-current": "failed:ROOT_REPLACED",
      "proof-points": "not-run",
      pairing: "not-run",
    });
  });

  it("skips the root's other checks for an unknown root, the release's for an unregistered one", () => {
    expect(outcomes(refused([Reason.ROOT_UNKNOWN, Reason.CIRCUIT_UNREGISTERED]))).toEqual({
      ...all("passed"),
      "root-anchored": "failed:ROOT_UNKNOWN",
      "issuer-accepted": "not-run",
      "issuer-registered": "not-run",
      "root-schema": "not-run",
      "root-not-revoked": "not-run",
      "root-current": "not-run",
      "circuit-registered": "failed:CIRCUIT_UNREGISTERED",
      "circuit-not-retired": "not-run",
      "circuit-accepted": "not-run",
      "proof-points": "not-run",
      pairing: "not-run",
    });
  });

  it("tells bad points (pairing not run) from a failed pairing", () => {
    expect(outcomes(refused([Reason.MALFORMED]))).toEqual({
      ...all("passed"),
      "proof-points": "failed:MALFORMED",
      pairing: "not-run",
    });
    expect(outcomes(refused([Reason.PROOF_INVALID]))).toEqual({
      ...all("passed"),
      pairing: "failed:PROOF_INVALID",
    });
  });

  it("says a challenge lost at consumption left the later checks' outcomes unrecorded", () => {
    expect(outcomes(refused([Reason.CHALLENGE_CONSUMED]))).toEqual({
      ...all("not-recorded", STATEMENT_ON),
      "presentation-shape": "passed",
      "challenge-issued": "passed",
      "challenge-policy": "passed",
      "challenge-unused": "failed:CHALLENGE_CONSUMED",
      "challenge-unexpired": "passed",
    });
  });

  it("gives a reason only on failed checks", () => {
    for (const c of receiptChecks(refused([Reason.ROOT_REVOKED]))) {
      expect(c.reason !== undefined).toBe(c.outcome === "failed");
    }
  });
});
