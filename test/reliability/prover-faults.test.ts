/**
 * The prover fault suite's short preset (`reliability/prover-faults.ts`): proving workers that
 * die mid-proof under concurrent presentation requests.
 */
import { describe, expect, it } from "vitest";
import { runProverFaults, short } from "../../reliability/prover-faults.js";
import { failedChecks } from "../../reliability/report.js";

describe("prover faults", () => {
  it("fails only the crashed jobs with PROVER_FAILED, replaces the workers, and proves the rest", async () => {
    const report = await runProverFaults(short);
    expect(failedChecks(report)).toEqual([]);
    const jobs = short.rounds * short.perRound;
    expect(report.figures).toMatchObject({
      jobs,
      crashesInjected: short.rounds,
      jobsFailed: short.rounds,
      jobsSucceeded: jobs - short.rounds,
      workersReplaced: short.rounds,
      presentationsVerified: jobs - short.rounds,
    });
    if (process.platform === "linux") expect(report.figures.threadsAfter).toBeDefined();
  }, 150_000);
});
