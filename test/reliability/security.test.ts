/**
 * The security review's short version (`npm run soak` adds `npm audit`, which needs the
 * registry's audit endpoint): keys hashed, admin operations separate, security headers on every
 * route, secrets and databases 0600, nothing secret or raw in the log.
 */
import { describe, expect, it } from "vitest";
import { failedChecks } from "../../reliability/report.js";
import { runSecurityReview, short } from "../../reliability/security.js";

describe("the security review (short)", () => {
  it("finds every check holding on a fresh npm start stack", { timeout: 240_000 }, async () => {
    const report = await runSecurityReview(short);
    expect(failedChecks(report)).toEqual([]);
    expect(report.figures.adminOperations).toBeGreaterThanOrEqual(4);
    expect(report.checks.filter((c) => c.skipped !== undefined).map((c) => c.name)).toEqual([
      "npm audit of production dependencies",
    ]);
  });
});
