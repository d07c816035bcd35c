/**
 * The fuzz suite's short preset (`reliability/fuzz.ts`): a few thousand random and mutated
 * requests to every endpoint of the verifier and prover services, from a fixed seed.
 */
import { describe, expect, it } from "vitest";
import { runFuzz, short } from "../../reliability/fuzz.js";
import { failedChecks } from "../../reliability/report.js";

describe("API fuzzing", () => {
  it("answers every random and mutated request without a 5xx, a leak or a false verification", async () => {
    const report = await runFuzz(short);
    expect(failedChecks(report)).toEqual([]);
    expect(report.seed).toBe(short.seed);
    expect(report.figures.requests).toBeGreaterThanOrEqual(short.randomRequests + 1000);
    expect(report.figures.distinctRequests).toBeGreaterThan(2000);
    expect(report.figures.endpoints).toBeGreaterThanOrEqual(31);
    expect(report.figures.mutatedPresentations).toBeGreaterThan(1000);
    expect(report.figures.shapeRefusedMutationsBeforeGenuine).toBeGreaterThan(50);
  }, 240_000);
});
