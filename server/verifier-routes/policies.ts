/** Policies: what a verifier asks of a record, created by the admin and immutable. */
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { DECIMAL_PATTERN } from "../../core/field.js";
import {
  policyPreviewHeaders,
  SUBJECT_HASH_HEADER,
  SUBJECT_HASH_HINT,
} from "../../core/wire/verifier.js";
import { policyJson, policyPreviewJson } from "../verifier-api.js";
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
    "post",
    "/v1/policies/preview",
    {
      summary: "Check a policy without creating it (admin)",
      description:
        "The same body and validation as creating one; stores nothing. Answers the policy as it would be stored, in words, its schema id and the queryHash a challenge issued now would carry (per subject for a policy that binds one: give the subject's hash in the x-subject-hash header), and whether the id is taken.",
      tag: "policies",
      roles: ["admin"],
      body: "PolicyDefinition",
      headers: policyPreviewHeaders,
      ok: ["200", "PolicyPreview", "What creating the policy would make"],
      errors: {
        "400":
          "An invalid policy (INVALID_POLICY, naming the field) or x-subject-hash (INVALID_SUBJECT)",
      },
    },
    ({ verifier }) =>
      async (ctx) => {
        const subjectHash = ctx.get(SUBJECT_HASH_HEADER);
        if (subjectHash !== "" && !DECIMAL_PATTERN.test(subjectHash)) {
          throw new CrossproofError(
            ErrorCode.INVALID_SUBJECT,
            `the ${SUBJECT_HASH_HEADER} header ${SUBJECT_HASH_HINT}`,
          );
        }
        const preview = await verifier.previewPolicy(
          ctx.request.body,
          subjectHash === "" ? undefined : BigInt(subjectHash),
        );
        ctx.body = policyPreviewJson(preview);
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
