/** Who is calling: the key behind a request (the console signs in with it). */
import { sessionResponse } from "../../core/wire/verifier.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

export const SESSION_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "get",
    "/v1/session",
    {
      summary: "The calling key: its id, name and role",
      description:
        "For a console signing in: which key it holds and so what it may do. Never the key itself.",
      tag: "session",
      roles: ["client", "admin", "auditor"],
      ok: ["200", "Session", "The key's id, name and role"],
    },
    ({ store }) =>
      async (ctx) => {
        const { id, role } = ctx.state.caller;
        // The admin key is configured, not stored; every other key is stored with its name.
        const name = role === "admin" ? "admin" : ((await store.getApiKey(id))?.name ?? id);
        ctx.body = sessionResponse.parse({ keyId: id, name, role });
      },
  ),
];
