/**
 * What `GET /v1/stats` reads from this instance's histograms: quantiles estimated from
 * cumulative buckets as Prometheus's `histogram_quantile` does, latency and batch sizes.
 */
import { describe, expect, it } from "vitest";
import { histogramQuantile, VerifierMetrics } from "../../server/verifier-metrics.js";

const INF = Number.POSITIVE_INFINITY;

describe("histogramQuantile", () => {
  it("interpolates within the bucket the rank falls in, from 0 for the first", () => {
    const buckets = [
      { le: 1, count: 10 },
      { le: 2, count: 30 },
      { le: 4, count: 40 },
      { le: INF, count: 40 },
    ];
    expect(histogramQuantile(0.25, buckets)).toBe(1); // rank 10: the first bucket's top
    expect(histogramQuantile(0.1, buckets)).toBe(0.4); // rank 4 of 10 in [0, 1]
    expect(histogramQuantile(0.5, buckets)).toBe(1.5); // rank 20: half of [1, 2]
    expect(histogramQuantile(0.875, buckets)).toBe(3); // rank 35: half of [2, 4]
  });

  it("answers the highest finite bound for a rank in +Inf, NaN for no observations", () => {
    const buckets = [
      { le: 1, count: 1 },
      { le: 2, count: 1 },
      { le: INF, count: 4 },
    ];
    expect(histogramQuantile(0.99, buckets)).toBe(2);
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: INF, count: 0 },
      ]),
    ).toBeNaN();
  });
});

describe("VerifierMetrics", () => {
  it("summarises latency over both verdicts, null before any", async () => {
    const metrics = new VerifierMetrics();
    expect(await metrics.latency()).toBeNull();
    for (let i = 0; i < 9; i++) metrics.verificationSeconds.observe({ verdict: "verified" }, 0.004);
    metrics.verificationSeconds.observe({ verdict: "refused" }, 2);
    const latency = await metrics.latency();
    expect(latency?.count).toBe(10);
    expect(latency?.p50).toBeGreaterThan(0.0025);
    expect(latency?.p50).toBeLessThanOrEqual(0.005);
    expect(latency?.p99).toBeGreaterThan(1);
    expect(latency?.p99).toBeLessThanOrEqual(2.5);
  });

  it("gives the batch sizes as cumulative buckets, +Inf last", async () => {
    const metrics = new VerifierMetrics();
    for (const size of [1, 3, 3, 64, 300]) metrics.batchSize.observe(size);
    const buckets = await metrics.batchSizes();
    expect(buckets.map((b) => b.le)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, INF]);
    expect(buckets.map((b) => b.count)).toEqual([1, 1, 3, 3, 3, 3, 4, 4, 4, 5]);
  });
});
