/**
 * The verifier service's Prometheus metrics (`/metrics`): verdicts and reasons, latencies, the
 * verification pool, the root cache, the registry watch and the rate limits' mode.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { BatchStats } from "../verifier/batch-verify.js";
import type { Verdict } from "../verifier/verifier.js";

/** A histogram bucket: how many observations were at most `le` (cumulative). */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The `q` quantile of a histogram from its cumulative buckets (ascending `le`, the last
 * `Infinity`), as Prometheus's `histogram_quantile` estimates it: linear within the bucket the
 * rank falls in (from 0 for the first), the highest finite bound when it falls in the last.
 * NaN for an empty histogram.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return lower;
      if (b.count === below) return b.le;
      return lower + ((b.le - lower) * (rank - below)) / (b.count - below);
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

/** A histogram's cumulative buckets, summed over its labels, ascending (`+Inf` last). */
async function bucketsOf(histogram: Histogram): Promise<Bucket[]> {
  const byLe = new Map<number, number>();
  for (const v of (await histogram.get()).values) {
    if (!v.metricName?.endsWith("_bucket")) continue;
    const le = v.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(v.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + v.value);
  }
  return [...byLe].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

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

  readonly receiptLogAnchors = new Counter({
    name: "crossproof_verifier_receipt_log_anchors_total",
    help: "Attempts to anchor the receipt log's head on chain, by outcome (written, failed)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly receiptLogAnchored = new Gauge({
    name: "crossproof_verifier_receipt_log_anchored_count",
    help: "The receipt log's count at the last anchor this instance wrote",
    registers: [this.registry],
  });
  readonly receiptLogAnchorGas = new Gauge({
    name: "crossproof_verifier_receipt_log_anchor_gas",
    help: "Gas used by the last anchor this instance wrote",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "crossproof_verifier_" });
  }

  /**
   * This instance's verification latency since it started: the count and the 50th, 90th and
   * 99th percentiles in seconds, estimated from the histogram; null before any verification.
   */
  async latency(): Promise<{ count: number; p50: number; p90: number; p99: number } | null> {
    const buckets = await bucketsOf(this.verificationSeconds);
    const count = buckets.at(-1)?.count ?? 0;
    if (count === 0) return null;
    return {
      count,
      p50: histogramQuantile(0.5, buckets),
      p90: histogramQuantile(0.9, buckets),
      p99: histogramQuantile(0.99, buckets),
    };
  }

  /** This instance's batch sizes since it started: cumulative buckets (`+Inf` last). */
  async batchSizes(): Promise<Bucket[]> {
    return bucketsOf(this.batchSize);
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
