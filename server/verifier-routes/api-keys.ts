/** Client API keys, managed by the admin; a key's secret is shown once, at creation. */
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { parseBody } from "../../core/wire/common.js";
import { apiKeyRequest } from "../../core/wire/verifier.js";
import { newClientKey } from "../api-keys.js";
import { apiKeyJson } from "../verifier-api.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

export const API_KEY_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "post",
    "/v1/api-keys",
    {
      summary: "Create a client or auditor API key (admin)",
      tag: "api keys",
      roles: ["admin"],
      body: "ApiKeyRequest",
      ok: ["201", "ApiKeyCreated", "The key, shown once"],
    },
    ({ store, logger }) =>
      async (ctx) => {
        const { name, role } = parseBody(apiKeyRequest, ctx.request.body);
        const { record, key } = newClientKey(name, new Date(), role);
        await store.putApiKey(record);
        logger.info({ event: "api-key-created", requestId: ctx.state.requestId }, "api key");
        ctx.status = 201;
        ctx.body = { ...apiKeyJson(record), key };
      },
  ),
  verifierRoute(
    "get",
    "/v1/api-keys",
    {
      summary: "List API keys (admin)",
      tag: "api keys",
      roles: ["admin"],
      ok: ["200", "ApiKeyList", "The keys, without secrets"],
    },
    ({ store }) =>
      async (ctx) => {
        ctx.body = { keys: (await store.listApiKeys()).map(apiKeyJson) };
      },
  ),
  verifierRoute(
    "delete",
    "/v1/api-keys/{id}",
    {
      summary: "Revoke an API key (admin)",
      tag: "api keys",
      roles: ["admin"],
      ok: ["204", null, "Revoked"],
      errors: { "404": "No such live key (NOT_FOUND)" },
    },
    ({ store, logger }) =>
      async (ctx) => {
        const id = ctx.params.id as string;
        if (!(await store.revokeApiKey(id, new Date()))) {
          throw new CrossproofError(ErrorCode.NOT_FOUND, `no live API key "${id}"`);
        }
        logger.info({ event: "api-key-revoked", requestId: ctx.state.requestId }, "api key");
        ctx.status = 204;
      },
  ),
];
