/**
 * The verifier service: a Koa API over `verifier/verifier.ts`, for the verifying bank.
 *
 * Its routes are declared once, in `verifier-routes/` (one module per resource), and that table
 * drives the router here, the OpenAPI document at `/openapi.json` and the page at `/docs`. Every
 * route under `/v1` needs an API key (`authorization: Bearer <key>` or `x-api-key`); routes marked
 * admin need the admin key.
 *
 * A verification never answers 5xx for a bad input: a bad presentation is `verified: false` with
 * reasons, a bad request a 4xx. 503 means nothing was decided (the registry unreachable, the
 * queue full): the same request can be sent again. Logs carry request ids, routes, codes,
 * challenge ids and durations; never a body.
 */
import Router, { type RouterMiddleware } from "@koa/router";
import Koa from "koa";
import type { RegistryHistory } from "../chain/registry-history.js";
import type { RootCache } from "../chain/root-cache.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { CrossproofLogger } from "../infra/log.js";
import type { VerifierPool } from "../verifier/pool.js";
import type { ApiKeyRole, VerifierStore } from "../verifier/store.js";
import type { Verifier } from "../verifier/verifier.js";
import { apiDocsHtml } from "./api-doc.js";
import { type ApiKeyAuth, type Caller, presentedKey } from "./api-keys.js";
import {
  jsonBody,
  jsonErrors,
  RateLimit,
  requestLog,
  requestTimeout,
  securityHeaders,
} from "./http.js";
import { VERIFIER_AUTH_NOTE, verifierOpenApiDocument } from "./openapi.js";
import type { ReceiptAnchorer } from "./receipt-anchorer.js";
import { mountRoutes } from "./routes.js";
import type { RequestLimiter } from "./shared-rate-limit.js";
import type { VerifierMetrics } from "./verifier-metrics.js";
import {
  type ReadinessChecks,
  VERIFIER_ROUTES,
  type VerifierContext,
  type VerifierState,
} from "./verifier-routes/index.js";

export { VerifierMetrics } from "./verifier-metrics.js";
export type { ReadinessCheck, ReadinessChecks } from "./verifier-routes/index.js";

/** Dependencies of the verifier app. */
export interface VerifierAppOptions {
  readonly verifier: Verifier;
  readonly store: VerifierStore;
  readonly auth: ApiKeyAuth;
  readonly roots: RootCache;
  /** The registry's issuers and roots, for `GET /v1/chain`. */
  readonly history: RegistryHistory;
  readonly pool: VerifierPool;
  readonly metrics: VerifierMetrics;
  readonly logger: CrossproofLogger;
  /** Requests per second per API key (0: none). */
  readonly rateLimit: number;
  /** The per-key limit to use instead of one in this process's memory (shared mode: Redis). */
  readonly limiter?: RequestLimiter;
  readonly bodyLimitKb: number;
  readonly requestTimeoutMs: number;
  /** Whether the service is shutting down (readiness fails, new work is refused). */
  readonly stopping?: () => boolean;
  /** More readiness checks, of the deployment around the service. */
  readonly readiness?: ReadinessChecks;
  /** The receipt log's anchorer (absent: the log is kept, not anchored). */
  readonly anchorer?: ReceiptAnchorer;
}

/** Failed key checks allowed per client address per second, before `RATE_LIMITED`. */
const FAILED_AUTH_PER_SECOND = 20;

/**
 * What `/docs` and `/readyz` say when development keys (public toxic waste) are served, so it is
 * not only in a log line; undefined when every key came from a multi-party ceremony.
 */
function developmentNoticeOf(verifier: Verifier): string | undefined {
  const names = [...verifier.circuits.values()]
    .filter((r) => r.manifest.setup.kind === "development")
    .map((r) => r.name);
  return names.length > 0
    ? `this verifier serves development keys (${names.join(", ")}), allowed by CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1: their toxic waste is public, so anyone can forge proofs. Local use only, never production.`
    : undefined;
}

/**
 * The guards of keyed routes: `authenticate` (an API key, then the key's rate limit; failed key
 * checks are limited per client address) and `roles`, the guard of an operation's key roles.
 */
function keyGuards(
  auth: ApiKeyAuth,
  perKey: RequestLimiter,
  stopping: () => boolean,
): {
  authenticate: RouterMiddleware<VerifierState>;
  roles: (allowed: readonly ApiKeyRole[]) => RouterMiddleware<VerifierState>;
} {
  const failedAuth = new RateLimit(FAILED_AUTH_PER_SECOND);
  const authenticate: RouterMiddleware<VerifierState> = async (ctx, next) => {
    if (stopping()) {
      throw new CrossproofError(ErrorCode.SERVICE_UNAVAILABLE, "the verifier is shutting down");
    }
    const key = presentedKey({
      authorization: ctx.get("authorization") || undefined,
      "x-api-key": ctx.get("x-api-key") || undefined,
    });
    let caller: Caller;
    try {
      caller = await auth.authenticate(key);
    } catch (err) {
      if (err instanceof CrossproofError && err.code === ErrorCode.UNAUTHORIZED) {
        await failedAuth.consume(`ip:${ctx.ip}`);
      }
      throw err;
    }
    await perKey.consume(caller.id);
    ctx.state.caller = caller;
    await next();
  };
  const roles =
    (allowed: readonly ApiKeyRole[]): RouterMiddleware<VerifierState> =>
    async (ctx, next) => {
      if (!allowed.includes(ctx.state.caller.role)) {
        throw new CrossproofError(
          ErrorCode.FORBIDDEN,
          `this operation needs a key of role ${allowed.join(" or ")}`,
        );
      }
      await next();
    };
  return { authenticate, roles };
}

/** Observes every request's latency by method, matched route and status. */
function httpTimer(metrics: VerifierMetrics): Koa.Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? "unmatched";
      metrics.httpSeconds.observe(
        { method: ctx.method, route, status: String(ctx.status) },
        (performance.now() - started) / 1000,
      );
    }
  };
}

/** The Koa application of the verifier service. */
export function createVerifierApp(options: VerifierAppOptions): Koa {
  const perKey: RequestLimiter = options.limiter ?? new RateLimit(options.rateLimit);
  const stopping = options.stopping ?? (() => false);
  const document = verifierOpenApiDocument();
  const developmentNotice = developmentNoticeOf(options.verifier);
  const context: VerifierContext = {
    ...options,
    perKey,
    stopping,
    document,
    docsPage: apiDocsHtml(document, VERIFIER_AUTH_NOTE, developmentNotice),
    ...(developmentNotice ? { developmentNotice } : {}),
  };
  const { authenticate, roles } = keyGuards(options.auth, perKey, stopping);
  const router = new Router<VerifierState>();
  router.use("/v1", authenticate);
  mountRoutes(router, VERIFIER_ROUTES, context, { roles, keyedPrefix: "/v1" });

  const app = new Koa({ proxy: false });
  app.use(requestLog(options.logger));
  app.use(httpTimer(options.metrics));
  app.use(securityHeaders());
  app.use(jsonErrors(options.logger));
  app.use(requestTimeout(options.requestTimeoutMs));
  app.use(jsonBody(options.bodyLimitKb));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  return app;
}
