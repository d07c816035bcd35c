/**
 * What every crossproof HTTP service shares: request ids, access logs without bodies, JSON
 * errors with stable codes (a `CrossproofError`'s code and message; a fault of ours is a 500
 * whose internals are not shown), a body size limit, request time limits, rate limits, security
 * headers (helmet), and starting and stopping a server.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import bodyParser from "@koa/bodyparser";
import type Koa from "koa";
import helmet from "koa-helmet";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { CrossproofLogger } from "../infra/log.js";

/** HTTP status for each error code a service answers with (400 for any code not listed). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.BODY_TOO_LARGE]: 413,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [ErrorCode.UNKNOWN_RECORD]: 404,
  [ErrorCode.UNKNOWN_BUREAU]: 404,
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
  [ErrorCode.POLICY_EXISTS]: 409,
  [ErrorCode.CIRCUIT_EXISTS]: 409,
  [ErrorCode.CHAIN_CONFIG]: 503,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.REQUEST_TIMEOUT]: 503,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
  [ErrorCode.STORE_UNAVAILABLE]: 503,
  [ErrorCode.VERIFY_FAILED]: 503,
};

/** Codes that mean "nothing was decided, try again": answered with `Retry-After`. */
const RETRY: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.QUEUE_FULL,
  ErrorCode.REGISTRY_UNAVAILABLE,
  ErrorCode.REQUEST_TIMEOUT,
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.STORE_UNAVAILABLE,
  ErrorCode.VERIFY_FAILED,
  ErrorCode.RATE_LIMITED,
]);

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
        // The route's pattern, never the path itself: a path is the caller's text, of any
        // length and content (an identifier put in a URL would otherwise reach the log).
        route: (ctx as { _matchedRoute?: string })._matchedRoute ?? "unmatched",
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
      if (ctx.status === 405 && ctx.body === undefined) {
        ctx.state.errorCode = ErrorCode.INVALID_REQUEST;
        ctx.body = errorBody(
          new CrossproofError(
            ErrorCode.INVALID_REQUEST,
            `${ctx.method} is not allowed on ${ctx.path}`,
          ),
        );
      }
    } catch (err) {
      if (err instanceof CrossproofError) {
        ctx.status = statusFor(err);
        ctx.state.errorCode = err.code;
        if (RETRY.has(err.code)) {
          const seconds = err.details.retryAfterSeconds;
          ctx.set("retry-after", String(typeof seconds === "number" ? seconds : 1));
        }
        if (err.code === ErrorCode.UNAUTHORIZED)
          ctx.set("www-authenticate", 'Bearer realm="crossproof"');
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
      ctx.state.errorCode = ErrorCode.INTERNAL;
      ctx.body = { error: { code: ErrorCode.INTERNAL, message: "internal error", details: {} } };
      logger.error(
        { requestId: ctx.state.requestId as string, code: ErrorCode.INTERNAL },
        (err as Error)?.name ?? "error",
      );
    }
  };
}

/**
 * Security headers (helmet) for JSON APIs: no content may load or frame (a route serving HTML
 * sets its own policy), no sniffing, no referrer, HSTS for when a TLS proxy fronts the service;
 * and no caching of answers.
 */
export function securityHeaders(): Koa.Middleware {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    referrerPolicy: { policy: "no-referrer" },
    frameguard: { action: "deny" },
  });
  return async (ctx, next) => {
    ctx.set("cache-control", "no-store");
    await headers(ctx, next);
  };
}

/**
 * A time limit per request: past it the caller gets `REQUEST_TIMEOUT` (503). The work under way
 * is not interrupted (a verification still settles its challenge and receipt); only the answer
 * is given up.
 */
export function requestTimeout(ms: number): Koa.Middleware {
  return async (_ctx, next) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CrossproofError(ErrorCode.REQUEST_TIMEOUT, `the request took longer than ${ms} ms`),
          ),
        ms,
      );
    });
    try {
      await Promise.race([next(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Counts one request for `key` on `limiter`; past its limit, `RATE_LIMITED` with
 * `retryAfterSeconds` (a whole second at least), as every crossproof limit answers.
 */
export async function consumeOrRefuse(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const retryAfterSeconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    throw new CrossproofError(ErrorCode.RATE_LIMITED, "too many requests: slow down", {
      details: { retryAfterSeconds },
    });
  }
}

/** A per-key request rate limit: `perSecond` requests in each second (0: no limit). */
export class RateLimit {
  readonly #limiter: RateLimiterMemory | undefined;

  constructor(perSecond: number) {
    this.#limiter =
      perSecond > 0 ? new RateLimiterMemory({ points: perSecond, duration: 1 }) : undefined;
  }

  /** Counts one request for `key`; `RATE_LIMITED` (with `retryAfterSeconds`) past the limit. */
  async consume(key: string): Promise<void> {
    if (!this.#limiter) return;
    await consumeOrRefuse(this.#limiter, key);
  }
}

/** A JSON body parser with a size limit (JSON only; anything else is a 415 or 400). */
export function jsonBody(limitKb = 256): Koa.Middleware {
  const parse = bodyParser({ enableTypes: ["json"], jsonLimit: `${limitKb}kb`, encoding: "utf-8" });
  return async (ctx, next) => {
    // A body of any other type would be ignored by the parser and read as "no body": say why.
    // (`is` answers false for a body of another type, null for no body, chunked or not.)
    if (ctx.is("application/json") === false) {
      throw new CrossproofError(
        ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        "the body must be application/json",
      );
    }
    await parse(ctx, next);
  };
}

/** A request body field as an object, or `INVALID_REQUEST`. */
export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CrossproofError(ErrorCode.INVALID_REQUEST, `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A running HTTP server and how to stop it. */
export interface RunningService {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops accepting connections and waits for open requests to finish. */
  close(): Promise<void>;
}

/**
 * Starts `app` on `host:port` (default 127.0.0.1, a free port). A port in use is
 * `CONFIG_INVALID` naming `portVariable` when given.
 */
export function listen(
  app: Koa,
  options: { host?: string; port?: number; requestTimeoutMs?: number; portVariable?: string } = {},
): Promise<RunningService> {
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const server = app.listen(options.port ?? 0, host);
    // Node's own limits: a whole request (body included) and its headers must arrive in time.
    server.requestTimeout = Math.max(options.requestTimeoutMs ?? 120_000, 10_000);
    server.headersTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE" || err.code === "EACCES" || err.code === "EADDRNOTAVAIL") {
        const variable = options.portVariable;
        reject(
          new CrossproofError(
            ErrorCode.CONFIG_INVALID,
            `cannot listen on ${host}:${options.port ?? 0} (${err.code})${variable ? `: set ${variable} to a free port` : ""}`,
            { details: variable ? { variable } : {} },
          ),
        );
      } else reject(err);
    });
    server.once("listening", () => {
      const { port } = server.address() as AddressInfo;
      const shown = host.includes(":") ? `[${host}]` : host;
      resolve({
        url: `http://${shown}:${port}`,
        port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
