/**
 * The route tables: one declaration per route drives the router and the OpenAPI document, so the
 * two cannot drift, and a table that puts a keyed route outside `/v1` (or a public one inside),
 * names roles on a service without a role guard, or declares a route twice is refused when the
 * service is built; every keyed route is guarded by its roles (the auditor only where named).
 */
import Router, { type RouterMiddleware } from "@koa/router";
import { describe, expect, it } from "vitest";
import { KEYED_ROLES, openApiDocument } from "../../server/api-doc.js";
import { verifierOpenApiDocument } from "../../server/openapi.js";
import { PROVER_API } from "../../server/prover-api.js";
import { PROVER_ROUTES, type ProverState } from "../../server/prover-routes.js";
import { koaPath, mountRoutes, operationsOf, type Route, route } from "../../server/routes.js";
import { VERIFIER_ROUTES, type VerifierState } from "../../server/verifier-routes/index.js";
import type { ApiKeyRole } from "../../verifier/store.js";

/** A context whose every part is a placeholder: handlers are built, never run, here. */
const placeholder = new Proxy({}, { get: () => ({}) });

/** The method and Koa path of every route a router serves. */
function served<S extends object>(router: Router<S>): string[] {
  return router.stack.flatMap((layer) =>
    layer.methods.filter((m) => m !== "HEAD").map((m) => `${m.toLowerCase()} ${layer.path}`),
  );
}

function documented(document: Record<string, unknown>): string[] {
  const paths = document.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((m) => `${m} ${koaPath(path)}`),
  );
}

describe("route tables", () => {
  it("serve exactly the operations the verifier's document lists, guarding each keyed route by its roles", () => {
    const router = new Router<VerifierState>();
    const guarded = new Map<RouterMiddleware<VerifierState>, readonly ApiKeyRole[]>();
    const roles = (allowed: readonly ApiKeyRole[]) => {
      const guard: RouterMiddleware<VerifierState> = async (_ctx, next) => next();
      guarded.set(guard, allowed);
      return guard;
    };
    mountRoutes(router, VERIFIER_ROUTES, placeholder as never, { roles, keyedPrefix: "/v1" });
    expect(served(router).sort()).toEqual(documented(verifierOpenApiDocument()).sort());
    const paths = verifierOpenApiDocument().paths as Record<
      string,
      Record<string, { "x-roles"?: string[]; responses: Record<string, unknown> }>
    >;
    for (const r of VERIFIER_ROUTES) {
      const layer = router.stack.find(
        (l) => l.path === koaPath(r.path) && l.methods.includes(r.method.toUpperCase()),
      );
      const first = layer?.stack[0] as RouterMiddleware<VerifierState>;
      const documentedOp = paths[r.path]?.[r.method];
      if (r.operation.public) {
        expect(guarded.has(first), `${r.method} ${r.path}`).toBe(false);
        expect(documentedOp?.["x-roles"]).toBeUndefined();
      } else {
        const expected = r.operation.roles ?? KEYED_ROLES;
        expect(guarded.get(first), `${r.method} ${r.path}`).toEqual(expected);
        expect(documentedOp?.["x-roles"]).toEqual(expected);
        expect(Object.keys(documentedOp?.responses ?? {})).toContain("403");
        // The auditor is let in only where a route names it.
        expect(expected.includes("auditor")).toBe(r.operation.roles?.includes("auditor") ?? false);
      }
    }
    expect(paths["/v1/api-keys"]?.post?.["x-roles"]).toEqual(["admin"]);
  });

  it("serve exactly the operations the prover's document lists", () => {
    const router = new Router<ProverState>();
    mountRoutes(router, PROVER_ROUTES, placeholder as never);
    expect(served(router).sort()).toEqual(documented(openApiDocument(PROVER_API)).sort());
  });

  it("refuse a table whose keys, guards or declarations disagree", () => {
    const handler = () => async () => {};
    const op = { summary: "x", tag: "t", ok: ["200", null, "ok"] as const };
    const mount = (routes: Route<unknown, object>[], guard = true) =>
      mountRoutes(
        new Router<object>(),
        routes,
        {},
        {
          ...(guard ? { roles: () => async (_c: unknown, n: () => Promise<unknown>) => n() } : {}),
          keyedPrefix: "/v1",
        },
      );
    expect(() => mount([route("get", "/v1/open", { ...op, public: true }, handler)])).toThrow(
      /public routes must be outside \/v1/,
    );
    expect(() => mount([route("get", "/status", op, handler)])).toThrow(
      /keyed routes must be under \/v1/,
    );
    expect(() =>
      mount([route("post", "/v1/admin", { ...op, roles: ["admin"] }, handler)], false),
    ).toThrow(/names roles but the service has no role guard/);
    expect(() =>
      operationsOf([route("get", "/a", op, handler), route("get", "/a", op, handler)]),
    ).toThrow(/declared twice/);
    expect(() => mount([route("get", "/v1/fine/{id}", op, handler)])).not.toThrow();
  });

  it("derive each operation's path parameters from its path", () => {
    const paths = verifierOpenApiDocument().paths as Record<
      string,
      Record<string, { parameters?: { name: string }[] }>
    >;
    expect(paths["/v1/circuits/{name}/verify"]?.post?.parameters?.map((p) => p.name)).toEqual([
      "name",
    ]);
    expect(paths["/v1/policies"]?.get?.parameters).toBeUndefined();
  });
});
