/**
 * The native Groth16 engine's binding (prover/native/src, built by prover/native/build.mjs at
 * `npm ci`), loaded if it was built. Nothing here throws when the addon is missing: callers ask
 * {@link loadNativeAddon} and fall back to snarkjs.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../infra/paths.js";

/** A proof in snarkjs's JSON form, as the addon returns it. */
export interface NativeProofJson {
  readonly pi_a: [string, string, string];
  readonly pi_b: [[string, string], [string, string], [string, string]];
  readonly pi_c: [string, string, string];
  readonly protocol: "groth16";
  readonly curve: "bn128";
}

/** Milliseconds spent in each step of one native proof (witness excluded). */
export interface NativeProveTimings {
  /** The QAP's A, B, C evaluations from the key's coefficients and the witness. */
  readonly abc: number;
  /** The six transforms (three inverse, three forward on the coset) and the join. */
  readonly ntt: number;
  readonly msmA: number;
  readonly msmB1: number;
  readonly msmB2: number;
  readonly msmC: number;
  readonly msmH: number;
  /** Fresh r, s, the blinding terms and the affine conversion. */
  readonly finish: number;
  /**
   * Threads the transforms ran on: this proof's share of the threads it was allowed, divided
   * among the proofs in flight in the process (a count, not milliseconds).
   */
  readonly threads: number;
}

/** How a key's fixed-base MSM tables are made when it is loaded. */
export interface NativeTableOptions {
  /** Build (or share) the tables: default true. */
  readonly tables?: boolean;
  /** Most megabytes of tables for the key (wider windows, then fewer tables, past it). */
  readonly tableBudgetMb?: number;
  /** Threads that build them. */
  readonly threads?: number;
  /**
   * Build them on lowest-priority threads while proofs take the windowed path (default true), or
   * before the key is returned (false; also waits for a build of the same key under way).
   */
  readonly background?: boolean;
}

/**
 * A key's fixed-base tables: their size, build time and window width per MSM (0: none); only
 * `ready: false` and `shared` while a background build is under way.
 */
export type NativeTableInfo =
  | {
      readonly ready: false;
      /** Another handle of the same key in this process is building them for both. */
      readonly shared: boolean;
    }
  | {
      readonly ready: true;
      /** Another handle of the same key in this process built them: this one shares them. */
      readonly shared: boolean;
      readonly bytes: number;
      /** Wall time of the build (that of the handle that built them, when shared). */
      readonly buildMs: number;
      readonly windowBits: {
        readonly a: number;
        readonly b1: number;
        readonly b2: number;
        readonly c: number;
        readonly h: number;
      };
    };

/** A zkey parsed, checked and held by the addon. */
export interface NativeProvingKey {
  readonly nVars: number;
  /** The fixed-base tables the MSMs use, or null when they are off. */
  readonly tables: NativeTableInfo | null;
  readonly nPublic: number;
  readonly domainSize: number;
  /**
   * Prove for a witness (nVars × 32 bytes, little-endian) on up to `threads` threads (default
   * 1): each step takes `threads` divided by the proofs in flight in this process (at least 1).
   */
  prove(
    witness: Uint8Array,
    threads?: number,
  ): {
    readonly proof: NativeProofJson;
    readonly publicSignals: string[];
    readonly timings: NativeProveTimings;
  };
}

/** A G1 point as snarkjs's `toObject` gives it, stringified. */
export type G1Json = [string, string, string];
/** A G2 point as snarkjs's `toObject` gives it, stringified. */
export type G2Json = [[string, string], [string, string], [string, string]];

/** What the addon exports. The `msm*`, `ntt` and `fieldOps` entries exist for the engine's tests. */
export interface NativeAddon {
  readonly ProvingKey: new (zkey: Uint8Array, options?: NativeTableOptions) => NativeProvingKey;
  /**
   * Σ sᵢ·Pᵢ for zkey-format G1 points (64 bytes, Montgomery) and 32-byte LE scalars; with
   * `tableBits`, through a fixed-base table of that window width (2 … 16) built for the call.
   */
  msmG1(bases: Uint8Array, scalars: Uint8Array, threads?: number, tableBits?: number): G1Json;
  /** The same for zkey-format G2 points (128 bytes, Montgomery). */
  msmG2(bases: Uint8Array, scalars: Uint8Array, threads?: number, tableBits?: number): G2Json;
  /** The transform (or its inverse) of 2^k reduced 32-byte LE elements, on ffjavascript's roots. */
  ntt(values: Uint8Array, inverse: boolean): Uint8Array;
  /**
   * For n pairs of reduced 32-byte LE integers of the base (`q`) or scalar (`r`) field: per pair
   * a + b, a − b, a·b and a⁻¹ (0 for 0), 4 × 32 bytes LE, computed in the prover's arithmetic.
   */
  fieldOps(field: "q" | "r", a: Uint8Array, b: Uint8Array): Uint8Array;
  readonly abiVersion: number;
  /** The field arithmetic compiled in: `mulx-adx` (the build machine had them) or `portable`. */
  readonly arithmetic: string;
  /** Set (and nothing but the versions exported) when this CPU cannot run the build. */
  readonly unsupportedCpu?: string;
}

/** Whether the addon is here, and why not when it is not. */
export type NativeAddonStatus =
  | { readonly available: true; readonly addon: NativeAddon; readonly path: string }
  | { readonly available: false; readonly reason: string };

/**
 * Where build.mjs leaves the addon: beside its sources in the package, found from the package
 * root so that the compiled wrapper in dist/ finds it too.
 */
export const NATIVE_ADDON_PATH = join(
  PROJECT_ROOT,
  "prover",
  "native",
  "build",
  "Release",
  "crossproof_prover.node",
);

/** The binding version this wrapper is written for (the addon's `abiVersion`). */
const ABI_VERSION = 4;

let status: NativeAddonStatus | undefined;

/** Load the addon once per thread; a missing or unloadable addon is reported, not thrown. */
export function loadNativeAddon(): NativeAddonStatus {
  status ??= load();
  return status;
}

function load(): NativeAddonStatus {
  if (!existsSync(NATIVE_ADDON_PATH)) {
    return {
      available: false,
      reason: `the native prover is not built (no ${NATIVE_ADDON_PATH}; see prover/native/build.log)`,
    };
  }
  try {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    if (addon.abiVersion !== ABI_VERSION) {
      return {
        available: false,
        reason: `the native prover's build is stale (binding version ${addon.abiVersion}, expected ${ABI_VERSION}): run npm ci or node prover/native/build.mjs`,
      };
    }
    if (addon.unsupportedCpu !== undefined) {
      return {
        available: false,
        reason: `the native prover cannot run here: ${addon.unsupportedCpu}`,
      };
    }
    return { available: true, addon, path: NATIVE_ADDON_PATH };
  } catch (err) {
    return {
      available: false,
      reason: `the native prover could not be loaded: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
