/** One-time challenges: issued to the key that asks, readable by it (and the admin) alone. */
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { parseBody } from "../../core/wire/common.js";
import { challengeRequest } from "../../core/wire/verifier.js";
import { challengeJson } from "../verifier-api.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

export const CHALLENGE_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "post",
    "/v1/challenges",
    {
      summary: "Issue a one-time challenge for a policy",
      description:
        "Returns the nonce, the resolved query, schemaId, queryHash and expiry. Forward the whole answer to the holder's prover as the proof request.",
      tag: "challenges",
      body: "ChallengeRequest",
      ok: ["201", "Challenge", "The challenge"],
      errors: { "404": "No such policy (NOT_FOUND)" },
    },
    ({ verifier, metrics, logger }) =>
      async (ctx) => {
        const body = parseBody(challengeRequest, ctx.request.body);
        const challenge = await verifier.issueChallenge(
          body.policyId,
          body.subjectHash,
          ctx.state.caller.id,
        );
        metrics.challenges.inc({ policy: body.policyId });
        logger.info(
          { event: "challenge-issued", requestId: ctx.state.requestId, challengeId: challenge.id },
          "challenge",
        );
        ctx.status = 201;
        ctx.body = challengeJson(challenge);
      },
  ),
  verifierRoute(
    "get",
    "/v1/challenges/{id}",
    {
      summary: "Read a challenge you issued and whether it was used (the admin reads all)",
      tag: "challenges",
      ok: ["200", "Challenge", "The challenge, with consumedAt and receiptId"],
      errors: { "404": "No such challenge (NOT_FOUND)" },
    },
    ({ verifier }) =>
      async (ctx) => {
        const challenge = await verifier.challenge(ctx.params.id as string);
        // A client sees the challenges it asked for; the admin sees all.
        if (ctx.state.caller.role !== "admin" && challenge.clientId !== ctx.state.caller.id) {
          throw new CrossproofError(ErrorCode.NOT_FOUND, `no challenge "${challenge.id}"`);
        }
        ctx.body = challengeJson(challenge, true);
      },
  ),
];
