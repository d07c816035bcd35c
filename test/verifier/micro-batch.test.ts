/**
 * The micro-batcher (`verifier/micro-batch.ts`) over a stand-in runner that records the batches
 * it is given: single checks share batches, batches grow while the workers are busy, each caller
 * gets its own item's outcome, a failing batch fails only its own callers, and the queue is
 * bounded.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { ProofBundle } from "../../core/proof.js";
import type { VerificationKey } from "../../infra/artifacts.js";
import { MicroBatcher } from "../../verifier/micro-batch.js";
import type { BatchRunner, VerifyOutcome } from "../../verifier/pool.js";

const KEY = { nPublic: 1 } as unknown as VerificationKey;
const OTHER_KEY = { nPublic: 1 } as unknown as VerificationKey;

/** A bundle the stand-in runner calls valid when its one signal is odd. */
function bundle(n: number): ProofBundle {
  return { proof: {} as ProofBundle["proof"], publicSignals: [String(n)] };
}

class Recorder implements BatchRunner {
  readonly batches: { key: VerificationKey; signals: string[] }[] = [];
  running = 0;
  mostRunning = 0;
  constructor(
    readonly workers: number,
    readonly ms: number,
    readonly fail: (signals: string[]) => boolean = () => false,
  ) {}
  async checkBatch(key: VerificationKey, bundles: readonly ProofBundle[]) {
    const signals = bundles.map((b) => b.publicSignals[0] as string);
    this.batches.push({ key, signals });
    this.running += 1;
    this.mostRunning = Math.max(this.mostRunning, this.running);
    await sleep(this.ms);
    this.running -= 1;
    if (this.fail(signals)) throw new Error("worker died");
    return signals.map((s): VerifyOutcome => ({ valid: Number(s) % 2 === 1 }));
  }
}

describe("micro-batching", () => {
  it("gives each caller its own outcome, in batches no larger than maxBatch", async () => {
    const runner = new Recorder(2, 5);
    const batcher = new MicroBatcher(runner, { maxDelayMs: 2, maxBatch: 16 });
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => batcher.check(KEY, bundle(i))),
    );
    expect(outcomes).toEqual(Array.from({ length: 200 }, (_, i) => ({ valid: i % 2 === 1 })));
    const sizes = runner.batches.map((b) => b.signals.length);
    expect(sizes.reduce((a, b) => a + b)).toBe(200);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16);
    expect(runner.batches.length).toBeLessThan(200 / 8); // shared, not one per check
    expect(runner.mostRunning).toBeLessThanOrEqual(2); // never more batches than workers
  });

  it("lets batches grow while every worker is busy", async () => {
    const runner = new Recorder(1, 60);
    const batcher = new MicroBatcher(runner, { maxDelayMs: 1, maxBatch: 64 });
    const first = batcher.check(KEY, bundle(1));
    await sleep(5); // the first batch (one check) is running
    const later: Promise<VerifyOutcome>[] = [];
    for (let round = 0; round < 4; round++) {
      // arriving over 20 ms, far longer than maxDelayMs, while the worker is busy
      for (let i = 0; i < 10; i++) later.push(batcher.check(KEY, bundle(10 * round + i)));
      await sleep(5);
    }
    await Promise.all([first, ...later]);
    expect(runner.batches.map((b) => b.signals.length)).toEqual([1, 40]);
  });

  it("waits at most about maxDelayMs for company when a worker is idle", async () => {
    const runner = new Recorder(2, 1);
    const batcher = new MicroBatcher(runner, { maxDelayMs: 20, maxBatch: 64 });
    const started = performance.now();
    await batcher.check(KEY, bundle(3));
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(19);
    expect(waited).toBeLessThan(500);
    expect(runner.batches).toHaveLength(1);
  });

  it("splits a batch between idle workers, no part under minShare", async () => {
    const runner = new Recorder(2, 5);
    const batcher = new MicroBatcher(runner, { maxDelayMs: 5, maxBatch: 64, minShare: 8 });
    await Promise.all(Array.from({ length: 32 }, (_, i) => batcher.check(KEY, bundle(i))));
    expect(runner.batches.map((b) => b.signals.length)).toEqual([16, 16]);

    const small = new Recorder(2, 5);
    const few = new MicroBatcher(small, { maxDelayMs: 5, maxBatch: 64, minShare: 8 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => few.check(KEY, bundle(i))));
    expect(small.batches.map((b) => b.signals.length)).toEqual([10]);
  });

  it("never mixes circuits in one batch", async () => {
    const runner = new Recorder(2, 2);
    const batcher = new MicroBatcher(runner, { maxDelayMs: 5 });
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => batcher.check(KEY, bundle(i))),
      ...Array.from({ length: 5 }, (_, i) => batcher.check(OTHER_KEY, bundle(100 + i))),
    ]);
    for (const b of runner.batches) {
      const other = b.key === OTHER_KEY;
      expect(b.signals.every((s) => Number(s) >= 100 === other)).toBe(true);
    }
  });

  it("fails only the callers of a batch whose worker fails", async () => {
    const runner = new Recorder(2, 5, (signals) => signals.includes("0"));
    const batcher = new MicroBatcher(runner, { maxDelayMs: 2, maxBatch: 8, minShare: 8 });
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => batcher.check(KEY, bundle(i))),
    );
    const failedBatch = runner.batches.find((b) => b.signals.includes("0"));
    results.forEach((r, i) => {
      expect(r.status).toBe(failedBatch?.signals.includes(String(i)) ? "rejected" : "fulfilled");
    });
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
  });

  it("refuses a check at once with QUEUE_FULL past maxPending", async () => {
    const runner = new Recorder(1, 50);
    const batcher = new MicroBatcher(runner, { maxDelayMs: 1, maxBatch: 4, maxPending: 10 });
    const running = batcher.check(KEY, bundle(1));
    await sleep(5);
    const waiting = Array.from({ length: 10 }, (_, i) => batcher.check(KEY, bundle(i)));
    await expect(batcher.check(KEY, bundle(99))).rejects.toMatchObject({ code: "QUEUE_FULL" });
    await Promise.all([running, ...waiting]);
  });

  it("sends checkMany straight to the workers, split between them", async () => {
    const runner = new Recorder(2, 5);
    const batcher = new MicroBatcher(runner, { maxDelayMs: 1000, maxBatch: 64 });
    const started = performance.now();
    const outcomes = await batcher.checkMany(
      KEY,
      Array.from({ length: 64 }, (_, i) => bundle(i)),
    );
    expect(performance.now() - started).toBeLessThan(500); // no batching delay
    expect(outcomes).toHaveLength(64);
    expect(outcomes[7]).toEqual({ valid: true });
    expect(runner.batches.map((b) => b.signals.length)).toEqual([32, 32]);
    expect(await batcher.checkMany(KEY, [])).toEqual([]);
  });
});
