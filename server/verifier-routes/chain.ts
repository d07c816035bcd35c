/** The chain as the verifier reads it: the registry's issuers and its newest anchored roots. */
import { chainJson } from "../verifier-api.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

/** Roots in one answer (the newest). */
export const CHAIN_ROOTS = 200;

export const CHAIN_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "get",
    "/v1/chain",
    {
      summary: "The registry: its issuers and newest anchored roots",
      description:
        "Read from the registry's events: every issuer (removed ones inactive), and the 200 roots anchored last, newest first, with when each was anchored, replaced and revoked.",
      tag: "roots",
      roles: ["client", "admin", "auditor"],
      ok: ["200", "Chain", "The chain id, the registry, its issuers and roots"],
    },
    ({ history }) =>
      async (ctx) => {
        ctx.body = chainJson(await history.view(CHAIN_ROOTS));
      },
  ),
];
