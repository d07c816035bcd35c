/**
 * The route tables: one declaration per route drives the router and the OpenAPI document, so the
 * two cannot drift, and a table that puts a keyed route outside `/v1` (or a public one inside),
 * marks a route admin without an admin guard, or declares a route twice is refused when the
 * service is built.
 */
import Router, { type RouterMiddleware } from "@koa/router";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../server/api-doc.js";
import { verifierOpenApiDocument } from "../../server/openapi.js";
import { PROVER_API } from "../../server/prover-api.js";
import { PROVER_ROUTES, type ProverState } from "../../server/prover-routes.js";
import { koaPath, mountRoutes, operationsOf, type Route, route } from "../../server/routes.js";
import { VERIFIER_ROUTES, type VerifierState } from "../../server/verifier-routes/index.js";

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
  it("serve exactly the operations the verifier's document lists, guarding admin routes", () => {
    const router = new Router<VerifierState>();
    const admin: RouterMiddleware<VerifierState> = async (_ctx, next) => next();
    mountRoutes(router, VERIFIER_ROUTES, placeholder as never, { admin, keyedPrefix: "/v1" });
    expect(served(router).sort()).toEqual(documented(verifierOpenApiDocument()).sort());
    for (const r of VERIFIER_ROUTES.filter((r) => r.operation.admin)) {
      const layer = router.stack.find(
        (l) => l.path === koaPath(r.path) && l.methods.includes(r.method.toUpperCase()),
      );
      expect(layer?.stack[0], `${r.method} ${r.path}`).toBe(admin);
    }
    const paths = verifierOpenApiDocument().paths as Record<string, Record<string, object>>;
    const createKey = paths["/v1/api-keys"]?.post as { responses: Record<string, unknown> };
    expect(Object.keys(createKey.responses)).toContain("403");
  });

  it("serve exactly the operations the prover's document lists", () => {
    const router = new Router<ProverState>();
    mountRoutes(router, PROVER_ROUTES, placeholder as never);
    expect(served(router).sort()).toEqual(documented(openApiDocument(PROVER_API)).sort());
  });

  it("refuse a table whose keys, guards or declarations disagree", () => {
    const handler = () => async () => {};
    const op = { summary: "x", tag: "t", ok: ["200", null, "ok"] as const };
    const mount = (routes: Route<unknown, object>[], admin = true) =>
      mountRoutes(
        new Router<object>(),
        routes,
        {},
        {
          ...(admin ? { admin: async (_c: unknown, n: () => Promise<unknown>) => n() } : {}),
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
      mount([route("post", "/v1/admin", { ...op, admin: true }, handler)], false),
    ).toThrow(/needs an admin guard/);
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
