/**
 * The soak's short version: `crossproof start` in a child process under the mixed load for 30 s
 * (`npm run soak` runs it for 10 minutes). Every answer must be the one it must be, and resident
 * memory must stay within its bound after warm-up.
 */
import { describe, expect, it } from "vitest";
import { failedChecks } from "../../reliability/report.js";
import { runSoak, short } from "../../reliability/soak.js";

describe("the soak (short)", () => {
  it("holds a mixed load with zero unexpected answers and stable memory", {
    timeout: 240_000,
  }, async () => {
    const report = await runSoak(short);
    expect(failedChecks(report)).toEqual([]);
    expect(report.figures.unexpectedErrors).toBe(0);
    expect(report.figures["verification.count"]).toBeGreaterThan(0);
    expect(report.figures.requests).toBeGreaterThan(300);
  });
});
