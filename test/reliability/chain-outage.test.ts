/**
 * The chain-outage suite's short preset (`reliability/chain-outage.ts`): the chain node SIGKILLed
 * under a mixed load, kept down, and started again on the same folder.
 */
import { describe, expect, it } from "vitest";
import { runChainOutage, short } from "../../reliability/chain-outage.js";
import { failedChecks } from "../../reliability/report.js";

describe("a chain node outage under load", () => {
  it("fails readiness, answers 503 without consuming, verifies nothing wrongly, and recovers", async () => {
    const report = await runChainOutage(short);
    expect(failedChecks(report)).toEqual([]);
    const f = report.figures;
    expect(f["requests.outage.verify.503.REGISTRY_UNAVAILABLE"]).toBeGreaterThan(0);
    expect(f["requests.outage.readyz.503"]).toBeGreaterThan(0);
    expect(f["requests.outage.proofCheck.200"]).toBeGreaterThan(0);
    expect(f["requests.outage.challenge.200"]).toBeGreaterThan(0);
    expect(f.presentationsResentAfterRecovery).toBe(short.genuine + short.revoked);
    expect(f.presentationsResentVerified).toBe(short.genuine);
    expect(f.presentationsResentRefusedRevoked).toBe(short.revoked);
  }, 150_000);
});
