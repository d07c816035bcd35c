/**
 * OpenAPI 3.1 documents from a service's operations and the zod schemas it validates and answers
 * with, and a static human-readable page of a document (server-rendered HTML: no scripts,
 * nothing loaded from elsewhere). Both services describe their API with it.
 */
import { z } from "zod";
import type { ApiKeyRole } from "../verifier/store.js";

type JsonSchema = Record<string, unknown>;

/** The path parameters of an OpenAPI path (`/v1/policies/{id}`), in order. */
export const pathParams = (path: string): string[] =>
  [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);

/** Who may call a keyed operation that names no roles: the client and the admin. */
export const KEYED_ROLES: readonly ApiKeyRole[] = ["client", "admin"];

/** One operation of an API: what `/openapi.json` and `/docs` say of it. */
export interface Operation {
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /**
   * The key roles that may call a keyed operation; any other answers 403. Unset: the roles that
   * verify (`KEYED_ROLES`), so a role added later (the auditor) is refused until an operation
   * names it.
   */
  readonly roles?: readonly ApiKeyRole[];
  /** Needs no key. */
  readonly public?: boolean;
  /** The request body's component name. */
  readonly body?: string;
  /** Optional query parameters, by name: what each means. */
  readonly query?: Readonly<Record<string, string>>;
  /** The success answer: status, component name (null: not JSON, see `media`), description. */
  readonly ok: readonly [status: string, schema: string | null, description: string];
  /** The media type of an answer that is not one of the components. */
  readonly media?: string;
  /** Error answers particular to this operation, by status. */
  readonly errors?: Readonly<Record<string, string>>;
  /** An error status whose body is this component instead of `Error`. */
  readonly errorSchemas?: Readonly<Record<string, string>>;
}

/** The operations every crossproof service serves about itself: its document, page and metrics. */
export const DOCUMENT_OPERATIONS: Readonly<Record<string, Readonly<Record<string, Operation>>>> = {
  "/openapi.json": {
    get: {
      summary: "This document (OpenAPI 3.1)",
      tag: "operations",
      public: true,
      ok: ["200", null, "The document"],
      media: "application/json",
    },
  },
  "/docs": {
    get: {
      summary: "This document as a web page",
      tag: "operations",
      public: true,
      ok: ["200", null, "HTML"],
      media: "text/html",
    },
  },
  "/metrics": {
    get: {
      summary: "Prometheus metrics",
      tag: "operations",
      public: true,
      ok: ["200", null, "Prometheus text format"],
      media: "text/plain",
    },
  },
};

/** What a service's document is made of. */
export interface ApiDescription {
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly tags: readonly string[];
  /** Named schemas (`#/components/schemas/<name>`): a zod schema and whether it is read or written. */
  readonly components: Readonly<Record<string, readonly [z.ZodType, "input" | "output"]>>;
  /** Operations by path (OpenAPI form, `{param}`) and lower-case method. */
  readonly operations: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  /** Error answers every keyed (not public) operation can give, by status. */
  readonly commonErrors: Readonly<Record<string, string>>;
  /** Security schemes; with none, every operation is open (the prover on loopback). */
  readonly securitySchemes?: Readonly<Record<string, Record<string, unknown>>>;
  /** A sentence for the docs page on how to authenticate. */
  readonly authNote?: string;
}

function schema(s: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ content: { "application/json": { schema: ref(name) } } });
const error = (description: string, name = "Error") => ({ description, ...json(name) });

