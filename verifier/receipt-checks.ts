/**
 * The checks behind a receipt, one by one, for people (the console's receipt page): which of the
 * verifier's named checks passed, which failed, and which did not run, derived from what the
 * receipt keeps (its verdict, reason codes and root), without storing more.
 *
 * How the verifier runs them (`verifier.ts`, `#screen` and `#decide`), and so what a receipt says:
 * 1. the presentation's shape: a failure stops everything (the receipt has no root);
 * 2. the challenge, in order (issued to this key, for this policy, unused, unexpired): the first
 *    failure stops everything (no root either);
 * 3. the statement (challenge signal, schema, query) and 4. the root and the circuit release:
 *    every check of these runs, except that an unknown root skips the root's other checks and an
 *    unregistered release the release's other checks;
 * 5. the proof's points and its pairing: only when 1–4 all passed; bad points skip the pairing.
 * Then the challenge is consumed with the receipt. If a concurrent presentation consumed it
 * first (or it expired or was purged meanwhile), the verdict of checks 3–5 is discarded and the
 * receipt says only that challenge reason: those checks ran, but their outcomes were not
 * recorded (`not-recorded`).
 */
import { Reason } from "../core/reasons.js";
import type { Receipt } from "./store.js";

/** What became of one check. */
export type CheckOutcome = "passed" | "failed" | "not-run" | "not-recorded";

/** One check of a receipt. */
export interface ReceiptCheck {
  /** The check's stable name. */
  readonly check: string;
  /** What it checks, for people. */
  readonly description: string;
  readonly outcome: CheckOutcome;
  /** The reason code it gives when it fails (only on a failed check). */
  readonly reason?: Reason;
}

type Stage = "shape" | "challenge" | "statement" | "root" | "release" | "proof";

interface CheckDefinition {
  readonly check: string;
  readonly stage: Stage;
  readonly reason: Reason;
  readonly description: string;
}

/** The verifier's checks of a presentation, in the order it runs them. */
export const PRESENTATION_CHECKS: readonly CheckDefinition[] = [
  {
    check: "presentation-shape",
    stage: "shape",
    reason: Reason.MALFORMED,
    description:
      "The presentation is well-formed: its exact shape, as many public signals as the key's, each below the field order",
  },
  {
    check: "challenge-issued",
    stage: "challenge",
    reason: Reason.CHALLENGE_UNKNOWN,
    description: "The challenge was issued by this verifier to this API key",
  },
  {
    check: "challenge-policy",
    stage: "challenge",
    reason: Reason.CHALLENGE_POLICY_MISMATCH,
    description: "The challenge was issued for this policy",
  },
  {
    check: "challenge-unused",
    stage: "challenge",
    reason: Reason.CHALLENGE_CONSUMED,
    description: "The challenge was not used before",
  },
  {
    check: "challenge-unexpired",
    stage: "challenge",
    reason: Reason.CHALLENGE_EXPIRED,
    description: "The challenge had not expired",
  },
  {
    check: "challenge-signal",
    stage: "statement",
    reason: Reason.CHALLENGE_MISMATCH,
    description: "The proof was made for this challenge (its nonce)",
  },
  {
    check: "schema",
    stage: "statement",
    reason: Reason.SCHEMA_MISMATCH,
    description: "The proof is about the policy's schema",
  },
  {
    check: "query",
    stage: "statement",
    reason: Reason.QUERY_MISMATCH,
    description: "The proof answers the challenge's query (its queryHash)",
  },
  {
    check: "records-linked",
    stage: "statement",
    reason: Reason.LINK_MISMATCH,
    description:
      "Linked policies: one proof per record, all with the same non-zero link output (the records share the linked field)",
  },
  {
    check: "root-anchored",
    stage: "root",
    reason: Reason.ROOT_UNKNOWN,
    description: "An issuer anchored the proof's root in the registry",
  },
  {
    check: "issuer-accepted",
    stage: "root",
    reason: Reason.ISSUER_NOT_ACCEPTED,
    description: "The root's issuer is one the policy accepts",
  },
  {
    check: "issuer-registered",
    stage: "root",
    reason: Reason.ISSUER_REMOVED,
    description: "The root's issuer is still registered",
  },
  {
    check: "root-schema",
    stage: "root",
    reason: Reason.ROOT_SCHEMA_MISMATCH,
    description: "The root was anchored for the policy's schema",
  },
  {
    check: "root-not-revoked",
    stage: "root",
    reason: Reason.ROOT_REVOKED,
    description: "The issuer has not revoked the root",
  },
  {
    check: "root-current",
    stage: "root",
    reason: Reason.ROOT_REPLACED,
    description: "The root is current, or was replaced within the policy's grace period",
  },
  {
    check: "circuit-registered",
    stage: "release",
    reason: Reason.CIRCUIT_UNREGISTERED,
    description: "The proof's circuit release is registered on chain and its key held here",
  },
  {
    check: "circuit-not-retired",
    stage: "release",
    reason: Reason.CIRCUIT_RETIRED,
    description: "The circuit release is not retired past its grace period",
  },
  {
    check: "circuit-accepted",
    stage: "release",
    reason: Reason.CIRCUIT_NOT_ACCEPTED,
    description: "The circuit release is one the policy accepts",
  },
  {
    check: "proof-points",
    stage: "proof",
    reason: Reason.MALFORMED,
    description: "The proof's points are on the curve and in their subgroups",
  },
  {
    check: "pairing",
    stage: "proof",
    reason: Reason.PROOF_INVALID,
    description: "The Groth16 pairing check holds",
  },
];

