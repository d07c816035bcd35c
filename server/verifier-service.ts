/**
 * The verifier service: a Koa API over `verifier/verifier.ts`, for the verifying bank.
 *
 * Routes (all under `/v1` need an API key: `authorization: Bearer <key>`; admin routes need the
 * admin key). The shapes are in `verifier-api.ts` and in the OpenAPI document at `/openapi.json`.
 *
 * - `POST /v1/policies` (admin), `GET /v1/policies`, `GET /v1/policies/{id}`
 * - `POST /v1/challenges`, `GET /v1/challenges/{id}`
 * - `POST /v1/verifications`, `POST /v1/verifications/batch`
 * - `GET /v1/receipts/{id}`
 * - `GET /v1/roots/{root}`: a root's status in the registry
 * - `GET /v1/circuits`, `GET /v1/circuits/{name}`, `GET /v1/circuits/{name}/verification-key`,
 *   `POST /v1/circuits/{name}/verify` (any Groth16 proof against the circuit's key) and
 *   `POST /v1/circuits/{name}/verify/batch` (up to 64 at once)
 * - `POST /v1/api-keys`, `GET /v1/api-keys`, `DELETE /v1/api-keys/{id}` (admin)
 * - `GET /healthz`, `GET /readyz`, `GET /metrics`, `GET /openapi.json`, `GET /docs`
 *
 * A verification never answers 5xx for a bad input: a bad presentation is `verified: false` with
 * reasons, a bad request a 4xx. 503 means nothing was decided (the registry unreachable, the
 * queue full): the same request can be sent again. Logs carry request ids, routes, codes,
 * challenge ids and durations; never a body.
 */
import Router, { type RouterMiddleware } from "@koa/router";
import Koa from "koa";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RootCache } from "../chain/root-cache.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { DECIMAL_PATTERN, isFieldElement } from "../core/field.js";
import { parseBody } from "../core/wire/common.js";
import {
  apiKeyRequest,
  batchProofCheckRequest,
  batchVerificationRequest,
  challengeRequest,
  verificationRequest,
} from "../core/wire/verifier.js";
import type { CrossproofLogger } from "../infra/log.js";
import type { BatchStats } from "../verifier/batch-verify.js";
import type { VerifierPool } from "../verifier/pool.js";
import type { VerifierStore } from "../verifier/store.js";
import type { Verdict, Verifier } from "../verifier/verifier.js";
import { apiDocsHtml } from "./api-doc.js";
import { type ApiKeyAuth, type Caller, newClientKey, presentedKey } from "./api-keys.js";
import {
  errorBody,
  jsonBody,
  jsonErrors,
  RateLimit,
  requestLog,
  requestTimeout,
  securityHeaders,
} from "./http.js";
import { VERIFIER_AUTH_NOTE, verifierOpenApiDocument } from "./openapi.js";
import type { RequestLimiter } from "./shared-rate-limit.js";
import {
  apiKeyJson,
  challengeJson,
  circuitJson,
  externalCircuitJson,
  policyJson,
  proofCheckJson,
  receiptJson,
  verificationJson,
} from "./verifier-api.js";

