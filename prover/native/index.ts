/**
 * The proving engines and the choice between them: `native` (the C++ addon in this folder) or
 * `snarkjs`. Unless one is asked for (CROSSPROOF_PROVER_ENGINE, read by server/config.ts), the
 * native engine is used when its addon is built and loads, snarkjs otherwise.
 */
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { loadNativeAddon } from "./addon.js";

export { loadNativeAddon, type NativeAddon, type NativeAddonStatus } from "./addon.js";
export {
  type NativeProofTimings,
  NativeProver,
  type NativeTableSettings,
  nativeTableOptionsFromEnv,
  type TimedProof,
} from "./engine.js";

/** The proving engines. */
export const PROVER_ENGINES = ["native", "snarkjs"] as const;

/** A proving engine's name. */
export type ProverEngine = (typeof PROVER_ENGINES)[number];

/** Whether `value` names a proving engine. */
export function isProverEngine(value: string): value is ProverEngine {
  return (PROVER_ENGINES as readonly string[]).includes(value);
}

/**
 * The engine to prove with: the one asked for (`PROVER_ENGINE_UNAVAILABLE` if it is `native`
 * and the addon is not built here), else native when available and snarkjs otherwise.
 */
export function resolveProverEngine(requested?: ProverEngine): ProverEngine {
  const status = loadNativeAddon();
  if (requested === "snarkjs") return "snarkjs";
  if (requested === "native") {
    if (!status.available) {
      throw new CrossproofError(ErrorCode.PROVER_ENGINE_UNAVAILABLE, status.reason);
    }
    return "native";
  }
  return status.available ? "native" : "snarkjs";
}
