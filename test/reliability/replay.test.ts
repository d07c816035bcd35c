/**
 * The replay suite's short preset (`reliability/replay.ts`): re-randomised proofs of a consumed
 * challenge are refused, and of 50 concurrent attempts on one challenge exactly one is verified.
 */
import { describe, expect, it } from "vitest";
import { runReplay, short } from "../../reliability/replay.js";
import { failedChecks } from "../../reliability/report.js";

describe("replay and malleability", () => {
  it("refuses every re-randomised replay and verifies each challenge exactly once under concurrency", async () => {
    const report = await runReplay(short);
    expect(failedChecks(report)).toEqual([]);
    expect(report.figures.rerandomizedValidStateless).toBe(short.rerandomizations);
    expect(report.figures.rerandomizedRefusedConsumed).toBe(short.rerandomizations);
    expect(report.figures.concurrentScenarios).toBe(4);
    expect(report.figures.concurrentAttempts).toBe(4 * short.concurrency);
    expect(report.figures.concurrentVerified).toBe(4);
    expect(report.figures.concurrentRefusedConsumed).toBe(4 * (short.concurrency - 1));
  }, 180_000);
});