/** The OpenAPI 3.1 document of an API. */
export function openApiDocument(api: ApiDescription): Record<string, unknown> {
  const secured = api.securitySchemes !== undefined;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, methods] of Object.entries(api.operations)) {
    paths[path] = {};
    for (const [method, op] of Object.entries(methods)) {
      const [status, schemaName, description] = op.ok;
      const responses: Record<string, unknown> = {
        [status]: schemaName
          ? { description, ...json(schemaName) }
          : {
              description,
              ...(op.media
                ? {
                    content: {
                      [op.media]: {
                        schema: { type: op.media === "application/json" ? "object" : "string" },
                      },
                    },
                  }
                : {}),
            },
      };
      if (!op.public) {
        for (const [code, text] of Object.entries(api.commonErrors)) responses[code] = error(text);
      }
      if (!op.public && secured) {
        const roles = op.roles ?? KEYED_ROLES;
        responses["403"] = error(`Needs a key of role ${roles.join(" or ")} (FORBIDDEN)`);
      }
      // Only requests with a body can be too large.
      if (!op.body) {
        delete responses["413"];
        delete responses["415"];
      }
      for (const [code, text] of Object.entries(op.errors ?? {})) {
        responses[code] = error(text, op.errorSchemas?.[code]);
      }
      paths[path][method] = {
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        tags: [op.tag],
        ...(!op.public && secured ? { "x-roles": op.roles ?? KEYED_ROLES } : {}),
        operationId: `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
        ...(op.public && secured ? { security: [] } : {}),
        ...(pathParams(path).length > 0 || op.query
          ? {
              parameters: [
                ...pathParams(path).map((name) => ({
                  name,
                  in: "path",
                  required: true,
                  schema: { type: "string" },
                })),
                ...Object.entries(op.query ?? {}).map(([name, description]) => ({
                  name,
                  in: "query",
                  required: false,
                  description,
                  schema: { type: "string" },
                })),
              ],
            }
          : {}),
        ...(op.body ? { requestBody: { required: true, ...json(op.body) } } : {}),
        responses,
      };
    }
  }
  return {
    openapi: "3.1.0",
    info: api.info,
    servers: [{ url: "/" }],
    ...(secured
      ? { security: Object.keys(api.securitySchemes ?? {}).map((k) => ({ [k]: [] })) }
      : {}),
    tags: api.tags.map((name) => ({ name })),
    paths,
    components: {
      ...(secured ? { securitySchemes: api.securitySchemes } : {}),
      schemas: Object.fromEntries(
        Object.entries(api.components).map(([name, [s, io]]) => [name, schema(s, io)]),
      ),
    },
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A static HTML page describing the document (for people; `/openapi.json` is for tools). */
export function apiDocsHtml(
  document: Record<string, unknown>,
  authNote = "",
  notice?: string,
): string {
  const doc = document as {
    info: { title: string; description: string; version: string };
    paths: Record<
      string,
      Record<
        string,
        {
          summary: string;
          description?: string;
          security?: unknown[];
          requestBody?: { content: Record<string, { schema: { $ref: string } }> };
          responses: Record<
            string,
            { description: string; content?: Record<string, { schema: { $ref?: string } }> }
          >;
        }
      >
    >;
    components: { schemas: Record<string, unknown> };
  };
  const refName = (r?: string) => r?.split("/").pop();
  const sections = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const body = refName(op.requestBody?.content["application/json"]?.schema.$ref);
      const responses = Object.entries(op.responses)
        .map(([code, r]) => {
          const name = refName(r.content?.["application/json"]?.schema.$ref);
          return `<li><code>${code}</code> ${escapeHtml(r.description)}${name ? ` — <a href="#schema-${name}">${name}</a>` : ""}</li>`;
        })
        .join("");
      return `<section><h3><span class="m">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary)}${op.security ? " <em>(no key needed)</em>" : ""}</p>
${op.description ? `<p>${escapeHtml(op.description)}</p>` : ""}
${body ? `<p>Body: <a href="#schema-${body}">${body}</a></p>` : ""}
<ul>${responses}</ul></section>`;
    }),
  );
  const schemas = Object.entries(doc.components.schemas)
    .map(
      ([name, s]) =>
        `<section id="schema-${name}"><h3>${name}</h3><pre>${escapeHtml(JSON.stringify(s, null, 2))}</pre></section>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f5;padding:.75rem;overflow:auto}
section{border-top:1px solid #ddd;padding:.25rem 0}.m{display:inline-block;min-width:4.5rem;color:#05a}
</style></head><body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
${notice ? `<p role="alert" style="border:2px solid #b00;padding:.5rem;color:#b00"><strong>Warning:</strong> ${escapeHtml(notice)}</p>` : ""}
<p>${escapeHtml(doc.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).${authNote ? ` ${authNote}` : ""}</p>
<h2>Operations</h2>
${sections.join("\n")}
<h2>Schemas</h2>
${schemas}
</body></html>
`;
}
