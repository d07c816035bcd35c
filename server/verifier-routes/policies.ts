/** Policies: what a verifier asks of a record, created by the admin and immutable. */
import { policyJson } from "../verifier-api.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

export const POLICY_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "post",
    "/v1/policies",
    {
      summary: "Create a policy (admin)",
      description:
        "Policies are immutable: a changed policy is a new id. Relative thresholds ({daysAgo}) are resolved when each challenge is issued.",
      tag: "policies",
      roles: ["admin"],
      body: "PolicyDefinition",
      ok: ["201", "Policy", "The stored policy"],
      errors: { "409": "A policy with this id exists (POLICY_EXISTS)" },
    },
    ({ verifier, logger }) =>
      async (ctx) => {
        const policy = await verifier.createPolicy(ctx.request.body);
        logger.info({ event: "policy-created", requestId: ctx.state.requestId }, "policy");
        ctx.status = 201;
        ctx.body = policyJson(policy);
      },
  ),
  verifierRoute(
    "get",
    "/v1/policies",
    { summary: "List policies", tag: "policies", ok: ["200", "PolicyList", "All policies"] },
    ({ verifier }) =>
      async (ctx) => {
        ctx.body = { policies: (await verifier.listPolicies()).map(policyJson) };
      },
  ),
  verifierRoute(
    "get",
    "/v1/policies/{id}",
    {
      summary: "Read a policy",
      tag: "policies",
      ok: ["200", "Policy", "The policy"],
      errors: { "404": "No such policy (NOT_FOUND)" },
    },
    ({ verifier }) =>
      async (ctx) => {
        ctx.body = policyJson(await verifier.policy(ctx.params.id as string));
      },
  ),
];
