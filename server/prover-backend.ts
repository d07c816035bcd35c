/**
 * What the prover service needs from the proving pool, and the pool's adapter to it; the
 * service's metrics, fed by the pool's hooks.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ProofBundle } from "../core/proof.js";
import { PROVER_ENGINES, type ProverEngine } from "../prover/native/index.js";
import type { JobOutcome, ProverPool, ProverPoolStats } from "../prover/pool.js";
import type { ProveFunction } from "../prover/present-record.js";
import { queryShape } from "../prover/prove-query.js";
import type { ProverWitness } from "../prover/query-v2-input.js";

/** What the service needs from the prover pool. */
export interface ProverBackend {
  readonly prove: ProveFunction;
  /**
   * Proves one request's witnesses together: admitted whole (each result in order) or refused
   * whole with `QUEUE_FULL`, thrown.
   */
  readonly proveAll: (
    witnesses: readonly ProverWitness[],
  ) => Promise<PromiseSettledResult<ProofBundle>[]>;
  /** Checks a witness as `prove` would, without proving it; throws what the check finds. */
  readonly check: (witness: ProverWitness) => void;
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
    check: (witness) => pool.check(witness),
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
