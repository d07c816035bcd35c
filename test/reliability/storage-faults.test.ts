/**
 * The storage fault suite's short preset (`reliability/storage-faults.ts`): the verifier's
 * database locked and its disk full, the holder's vault on a full disk.
 */
import { describe, expect, it } from "vitest";
import { failedChecks } from "../../reliability/report.js";
import { runStorageFaults, short } from "../../reliability/storage-faults.js";

describe("storage faults", () => {
  it("answers STORE_UNAVAILABLE / VAULT_UNAVAILABLE, decides nothing, half-writes nothing, and recovers", async () => {
    const report = await runStorageFaults(short);
    expect(failedChecks(report)).toEqual([]);
    if (process.getuid?.() === 0) expect(report.figures.diskFullMethod).toBe("tmpfs");
    if (report.figures.diskFullMethod === "tmpfs") {
      expect(report.figures.diskFullRounds).toBe(short.rounds);
      expect(report.figures.vaultRecords).toBe(3 * short.vaultRows);
    }
    expect(report.figures.lockRounds).toBe(short.rounds);
    expect(report.figures.storeUnavailable).toBeGreaterThanOrEqual(2 * short.rounds);
    // one verification after each fault, one after each short lock
    expect(report.figures.verified).toBe(3 * short.rounds);
    expect(report.checks.length).toBeGreaterThan(20);
  }, 120_000);
});
