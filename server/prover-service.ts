/**
 * The prover service: a Koa API that runs inside the holder's boundary and turns
 * `(recordId, challenge)` into a presentation, proving in the worker pool (native or snarkjs: `CROSSPROOF_PROVER_ENGINE`). Its routes and shapes
 * are described in `prover-api.ts` (served as `/openapi.json` and `/docs`).
 *
 * It listens on 127.0.0.1 by default: it holds raw records and is not for the open network. It
 * logs request ids, routes, record and challenge ids, codes and durations; never a body.
 */
import Router from "@koa/router";
import Koa from "koa";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { CrossproofError } from "../core/errors.js";
import type { ProofBundle } from "../core/proof.js";
import { type ProofRequest, parseProofRequest } from "../core/proof-request.js";
import { parseBody } from "../core/wire/common.js";
import { batchPresentationRequest, presentationRequest } from "../core/wire/prover.js";
import type { CrossproofLogger } from "../infra/log.js";
import type { Vault } from "../issuer/vault.js";
import { PROVER_ENGINES, type ProverEngine } from "../prover/native/index.js";
import type { JobOutcome, ProverPool, ProverPoolStats } from "../prover/pool.js";
import {
  type Presentation,
  type ProveFunction,
  toPresentation,
  witnessFor,
} from "../prover/present-record.js";
import { queryShape } from "../prover/prove-query.js";
import type { QueryWitness } from "../prover/query-input.js";
import { apiDocsHtml, openApiDocument } from "./api-doc.js";
import {
  errorBody,
  jsonBody,
  jsonErrors,
  requestLog,
  requestTimeout,
  securityHeaders,
} from "./http.js";
import { PROVER_API } from "./prover-api.js";

/** What the service needs from the prover pool. */
export interface ProverBackend {
  readonly prove: ProveFunction;
  /**
   * Proves one request's witnesses together: admitted whole (each result in order) or refused
   * whole with `QUEUE_FULL`, thrown.
   */
  readonly proveAll: (
    witnesses: readonly QueryWitness[],
  ) => Promise<PromiseSettledResult<ProofBundle>[]>;
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
    proveAll: (witnesses) => pool.proveAll(witnesses),
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

/** Dependencies and limits of the prover app. */
export interface ProverAppOptions {
  readonly vault: Vault;
  readonly backend: ProverBackend;
  readonly metrics: ProverMetrics;
  readonly logger: CrossproofLogger;
  /** Largest request body (default 256 KB: a full batch of forwarded challenges fits). */
  readonly bodyLimitKb?: number;
  /** Longest a request may take before `REQUEST_TIMEOUT` (default 180 s: a full batch). */
  readonly requestTimeoutMs?: number;
}

/** An item the holder can prove, or why it cannot. */
type Prepared =
  | { readonly recordId: string; readonly request: ProofRequest; readonly witness: QueryWitness }
  | CrossproofError;

/** The Koa application of the prover service. */
export function createProverApp(options: ProverAppOptions): Koa {
  const { vault, backend, metrics, logger } = options;
  const app = new Koa({ proxy: false });
  const router = new Router();
  const document = openApiDocument(PROVER_API);
  const docsPage = apiDocsHtml(document);

  /** The witness of one request item, checked against the vault; errors are that item's. */
  const prepare = (item: { recordId: string; challenge?: unknown }): Prepared => {
    try {
      const request = parseProofRequest(item.challenge, backend.k);
      return {
        recordId: item.recordId,
        request,
        witness: witnessFor(vault, item.recordId, request, backend.k),
      };
    } catch (err) {
      if (err instanceof CrossproofError) return err;
      throw err;
    }
  };
  /** Counts and logs one item's outcome; the presentation, or the error to answer with. */
  const settle = (
    prepared: Prepared,
    proof: PromiseSettledResult<ProofBundle> | undefined,
    requestId: string,
  ): Presentation | CrossproofError => {
    let outcome: Presentation | CrossproofError;
    if (prepared instanceof CrossproofError) outcome = prepared;
    else if (proof?.status === "fulfilled") outcome = toPresentation(prepared.request, proof.value);
    else if (proof?.reason instanceof CrossproofError) outcome = proof.reason;
    else throw proof?.reason ?? new Error("no proof for a prepared item");
    metrics.presentations.inc({ result: outcome instanceof CrossproofError ? outcome.code : "ok" });
    if (!(outcome instanceof CrossproofError) && !(prepared instanceof CrossproofError)) {
      logger.info(
        {
          event: "presented",
          requestId,
          recordId: prepared.recordId,
          challengeId: prepared.request.challengeId,
        },
        "presentation",
      );
    }
    return outcome;
  };
  /** Proves a request's items as one request of the pool; one outcome per item, in order. */
  const presentAll = async (
    items: readonly { recordId: string; challenge?: unknown }[],
    requestId: string,
  ): Promise<(Presentation | CrossproofError)[]> => {
    const prepared = items.map(prepare);
    const ready = prepared.filter(
      (p): p is Exclude<Prepared, CrossproofError> => !(p instanceof CrossproofError),
    );
    let proofs: PromiseSettledResult<ProofBundle>[];
    try {
      proofs = ready.length === 0 ? [] : await backend.proveAll(ready.map((p) => p.witness));
    } catch (err) {
      if (err instanceof CrossproofError)
        metrics.presentations.inc({ result: err.code }, items.length);
      throw err;
    }
    return prepared.map((p) =>
      settle(p, p instanceof CrossproofError ? undefined : proofs[ready.indexOf(p)], requestId),
    );
  };

  router.post("/v1/presentations", async (ctx) => {
    // One proof: the pool's `prove`, a request of one.
    const prepared = prepare(parseBody(presentationRequest, ctx.request.body));
    const proof =
      prepared instanceof CrossproofError
        ? undefined
        : await backend.prove(prepared.witness).then(
            (value): PromiseSettledResult<ProofBundle> => ({ status: "fulfilled", value }),
            (reason: unknown): PromiseSettledResult<ProofBundle> => ({
              status: "rejected",
              reason,
            }),
          );
    const outcome = settle(prepared, proof, ctx.state.requestId as string);
    if (outcome instanceof CrossproofError) throw outcome;
    ctx.body = outcome;
  });

  router.post("/v1/presentations/batch", async (ctx) => {
    const { items } = parseBody(batchPresentationRequest, ctx.request.body);
    const outcomes = await presentAll(items, ctx.state.requestId as string);
    ctx.body = {
      results: outcomes.map((o) =>
        o instanceof CrossproofError ? errorBody(o) : { presentation: o },
      ),
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

  router.get("/openapi.json", (ctx) => {
    ctx.body = document;
  });

  router.get("/docs", (ctx) => {
    ctx.type = "text/html";
    ctx.body = docsPage;
  });

  app.use(requestLog(logger));
  app.use(securityHeaders());
  app.use(jsonErrors(logger));
  app.use(requestTimeout(options.requestTimeoutMs ?? 180_000));
  app.use(jsonBody(options.bodyLimitKb));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
