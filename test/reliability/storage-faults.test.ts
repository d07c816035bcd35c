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
    if (report.figures.diskFullMethod !== "tmpfs") {
      // A real full disk needs a tmpfs mount (root, and a container that allows it): say why.
      console.warn(
        `storage faults: the disk-full part did not run (${report.figures.diskFullMethod})`,
      );
      expect(report.checks.filter((c) => c.skipped !== undefined)).toHaveLength(1);
    } else {
      expect(report.figures.diskFullRounds).toBe(short.rounds);
      expect(report.figures.vaultRecords).toBe(3 * short.vaultRows);
    }
    expect(report.figures.lockRounds).toBe(short.rounds);
    expect(report.figures.storeUnavailable).toBeGreaterThanOrEqual(2 * short.rounds);
    // one verification after each fault (lock, full disk), one after each short lock
    const full = report.figures.diskFullMethod === "tmpfs";
    expect(report.figures.verified).toBe((full ? 3 : 2) * short.rounds);
    expect(report.checks.length).toBeGreaterThan(20);
  }, 120_000);
});
