/**
 * Route tables: each service declares every route once, as a method, a path, what its documents
 * say of it and a handler. The same table mounts the Koa router and writes the OpenAPI document
 * (and from it `/docs`), so a route cannot be served undocumented or documented but not served,
 * and whether it needs a key, and of which role, is read from one place.
 */
import type Router from "@koa/router";
import type { RouterMiddleware } from "@koa/router";
import type { ApiKeyRole } from "../verifier/store.js";
import { DOCUMENT_OPERATIONS, KEYED_ROLES, type Operation } from "./api-doc.js";

/** The HTTP methods the services use. */
export type Method = "get" | "post" | "delete";

/** One route of a service whose handlers are built from a context `C`. */
export interface Route<C, S extends object = Record<string, unknown>> {
  readonly method: Method;
  /** The path in OpenAPI form (`/v1/policies/{id}`); Koa's form (`:id`) is derived from it. */
  readonly path: string;
  readonly operation: Operation;
  /** The handler, given the running service's context. */
  readonly handler: (context: C) => RouterMiddleware<S>;
}

/** Builds a route; the method and path are written once, next to the handler. */
export function route<C, S extends object = Record<string, unknown>>(
  method: Method,
  path: string,
  operation: Operation,
  handler: (context: C) => RouterMiddleware<S>,
): Route<C, S> {
  return { method, path, operation, handler };
}

/** The operations of a table by path and method, as `ApiDescription.operations` takes them. */
export function operationsOf<C, S extends object>(
  routes: readonly Route<C, S>[],
): Record<string, Record<string, Operation>> {
  const operations: Record<string, Record<string, Operation>> = {};
  for (const r of routes) {
    const methods = operations[r.path] ?? {};
    operations[r.path] = methods;
    if (methods[r.method]) throw new Error(`route ${r.method} ${r.path} is declared twice`);
    methods[r.method] = r.operation;
  }
  return operations;
}

/** `/v1/policies/{id}` in Koa's form, `/v1/policies/:id`. */
export const koaPath = (path: string): string => path.replace(/\{(\w+)\}/g, ":$1");

/**
 * Mounts a table on a router. Keyed routes must live under the prefix the service authenticates
 * (`keyedPrefix`) and public ones outside it, so the document's `security` and the router's
 * behaviour agree; each keyed route gets the `roles` guard for the roles its operation names
 * (`KEYED_ROLES` when it names none). A table that breaks this is refused when the service is
 * built, not found in production.
 */
export function mountRoutes<C, S extends object>(
  router: Router<S>,
  routes: readonly Route<C, S>[],
  context: C,
  guards: {
    readonly roles?: (allowed: readonly ApiKeyRole[]) => RouterMiddleware<S>;
    readonly keyedPrefix?: string;
  } = {},
): void {
  for (const r of routes) {
    if (guards.keyedPrefix !== undefined) {
      const keyed = r.path.startsWith(`${guards.keyedPrefix}/`);
      if (keyed === Boolean(r.operation.public)) {
        throw new Error(
          `route ${r.method} ${r.path}: ${r.operation.public ? "public routes must be outside" : "keyed routes must be under"} ${guards.keyedPrefix}`,
        );
      }
    }
    const handler = r.handler(context);
    const chain: RouterMiddleware<S>[] = [];
    if (r.operation.roles && !guards.roles) {
      throw new Error(`route ${r.method} ${r.path} names roles but the service has no role guard`);
    }
    if (guards.roles && !r.operation.public) {
      chain.push(guards.roles(r.operation.roles ?? KEYED_ROLES));
    }
    chain.push(handler);
    router[r.method](koaPath(r.path), ...chain);
  }
}

/** What a service hands its document routes: its OpenAPI document and that document's page. */
export interface DocumentContext {
  readonly document: Record<string, unknown>;
  readonly docsPage: string;
}

/** `/openapi.json` and `/docs`, the same on every service. */
export function documentRoutes<C extends DocumentContext, S extends object>(): Route<C, S>[] {
  return [
    route<C, S>("get", "/openapi.json", documentOperation("/openapi.json"), (c) => (ctx) => {
      ctx.body = c.document;
    }),
    route<C, S>("get", "/docs", documentOperation("/docs"), (c) => (ctx) => {
      ctx.type = "html";
      // The page is static: inline styles only, no scripts.
      ctx.set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      );
      ctx.body = c.docsPage;
    }),
  ];
}

/** One of the operations every service serves about itself (`DOCUMENT_OPERATIONS`). */
export function documentOperation(path: "/openapi.json" | "/docs" | "/metrics"): Operation {
  const operation = DOCUMENT_OPERATIONS[path]?.get;
  if (!operation) throw new Error(`no document operation ${path}`);
  return operation;
}
