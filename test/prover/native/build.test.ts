/**
 * The native engine must be built wherever CI runs: the engine's other tests skip (saying why)
 * when the addon is missing, and this check keeps such a skip from hiding a broken build.
 */
import { describe, expect, it } from "vitest";
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
});
