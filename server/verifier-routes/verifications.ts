/** Verifications: a presentation checked against a policy, singly or up to `MAX_BATCH` at once. */
import { CrossproofError } from "../../core/errors.js";
import { REASONS } from "../../core/reasons.js";
import { MAX_BATCH, parseBody } from "../../core/wire/common.js";
import { batchVerificationRequest, verificationRequest } from "../../core/wire/verifier.js";
import type { CrossproofLogger } from "../../infra/log.js";
import type { Verdict } from "../../verifier/verifier.js";
import { errorBody } from "../http.js";
import { verificationJson } from "../verifier-api.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

/** One log line per decision: ids and the first reason's code, never a body. */
function logVerdict(logger: CrossproofLogger, requestId: string, verdict: Verdict): void {
  logger.info(
    {
      event: verdict.verified ? "verified" : "refused",
      requestId,
      ...(verdict.receipt.challengeId ? { challengeId: verdict.receipt.challengeId } : {}),
      ...(verdict.reasons[0] ? { code: verdict.reasons[0].code } : {}),
    },
    "verification",
  );
}

export const VERIFICATION_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "post",
    "/v1/verifications",
    {
      summary: "Verify a presentation against a policy",
      description: `Checks, cheapest first: shape and ranges; the challenge (this verifier's, this policy's, unexpired, unused, consumed atomically); schemaId and queryHash (for a linked policy: every record's, and equal non-zero link outputs); the root in the registry (accepted issuer, not revoked, current or within the grace period; every record's); the circuit release; the pairing check (every proof's). A bad presentation is verified: false with reasons (${REASONS.join(", ")}), never a 5xx.`,
      tag: "verifications",
      body: "VerificationRequest",
      ok: ["200", "Verification", "The verdict and its receipt id"],
      errors: { "404": "No such policy (NOT_FOUND)" },
    },
    ({ verifier, logger }) =>
      async (ctx) => {
        const body = parseBody(verificationRequest, ctx.request.body);
        const verdict = await verifier.verify(
          body.policyId,
          body.presentation,
          ctx.state.caller.id,
        );
        logVerdict(logger, ctx.state.requestId, verdict);
        ctx.body = verificationJson(verdict);
      },
  ),
  verifierRoute(
    "post",
    "/v1/verifications/batch",
    {
      summary: `Verify up to ${MAX_BATCH} presentations`,
      description:
        "One result per item, in order: a verdict, or an error body for an item that could not be decided.",
      tag: "verifications",
      body: "BatchVerificationRequest",
      ok: ["200", "BatchVerification", "The verdicts"],
    },
    ({ verifier, logger }) =>
      async (ctx) => {
        const body = parseBody(batchVerificationRequest, ctx.request.body);
        const results = await verifier.verifyBatch(
          body.items.map((i) => ({ policyId: i.policyId, presentation: i.presentation })),
          ctx.state.caller.id,
        );
        ctx.body = {
          results: results.map((r) => {
            if (r instanceof CrossproofError) return errorBody(r);
            logVerdict(logger, ctx.state.requestId, r);
            return verificationJson(r);
          }),
        };
      },
  ),
];
