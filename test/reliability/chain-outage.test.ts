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
    expect(f["requests.outage.verifyBatch.item.REGISTRY_UNAVAILABLE"]).toBeGreaterThan(0);
    expect(f["requests.outage.readyz.503"]).toBeGreaterThan(0);
    expect(f["requests.outage.proofCheck.200"]).toBeGreaterThan(0);
    expect(f["requests.outage.challenge.200"]).toBeGreaterThan(0);
    // Each refused with 503 (all but any answered from the root cache in the first poll after
    // the kill) is decided once after recovery, as its kind says.
    expect(f.presentationsResentAfterRecovery).toBeGreaterThan(0);
    expect(
      Number(f.presentationsResentVerified) + Number(f.presentationsResentRefusedRevoked),
    ).toBe(f.presentationsResentAfterRecovery);
  }, 150_000);
});
