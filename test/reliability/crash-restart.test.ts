/**
 * The crash-restart suite's short preset (`reliability/crash-restart.ts`): `crossproof start`
 * SIGKILLed while verifying a load of genuine presentations, then restarted on the same folder.
 */
import { describe, expect, it } from "vitest";
import { runCrashRestart, short } from "../../reliability/crash-restart.js";
import { failedChecks } from "../../reliability/report.js";

describe("a SIGKILL of the services under load, and a restart", () => {
  it("restarts at once, revives no consumed challenge, decides each presentation once and keeps the audit log intact", async () => {
    const report = await runCrashRestart(short);
    expect(failedChecks(report)).toEqual([]);
    const f = report.figures;
    expect(f.presentations).toBe(short.answeredFirst + short.load);
    expect(f.answeredBeforeKill).toBeGreaterThan(short.answeredFirst);
    expect(f.inFlightAtKill).toBeGreaterThan(0);
    expect(Number(f.consumedWithoutAnswer) + Number(f.reverifiedAfterRestart)).toBe(
      f.inFlightAtKill,
    );
    expect(f.receiptsReadBeforeKill).toBe(short.answeredFirst);
    expect(f.consumedChallengesAudited).toBe(short.answeredFirst + short.load);
  }, 150_000);
});
