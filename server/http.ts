/**
 * What every crossproof HTTP service shares: request ids, access logs without bodies, JSON
 * errors with stable codes (a `CrossproofError`'s code and message; a fault of ours is a 500
 * whose internals are not shown), a body size limit and security headers.
 */
import { randomUUID } from "node:crypto";
import bodyParser from "@koa/bodyparser";
import type Koa from "koa";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { CrossproofLogger } from "../core/log.js";

/** HTTP status for each error code a service answers with (400 for any code not listed). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.BODY_TOO_LARGE]: 413,
  [ErrorCode.UNKNOWN_RECORD]: 404,
  [ErrorCode.RECORD_REVOKED]: 410,
  [ErrorCode.RECORD_NOT_IN_TREE]: 409,
  [ErrorCode.ROOT_PENDING]: 409,
  [ErrorCode.PREDICATE_UNSATISFIED]: 422,
  [ErrorCode.QUEUE_FULL]: 503,
  [ErrorCode.POOL_CLOSED]: 503,
  [ErrorCode.REGISTRY_UNAVAILABLE]: 503,
  [ErrorCode.VAULT_UNAVAILABLE]: 503,
  [ErrorCode.PROVE_TIMEOUT]: 504,
  [ErrorCode.PROVER_FAILED]: 500,
};

/** The HTTP status for a `CrossproofError`. */
export function statusFor(error: CrossproofError): number {
  return STATUS[error.code] ?? 400;
}

/** Request id (from `x-request-id` if sane, else new), timing and one access log line. */
export function requestLog(logger: CrossproofLogger): Koa.Middleware {
  return async (ctx, next) => {
    const given = ctx.get("x-request-id");
    const requestId = /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set("x-request-id", requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      const fields = {
        requestId,
        method: ctx.method,
        route: (ctx as { _matchedRoute?: string })._matchedRoute ?? ctx.path,
        status: ctx.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(ctx.state.errorCode ? { code: ctx.state.errorCode as string } : {}),
      };
      if (ctx.status >= 500) logger.error(fields, "request");
      else logger.info(fields, "request");
    }
  };
}

/** The error body: `{error: {code, message, details}}`. */
export function errorBody(error: CrossproofError): {
  error: ReturnType<CrossproofError["toJSON"]>;
} {
  return { error: error.toJSON() };
}

/** Turns thrown errors into JSON answers; unknown errors become a bare 500 (logged by code). */
export function jsonErrors(logger: CrossproofLogger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new CrossproofError(ErrorCode.NOT_FOUND, `no route ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      if (err instanceof CrossproofError) {
        ctx.status = statusFor(err);
        ctx.state.errorCode = err.code;
        if (err.code === ErrorCode.QUEUE_FULL) ctx.set("retry-after", "1");
        ctx.body = errorBody(err);
        return;
      }
      const e = err as { status?: number; expose?: boolean; message?: string; type?: string };
      if (e.status && e.status >= 400 && e.status < 500) {
        // koa and the body parser's own refusals: too large, bad JSON, wrong content type
        const code = e.status === 413 ? ErrorCode.BODY_TOO_LARGE : ErrorCode.INVALID_REQUEST;
        ctx.status = e.status;
        ctx.state.errorCode = code;
        ctx.body = errorBody(
          new CrossproofError(code, e.expose && e.message ? e.message : "malformed request"),
        );
        return;
      }
      ctx.status = 500;
      ctx.state.errorCode = "INTERNAL";
      ctx.body = { error: { code: "INTERNAL", message: "internal error", details: {} } };
      logger.error(
        { requestId: ctx.state.requestId as string, code: "INTERNAL" },
        (err as Error)?.name ?? "error",
      );
    }
  };
}

/** Security headers for JSON APIs. */
export function securityHeaders(): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set("x-content-type-options", "nosniff");
    ctx.set("x-frame-options", "DENY");
    ctx.set("referrer-policy", "no-referrer");
    ctx.set("cache-control", "no-store");
    ctx.set("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
  };
}

/** A JSON body parser with a size limit (JSON only; anything else is a 415 or 400). */
export function jsonBody(limit = "256kb"): Koa.Middleware {
  return bodyParser({ enableTypes: ["json"], jsonLimit: limit, encoding: "utf-8" });
}

/** A request body field as an object, or `INVALID_REQUEST`. */
export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CrossproofError(ErrorCode.INVALID_REQUEST, `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