/** The reasons a challenge can be lost with at consumption (`LOST_CHALLENGE` in `verifier.ts`). */
const LOST: ReadonlySet<string> = new Set([
  Reason.CHALLENGE_CONSUMED,
  Reason.CHALLENGE_EXPIRED,
  Reason.CHALLENGE_UNKNOWN,
]);

const LATER_STAGES: ReadonlySet<Stage> = new Set(["statement", "root", "release"]);

/** The outcome of each check for a receipt, in check order. */
export function receiptChecks(receipt: Receipt): ReceiptCheck[] {
  const reasons = new Set(receipt.reasons);
  const outcomes = new Map<CheckDefinition, CheckOutcome>();
  const defs = PRESENTATION_CHECKS;
  const set = (stages: readonly Stage[], outcome: CheckOutcome) => {
    for (const d of defs) if (stages.includes(d.stage)) outcomes.set(d, outcome);
  };
  const failedIfGiven = (stage: Stage) => {
    for (const d of defs) {
      if (d.stage === stage) outcomes.set(d, reasons.has(d.reason) ? "failed" : "passed");
    }
  };
  /** Stage 2 in order: those before the failed one passed, the ones after did not run. */
  const challengeStoppedAt = (reason: string, after: CheckOutcome) => {
    let seen = false;
    for (const d of defs.filter((c) => c.stage === "challenge")) {
      if (d.reason === reason) {
        outcomes.set(d, "failed");
        seen = true;
      } else outcomes.set(d, seen ? after : "passed");
    }
  };
  /** Within a stage, a first check whose failure skips the rest of the stage. */
  const gatedBy = (stage: Stage, gate: Reason) => {
    failedIfGiven(stage);
    if (!reasons.has(gate)) return;
    for (const d of defs) if (d.stage === stage && d.reason !== gate) outcomes.set(d, "not-run");
  };

  if (receipt.verified) {
    set(["shape", "challenge", "statement", "root", "release", "proof"], "passed");
  } else if (receipt.root === null) {
    // Refused at step 1 or 2, before the statement was read.
    set(["statement", "root", "release", "proof"], "not-run");
    const challengeReason = receipt.reasons.find((r) => r !== Reason.MALFORMED);
    if (reasons.has(Reason.MALFORMED) || challengeReason === undefined) {
      set(["shape"], "failed");
      set(["challenge"], "not-run");
    } else {
      set(["shape"], "passed");
      challengeStoppedAt(challengeReason, "not-run");
    }
  } else {
    set(["shape"], "passed");
    const later = defs.some((d) => LATER_STAGES.has(d.stage) && reasons.has(d.reason));
    const lost = receipt.reasons.length === 1 && LOST.has(receipt.reasons[0] as string);
    if (lost && !later) {
      // The challenge was lost at consumption: checks 3–5 ran, their verdict was discarded.
      challengeStoppedAt(receipt.reasons[0] as string, "passed");
      set(["statement", "root", "release", "proof"], "not-recorded");
    } else {
      set(["challenge"], "passed");
      failedIfGiven("statement");
      gatedBy("root", Reason.ROOT_UNKNOWN);
      gatedBy("release", Reason.CIRCUIT_UNREGISTERED);
      if (later) {
        set(["proof"], "not-run");
      } else {
        const [points, pairing] = defs.filter((d) => d.stage === "proof") as [
          CheckDefinition,
          CheckDefinition,
        ];
        const badPoints = reasons.has(Reason.MALFORMED);
        outcomes.set(points, badPoints ? "failed" : "passed");
        outcomes.set(pairing, badPoints ? "not-run" : "failed");
      }
    }
  }
  return defs.map((d) => {
    const outcome = outcomes.get(d) ?? "not-run";
    return {
      check: d.check,
      description: d.description,
      outcome,
      ...(outcome === "failed" ? { reason: d.reason } : {}),
    };
  });
}
