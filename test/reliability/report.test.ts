/** The reliability suites' report: checks, counter-examples, and skipped checks that never pass. */
import { describe, expect, it } from "vitest";
import { failedChecks, SuiteRecorder } from "../../reliability/report.js";

describe("SuiteRecorder", () => {
  it("passes a checkNone without counter-examples, and fails one with them, showing the first five", () => {
    const rec = new SuiteRecorder("demo", 7);
    rec.checkNone("nothing wrong", []);
    rec.checkNone("seven wrong", ["a", "b", "c", "d", "e", "f", "g"]);
    const report = rec.report();
    expect(report.seed).toBe(7);
    expect(report.checks).toEqual([
      { name: "nothing wrong", passed: true },
      { name: "seven wrong", passed: false, detail: "a; b; c; d; e; and 2 more" },
    ]);
    expect(failedChecks(report)).toEqual(["demo: seven wrong (a; b; c; d; e; and 2 more)"]);
  });

  it("reports a skipped check as not passed, and leaves it out of the failures", () => {
    const rec = new SuiteRecorder("demo");
    rec.skip("npm audit", "the registry did not answer");
    const [check] = rec.report().checks;
    expect(check).toEqual({
      name: "npm audit",
      passed: false,
      skipped: "the registry did not answer",
    });
    expect(failedChecks(rec.report())).toEqual([]);
  });
});
