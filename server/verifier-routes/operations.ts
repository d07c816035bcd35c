/** Liveness, readiness and metrics: public, for the operator's probes and scrapers. */
import type { CrossproofError } from "../../core/errors.js";
import { documentOperation } from "../routes.js";
import {
  type ReadinessCheck,
  type VerifierContext,
  type VerifierRoute,
  verifierRoute,
} from "./context.js";

/** The code of a failed check's error, for `/readyz` (never its message). */
const codeOf = (err: unknown): string => (err as CrossproofError).code ?? "error";

/** Every readiness check of the service and of its deployment, by name. */
async function readinessChecks(c: VerifierContext): Promise<Record<string, ReadinessCheck>> {
  const checks: Record<string, ReadinessCheck> = {};
  checks.artifacts = { ok: c.verifier.circuits.has("query") };
  try {
    await c.store.ping();
    checks.store = { ok: true };
  } catch (err) {
    checks.store = { ok: false, detail: codeOf(err) };
  }
  if (c.roots.inSync) checks.registry = { ok: true };
  else {
    try {
      await c.roots.blockNumber();
      checks.registry = { ok: true, detail: "reachable; event watch catching up" };
    } catch (err) {
      checks.registry = { ok: false, detail: codeOf(err) };
    }
  }
  // The loaded query key must be registered on chain, or every proof is refused.
  try {
    const release = await c.verifier.loadedRelease();
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
    checks.release = { ok: false, detail: codeOf(err) };
  }
  checks.pool = { ok: c.pool.stats.workers > 0 };
  // Shared limits falling back to per-instance ones is said here, never a reason to refuse.
  if (c.perKey.mode) checks.rateLimits = { ok: true, detail: c.perKey.mode().detail };
  checks.accepting = { ok: !c.stopping() };
  checks.keys = c.developmentNotice
    ? { ok: true, detail: c.developmentNotice }
    : { ok: true, detail: "every circuit has a production key (multi-party ceremony)" };
  if (c.readiness) {
    try {
      Object.assign(checks, await c.readiness());
    } catch (err) {
      checks.deployment = { ok: false, detail: codeOf(err) };
    }
  }
  return checks;
}

export const OPERATION_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "get",
    "/healthz",
    {
      summary: "Liveness",
      tag: "operations",
      public: true,
      ok: ["200", "Health", "The process answers"],
    },
    () => (ctx) => {
      ctx.body = { status: "ok" };
    },
  ),
  verifierRoute(
    "get",
    "/readyz",
    {
      summary: "Readiness: artifacts loaded, store and registry reachable, workers up",
      tag: "operations",
      public: true,
      ok: ["200", "Readiness", "Ready"],
      errors: { "503": "Not ready (the body says which check failed)" },
      errorSchemas: { "503": "Readiness" },
    },
    (c) => async (ctx) => {
      const checks = await readinessChecks(c);
      const ready = Object.values(checks).every((check) => check.ok);
      const warnings = [...c.verifier.circuits.values()]
        .filter((r) => r.manifest.setup.kind === "development")
        .map((r) => `circuit ${r.name} has a development setup: not for production`);
      ctx.status = ready ? 200 : 503;
      ctx.body = { ready, checks, warnings };
    },
  ),
  verifierRoute("get", "/metrics", documentOperation("/metrics"), (c) => async (ctx) => {
    const { metrics, pool, roots, perKey } = c;
    const stats = pool.stats;
    metrics.queueDepth.set(stats.queued);
    metrics.workers.set(stats.workers);
    metrics.rootCache.set({ result: "hit" }, roots.stats.hits);
    metrics.rootCache.set({ result: "miss" }, roots.stats.misses);
    metrics.registryInSync.set(roots.inSync ? 1 : 0);
    if (perKey.mode) metrics.rateLimitShared.set(perKey.mode().shared ? 1 : 0);
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  }),
];
