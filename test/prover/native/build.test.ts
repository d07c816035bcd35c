/**
 * The native engine must be built wherever CI runs: the engine's other tests skip (saying why)
 * when the addon is missing, and this check keeps such a skip from hiding a broken build.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../../infra/paths.js";
import { resolveProverEngine } from "../../../prover/native/index.js";
import { nativeStatus } from "./helpers.js";

describe("the native prover's build", () => {
  it("is built and loads in CI (elsewhere it may be missing, and proofs use snarkjs)", () => {
    if (process.env.CI) {
      expect(nativeStatus, "CI must build the native prover (npm ci runs build.mjs)").toMatchObject(
        { available: true },
      );
    }
    // Either way the default engine follows the build: native when built, snarkjs otherwise.
    expect(resolveProverEngine()).toBe(nativeStatus.available ? "native" : "snarkjs");
    expect(resolveProverEngine("snarkjs")).toBe("snarkjs");
  });

  it("refuses the native engine where the addon is missing, with a stable code", () => {
    if (nativeStatus.available) {
      expect(resolveProverEngine("native")).toBe("native");
    } else {
      expect(() => resolveProverEngine("native")).toThrow(
        expect.objectContaining({ code: "PROVER_ENGINE_UNAVAILABLE" }),
      );
    }
  });

  it("compiles MULX/ADX arithmetic only for a CPU that has them, and says which it built", () => {
    const script = join(PROJECT_ROOT, "prover", "native", "cpu-flags.cjs");
    const flags = (env: NodeJS.ProcessEnv) =>
      execFileSync(process.execPath, [script], { env: { PATH: process.env.PATH, ...env } })
        .toString()
        .trim();
    expect(flags({ CROSSPROOF_NATIVE_PORTABLE: "1" })).toBe("");
    const cpu = process.platform === "linux" ? readFileSync("/proc/cpuinfo", "utf8") : "";
    const hasAdx = /^flags.*\bbmi2\b.*\badx\b/m.test(cpu) || /^flags.*\badx\b.*\bbmi2\b/m.test(cpu);
    expect(flags({})).toBe(process.arch === "x64" && hasAdx ? "-mbmi2 -madx -DCPN_ADX=1" : "");
    if (nativeStatus.available) {
      expect(["mulx-adx", "portable"]).toContain(nativeStatus.addon.arithmetic);
    }
  });
});