/** The verifier's Prometheus metrics. */
export class VerifierMetrics {
  readonly registry = new Registry();
  readonly verifications = new Counter({
    name: "crossproof_verifier_verifications_total",
    help: "Verifications by verdict, and by reason for refused ones (one count per reason)",
    labelNames: ["verdict", "reason"],
    registers: [this.registry],
  });
  readonly verificationSeconds = new Histogram({
    name: "crossproof_verifier_verification_seconds",
    help: "Time to decide one verification, by verdict",
    labelNames: ["verdict"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly httpSeconds = new Histogram({
    name: "crossproof_http_request_seconds",
    help: "HTTP request latency by method, route and status",
    labelNames: ["method", "route", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly challenges = new Counter({
    name: "crossproof_verifier_challenges_issued_total",
    help: "Challenges issued, by policy",
    labelNames: ["policy"],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "crossproof_verifier_pool_queue_depth",
    help: "Batches of proof checks waiting for a verification worker",
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: "crossproof_verifier_batch_size",
    help: "Proofs per batched pairing check sent to a verification worker",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly pairingChecks = new Counter({
    name: "crossproof_verifier_pairing_checks_total",
    help: "Pairing-product checks run by the workers (more than batches when bisection looks for bad proofs)",
    registers: [this.registry],
  });
  readonly workers = new Gauge({
    name: "crossproof_verifier_pool_workers",
    help: "Live verification worker threads",
    registers: [this.registry],
  });
  readonly rootCache = new Gauge({
    name: "crossproof_verifier_root_cache_lookups",
    help: "Root lookups since start, answered from the cache (hit) or the chain (miss)",
    labelNames: ["result"],
    registers: [this.registry],
  });
  readonly rateLimitShared = new Gauge({
    name: "crossproof_verifier_rate_limit_shared",
    help: "1 while per-key rate limits are counted in Redis for all instances, 0 while this instance counts alone (Redis unreachable)",
    registers: [this.registry],
  });
  readonly registryInSync = new Gauge({
    name: "crossproof_verifier_registry_in_sync",
    help: "1 while the registry event watch is in sync (root lookups may come from memory)",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "crossproof_verifier_" });
  }

  /** Counts one batch (wire to the pool's `onBatch`). */
  observeBatch = (size: number, stats: BatchStats): void => {
    this.batchSize.observe(size);
    this.pairingChecks.inc(stats.pairingChecks);
  };

  /** Counts one verdict (wire to the verifier's `onVerdict`). */
  observe = (verdict: Verdict, seconds: number): void => {
    const label = verdict.verified ? "verified" : "refused";
    this.verificationSeconds.observe({ verdict: label }, seconds);
    if (verdict.verified) this.verifications.inc({ verdict: label, reason: "none" });
    for (const r of verdict.reasons) this.verifications.inc({ verdict: label, reason: r.code });
  };
}

/** Dependencies of the verifier app. */
export interface VerifierAppOptions {
  readonly verifier: Verifier;
  readonly store: VerifierStore;
  readonly auth: ApiKeyAuth;
  readonly roots: RootCache;
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
}

/** One readiness check's outcome, as `/readyz` shows it. */
export interface ReadinessCheck {
  readonly ok: boolean;
  readonly detail?: string;
}

/** Named readiness checks, run on every `/readyz`. */
export type ReadinessChecks = () => Promise<Record<string, ReadinessCheck>>;

type State = { caller: Caller; requestId: string };

/** Failed key checks allowed per client address per second, before `RATE_LIMITED`. */
const FAILED_AUTH_PER_SECOND = 20;

/** The Koa application of the verifier service. */
export function createVerifierApp(options: VerifierAppOptions): Koa {
  const { verifier, store, auth, roots, pool, metrics, logger } = options;
  const app = new Koa({ proxy: false });
  const router = new Router<State>();
  const perKey: RequestLimiter = options.limiter ?? new RateLimit(options.rateLimit);
  const failedAuth = new RateLimit(FAILED_AUTH_PER_SECOND);
  const stopping = options.stopping ?? (() => false);
  const document = verifierOpenApiDocument();
  // Development keys (public toxic waste): say so on /docs and in /readyz, not only in the log.
  const developmentCircuits = [...verifier.circuits.values()]
    .filter((r) => r.manifest.setup.kind === "development")
    .map((r) => r.name);
  const developmentNotice =
    developmentCircuits.length > 0
      ? `this verifier serves development keys (${developmentCircuits.join(", ")}), allowed by CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1: their toxic waste is public, so anyone can forge proofs. Local use only, never production.`
      : undefined;
  const docsPage = apiDocsHtml(document, VERIFIER_AUTH_NOTE, developmentNotice);

  // Every /v1 route: an API key, then the per-key rate limit.
  const authenticate: RouterMiddleware<State> = async (ctx, next) => {
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
  const adminOnly: RouterMiddleware<State> = async (ctx, next) => {
    if (ctx.state.caller.role !== "admin") {
      throw new CrossproofError(ErrorCode.FORBIDDEN, "this operation needs the admin key");
    }
    await next();
  };

  router.use("/v1", authenticate);

  router.post("/v1/policies", adminOnly, async (ctx) => {
    const policy = await verifier.createPolicy(ctx.request.body);
    logger.info({ event: "policy-created", requestId: ctx.state.requestId }, "policy");
    ctx.status = 201;
    ctx.body = policyJson(policy);
  });
  router.get("/v1/policies", async (ctx) => {
    ctx.body = { policies: (await verifier.listPolicies()).map(policyJson) };
  });
  router.get("/v1/policies/:id", async (ctx) => {
    ctx.body = policyJson(await verifier.policy(ctx.params.id as string));
  });

  router.post("/v1/challenges", async (ctx) => {
    const body = parseBody(challengeRequest, ctx.request.body);
    const challenge = await verifier.issueChallenge(
      body.policyId,
      body.subjectHash,
      ctx.state.caller.id,
    );
    metrics.challenges.inc({ policy: body.policyId });
    logger.info(
      { event: "challenge-issued", requestId: ctx.state.requestId, challengeId: challenge.id },
      "challenge",
    );
    ctx.status = 201;
    ctx.body = challengeJson(challenge);
  });
  router.get("/v1/challenges/:id", async (ctx) => {
    const challenge = await verifier.challenge(ctx.params.id as string);
    // A client sees the challenges it asked for; the admin sees all.
    if (ctx.state.caller.role !== "admin" && challenge.clientId !== ctx.state.caller.id) {
      throw new CrossproofError(ErrorCode.NOT_FOUND, `no challenge "${challenge.id}"`);
    }
    ctx.body = challengeJson(challenge, true);
  });

  const logVerdict = (requestId: string, verdict: Verdict) =>
    logger.info(
      {
        event: verdict.verified ? "verified" : "refused",
        requestId,
        ...(verdict.receipt.challengeId ? { challengeId: verdict.receipt.challengeId } : {}),
        ...(verdict.reasons[0] ? { code: verdict.reasons[0].code } : {}),
      },
      "verification",
    );

  router.post("/v1/verifications", async (ctx) => {
    const body = parseBody(verificationRequest, ctx.request.body);
    const verdict = await verifier.verify(body.policyId, body.presentation, ctx.state.caller.id);
    logVerdict(ctx.state.requestId, verdict);
    ctx.body = verificationJson(verdict);
  });
  router.post("/v1/verifications/batch", async (ctx) => {
    const body = parseBody(batchVerificationRequest, ctx.request.body);
    const results = await verifier.verifyBatch(
      body.items.map((i) => ({ policyId: i.policyId, presentation: i.presentation })),
      ctx.state.caller.id,
    );
    ctx.body = {
      results: results.map((r) => {
        if (r instanceof CrossproofError) return errorBody(r);
        logVerdict(ctx.state.requestId, r);
        return verificationJson(r);
      }),
    };
  });

  router.get("/v1/receipts/:id", async (ctx) => {
    const receipt = await verifier.receipt(ctx.params.id as string);
    // A client sees its own receipts; the admin sees all.
    if (ctx.state.caller.role !== "admin" && receipt.clientId !== ctx.state.caller.id) {
      throw new CrossproofError(ErrorCode.NOT_FOUND, `no receipt "${receipt.id}"`);
    }
    ctx.body = receiptJson(receipt);
  });

  router.get("/v1/roots/:root", async (ctx) => {
    const text = ctx.params.root as string;
    const root = DECIMAL_PATTERN.test(text) ? BigInt(text) : -1n;
    if (root < 0n || !isFieldElement(root)) {
      throw new CrossproofError(ErrorCode.INVALID_REQUEST, "root must be a decimal field element");
    }
    const status = await roots.lookupRoot(root);
    ctx.body = {
      root: root.toString(),
      anchored: status !== null,
      issuer: status?.issuer ?? null,
      schemaId: status?.schemaId.toString() ?? null,
      anchoredAt: status?.anchoredAt.toISOString() ?? null,
      replacedAt: status?.replacedAt?.toISOString() ?? null,
      revokedAt: status?.revokedAt?.toISOString() ?? null,
      issuerActive: status?.issuerActive ?? null,
    };
  });

  router.get("/v1/circuits", async (ctx) => {
    ctx.body = {
      circuits: [...verifier.circuits.values()].map(circuitJson),
      external: (await verifier.externalCircuits()).map(externalCircuitJson),
    };
  });
  router.post("/v1/circuits", adminOnly, async (ctx) => {
    const { circuit, created } = await verifier.registerExternalCircuit(ctx.request.body);
    logger.info(
      {
        event: created ? "circuit-registered" : "circuit-exists",
        requestId: ctx.state.requestId,
        circuit: circuit.name,
      },
      "circuit",
    );
    ctx.status = created ? 201 : 200;
    ctx.body = externalCircuitJson(circuit);
  });
  router.get("/v1/circuits/:name", (ctx) => {
    const release = verifier.circuit(ctx.params.name as string);
    ctx.body = { ...circuitJson(release), manifest: release.manifest };
  });
  router.get("/v1/circuits/:name/verification-key", async (ctx) => {
    ctx.body = (await verifier.checkableCircuit(ctx.params.name as string)).verificationKey;
  });
  router.post("/v1/circuits/:name/verify", async (ctx) => {
    ctx.body = proofCheckJson(
      await verifier.checkProof(ctx.params.name as string, ctx.request.body),
    );
  });
  router.post("/v1/circuits/:name/verify/batch", async (ctx) => {
    const name = ctx.params.name as string;
    await verifier.checkableCircuit(name); // 404 before the body is read for an unknown circuit
    const body = parseBody(batchProofCheckRequest, ctx.request.body);
    ctx.body = {
      results: (await verifier.checkProofs(name, body.items)).map(proofCheckJson),
    };
  });

  router.post("/v1/api-keys", adminOnly, async (ctx) => {
    const { name } = parseBody(apiKeyRequest, ctx.request.body);
    const { record, key } = newClientKey(name);
    await store.putApiKey(record);
    logger.info({ event: "api-key-created", requestId: ctx.state.requestId }, "api key");
    ctx.status = 201;
    ctx.body = { ...apiKeyJson(record), key };
  });
  router.get("/v1/api-keys", adminOnly, async (ctx) => {
    ctx.body = { keys: (await store.listApiKeys()).map(apiKeyJson) };
  });
  router.delete("/v1/api-keys/:id", adminOnly, async (ctx) => {
    const id = ctx.params.id as string;
    if (!(await store.revokeApiKey(id, new Date()))) {
      throw new CrossproofError(ErrorCode.NOT_FOUND, `no live API key "${id}"`);
    }
    logger.info({ event: "api-key-revoked", requestId: ctx.state.requestId }, "api key");
    ctx.status = 204;
  });

  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });

  router.get("/readyz", async (ctx) => {
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    checks.artifacts = { ok: verifier.circuits.has("query") };
    try {
      await store.ping();
      checks.store = { ok: true };
    } catch (err) {
      checks.store = { ok: false, detail: (err as CrossproofError).code ?? "error" };
    }
    if (roots.inSync) checks.registry = { ok: true };
    else {
      try {
        await roots.blockNumber();
        checks.registry = { ok: true, detail: "reachable; event watch catching up" };
      } catch (err) {
        checks.registry = { ok: false, detail: (err as CrossproofError).code ?? "error" };
      }
    }
    // The loaded query key must be registered on chain, or every proof is refused.
    try {
      const release = await verifier.loadedRelease();
      checks.release =
        release === null
          ? {
              ok: false,
              detail:
                "the loaded query key is not registered on the chain: every proof would be refused (CIRCUIT_UNREGISTERED); register it with crossproof chain release register",
            }
          : {
              ok: true,
              detail: `query ${release.version} (${release.kind})${release.acceptedUntil ? `, retired: accepted until ${release.acceptedUntil.toISOString()}` : ""}`,
            };
    } catch (err) {
      checks.release = { ok: false, detail: (err as CrossproofError).code ?? "error" };
    }
    checks.pool = { ok: pool.stats.workers > 0 };
    // Shared limits falling back to per-instance ones is said here, never a reason to refuse.
    if (perKey.mode) checks.rateLimits = { ok: true, detail: perKey.mode().detail };
    checks.accepting = { ok: !stopping() };
    checks.keys = developmentNotice
      ? { ok: true, detail: developmentNotice }
      : { ok: true, detail: "every circuit has a production key (multi-party ceremony)" };
    if (options.readiness) {
      try {
        Object.assign(checks, await options.readiness());
      } catch (err) {
        checks.deployment = { ok: false, detail: (err as CrossproofError).code ?? "error" };
      }
    }
    const ready = Object.values(checks).every((c) => c.ok);
    const warnings = [...verifier.circuits.values()]
      .filter((r) => r.manifest.setup.kind === "development")
      .map((r) => `circuit ${r.name} has a development setup: not for production`);
    ctx.status = ready ? 200 : 503;
    ctx.body = { ready, checks, warnings };
  });

  router.get("/metrics", async (ctx) => {
    const stats = pool.stats;
    metrics.queueDepth.set(stats.queued);
    metrics.workers.set(stats.workers);
    metrics.rootCache.set({ result: "hit" }, roots.stats.hits);
    metrics.rootCache.set({ result: "miss" }, roots.stats.misses);
    metrics.registryInSync.set(roots.inSync ? 1 : 0);
    if (perKey.mode) metrics.rateLimitShared.set(perKey.mode().shared ? 1 : 0);
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  router.get("/openapi.json", (ctx) => {
    ctx.body = document;
  });
  router.get("/docs", (ctx) => {
    ctx.type = "html";
    // The page is static: inline styles only, no scripts.
    ctx.set(
      "content-security-policy",
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    ctx.body = docsPage;
  });

  app.use(requestLog(logger));
  app.use(async (ctx, next) => {
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
  });
  app.use(securityHeaders());
  app.use(jsonErrors(logger));
  app.use(requestTimeout(options.requestTimeoutMs));
  app.use(jsonBody(options.bodyLimitKb));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  return app;
}
