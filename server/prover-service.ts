/**
 * The prover service: a Koa API that runs inside the holder's boundary and turns
 * `(recordId, challenge)` into a presentation, proving in the worker pool.
 *
 * - `POST /v1/presentations` `{recordId, challenge}` → the presentation
 *   `{challengeId, proof, publicSignals}`, ready to forward to the verifier as it is
 * - `POST /v1/presentations/batch` `{items: [{recordId, challenge}]}` → `{results: [...]}`, one
 *   result per item in order, each `{presentation}` or `{error}`
 * - `GET /healthz`: the pool's state and engine; `GET /metrics`: Prometheus (queue depth, proving
 *   latency, engine)
 *
 * It listens on 127.0.0.1 by default: it holds raw records and is not for the open network. It
 * logs request ids, routes, record and challenge ids, codes and durations; never a body.
 */
import Router from "@koa/router";
import Koa from "koa";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { CrossproofLogger } from "../core/log.js";
import { parseProofRequest } from "../core/proof-request.js";
import type { Vault } from "../issuer/vault.js";
import { PROVER_ENGINES, type ProverEngine } from "../prover/native/index.js";
import type { JobOutcome, ProverPool, ProverPoolStats } from "../prover/pool.js";
import { type Presentation, type ProveFunction, presentRecord } from "../prover/present-record.js";
import { queryShape } from "../prover/prove-query.js";
import {
  errorBody,
  jsonBody,
  jsonErrors,
  requestLog,
  requireObject,
  securityHeaders,
} from "./http.js";

/** Most items in one batch request. */
export const MAX_BATCH = 64;

/** What the service needs from the prover pool. */
export interface ProverBackend {
  readonly prove: ProveFunction;
  readonly stats: ProverPoolStats;
  /** Predicate slots of the `query` circuit the pool proves. */
  readonly k: number;
  /** The proving engine (`native` or `snarkjs`), reported by `/healthz` and `/metrics`. */
  readonly engine?: ProverEngine;
}

/** The backend for a `ProverPool`: its `prove`, its live stats, and its circuit's K. */
export function poolBackend(pool: ProverPool): ProverBackend {
  const { k } = queryShape(pool.release);
  return {
    prove: (witness) => pool.prove(witness),
    get stats() {
      return pool.stats;
    },
    k,
    engine: pool.engine,
  };
}

/** The service's Prometheus metrics; `observeJob` is the pool's `onJob` hook. */
export class ProverMetrics {
  readonly registry = new Registry();
  readonly #latency = new Histogram({
    name: "crossproof_prover_job_seconds",
    help: "Time from acceptance to the end of a proving job, by outcome",
    labelNames: ["outcome"],
    buckets: [0.5, 1, 1.5, 2, 3, 4, 6, 8, 12, 20, 30, 60],
    registers: [this.registry],
  });
  readonly presentations = new Counter({
    name: "crossproof_prover_presentations_total",
    help: "Presentation requests, by result code (ok or an error code)",
    labelNames: ["result"],
    registers: [this.registry],
  });
  readonly #queue = new Gauge({
    name: "crossproof_prover_queue_depth",
    help: "Proving jobs waiting for a worker",
    registers: [this.registry],
  });
  readonly #running = new Gauge({
    name: "crossproof_prover_jobs_running",
    help: "Proving jobs on a worker",
    registers: [this.registry],
  });

  readonly #engine = new Gauge({
    name: "crossproof_prover_engine_info",
    help: "The proving engine in use (1 for the engine named by the label)",
    labelNames: ["engine"],
    registers: [this.registry],
  });

  /** Records one finished job (wire it to the pool's `onJob`). */
  observeJob = (durationMs: number, outcome: JobOutcome): void => {
    this.#latency.observe({ outcome }, durationMs / 1000);
  };

  /** Refreshes the gauges from the pool before a scrape. */
  sample(stats: ProverPoolStats, engine?: ProverEngine): void {
    this.#queue.set(stats.queued);
    this.#running.set(stats.running);
    if (engine !== undefined) {
      for (const name of PROVER_ENGINES)
        this.#engine.set({ engine: name }, name === engine ? 1 : 0);
    }
  }
}

/** Dependencies of the prover app. */
export interface ProverAppOptions {
  readonly vault: Vault;
  readonly backend: ProverBackend;
  readonly metrics: ProverMetrics;
  readonly logger: CrossproofLogger;
}

function recordIdOf(body: Record<string, unknown>): string {
  const id = body.recordId;
  if (typeof id !== "string" || id.length === 0 || id.length > 128) {
    throw new CrossproofError(ErrorCode.INVALID_REQUEST, "recordId must be a non-empty string");
  }
  return id;
}

/** The Koa application of the prover service. */
export function createProverApp(options: ProverAppOptions): Koa {
  const { vault, backend, metrics, logger } = options;
  const app = new Koa({ proxy: false });
  const router = new Router();

  const present = async (item: unknown, requestId: string): Promise<Presentation> => {
    const body = requireObject(item, "the request");
    const recordId = recordIdOf(body);
    const request = parseProofRequest(body.challenge, backend.k);
    try {
      const presentation = await presentRecord(vault, backend.prove, recordId, request, backend.k);
      metrics.presentations.inc({ result: "ok" });
      logger.info(
        { event: "presented", requestId, recordId, challengeId: request.challengeId },
        "presentation",
      );
      return presentation;
    } catch (err) {
      metrics.presentations.inc({ result: err instanceof CrossproofError ? err.code : "INTERNAL" });
      throw err;
    }
  };

  router.post("/v1/presentations", async (ctx) => {
    ctx.body = await present(ctx.request.body, ctx.state.requestId as string);
  });

  router.post("/v1/presentations/batch", async (ctx) => {
    const body = requireObject(ctx.request.body, "the request");
    const items = body.items;
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH) {
      throw new CrossproofError(
        ErrorCode.INVALID_REQUEST,
        `items must be an array of 1 to ${MAX_BATCH} requests`,
      );
    }
    // Every item goes to the pool at once; the pool's queue bound applies to each.
    const settled = await Promise.allSettled(
      items.map((item) => present(item, ctx.state.requestId as string)),
    );
    ctx.body = {
      results: settled.map((s) => {
        if (s.status === "fulfilled") return { presentation: s.value };
        if (s.reason instanceof CrossproofError) return errorBody(s.reason);
        return { error: { code: "INTERNAL", message: "internal error", details: {} } };
      }),
    };
  });

  router.get("/healthz", (ctx) => {
    const stats = backend.stats;
    ctx.status = stats.workers > 0 ? 200 : 503;
    ctx.body = {
      status: stats.workers > 0 ? "ok" : "no workers",
      ...(backend.engine === undefined ? {} : { engine: backend.engine }),
      pool: stats,
    };
  });

  router.get("/metrics", async (ctx) => {
    metrics.sample(backend.stats, backend.engine);
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  app.use(requestLog(logger));
  app.use(securityHeaders());
  app.use(jsonErrors(logger));
  app.use(jsonBody());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
