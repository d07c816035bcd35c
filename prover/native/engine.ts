/**
 * A circuit's native prover: the zkey parsed and held by the addon, and one witness calculator,
 * both built once and reused for every proof. Proofs are snarkjs's JSON form and verify with
 * `snarkjs.groth16.verify` and the batch verifier.
 */
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import type { Groth16Proof, ProofBundle } from "../../core/proof.js";
import {
  loadNativeAddon,
  type NativeProveTimings,
  type NativeProvingKey,
  type NativeTableInfo,
  type NativeTableOptions,
} from "./addon.js";
import { CircuitWitness, loadWitnessRuntime } from "./witness.js";

/** Milliseconds per step of one proof, the witness included. */
export interface NativeProofTimings extends NativeProveTimings {
  readonly witness: number;
  readonly total: number;
}

/** A proof and where its time went. */
export interface TimedProof {
  readonly bundle: ProofBundle;
  readonly timings: NativeProofTimings;
}

/** The addon's error codes and crossproof's. */
function fromAddonError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === "PROVER_KEY_INVALID") {
    return new CrossproofError(ErrorCode.PROVER_KEY_INVALID, message, { cause: err });
  }
  if (code === "PROVER_WITNESS_INVALID" || code === "PROVER_NATIVE_INPUT_INVALID") {
    return new CrossproofError(ErrorCode.PROVER_FAILED, `native prover: ${message}`, {
      cause: err,
    });
  }
  return err;
}

/** The tables' settings a service is configured with (the build's threads are the pool's). */
export type NativeTableSettings = Required<
  Pick<NativeTableOptions, "tables" | "tableBudgetMb" | "background">
>;

/** The default budget of a key's fixed-base tables, in megabytes. */
export const DEFAULT_TABLE_BUDGET_MB = 512;

/**
 * The fixed-base tables' settings from the environment (`CONFIG_INVALID` on a bad value):
 * `CROSSPROOF_NATIVE_TABLES` (`1` default: built in the background at the lowest priority, proofs
 * take the windowed path until they are ready; `sync`: built before a worker's first proof;
 * `0`: none) and `CROSSPROOF_NATIVE_TABLES_MB` (the most megabytes of tables per key and
 * process, default 512; wider windows, then fewer tables, past it). server/config.ts checks them
 * at start.
 */
export function nativeTableOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): NativeTableSettings {
  const on = env.CROSSPROOF_NATIVE_TABLES?.trim() ?? "";
  if (!["", "0", "1", "sync"].includes(on)) {
    throw new CrossproofError(
      ErrorCode.CONFIG_INVALID,
      `CROSSPROOF_NATIVE_TABLES: must be 0, 1 or sync, not "${on}"`,
      { details: { variable: "CROSSPROOF_NATIVE_TABLES" } },
    );
  }
  const mbText = env.CROSSPROOF_NATIVE_TABLES_MB?.trim() ?? "";
  if (mbText !== "" && (!/^[0-9]+$/.test(mbText) || Number(mbText) > 65_536)) {
    throw new CrossproofError(
      ErrorCode.CONFIG_INVALID,
      `CROSSPROOF_NATIVE_TABLES_MB: must be an integer in [0, 65536], not "${mbText}"`,
      { details: { variable: "CROSSPROOF_NATIVE_TABLES_MB" } },
    );
  }
  return {
    tables: on !== "0",
    background: on !== "sync",
    tableBudgetMb: mbText === "" ? DEFAULT_TABLE_BUDGET_MB : Number(mbText),
  };
}

/**
 * Parse and check a zkey with the addon (`PROVER_KEY_INVALID`, `PROVER_ENGINE_UNAVAILABLE`), and
 * give it its fixed-base MSM tables (`options`, by default from the environment): shared with
 * another handle of the same key in the process, else built now on `options.threads` threads.
 */
export function loadNativeProvingKey(
  zkey: Uint8Array,
  options: NativeTableOptions = nativeTableOptionsFromEnv(),
): NativeProvingKey {
  const status = loadNativeAddon();
  if (!status.available) {
    throw new CrossproofError(ErrorCode.PROVER_ENGINE_UNAVAILABLE, status.reason);
  }
  try {
    return new status.addon.ProvingKey(zkey, options);
  } catch (err) {
    throw fromAddonError(err);
  }
}

/**
 * Load the addon (`PROVER_ENGINE_UNAVAILABLE` if it is not built) and circom's witness runtime,
 * so that a worker's first proof does not pay for them.
 */
export async function warmNative(): Promise<void> {
  const status = loadNativeAddon();
  if (!status.available) {
    throw new CrossproofError(ErrorCode.PROVER_ENGINE_UNAVAILABLE, status.reason);
  }
  await loadWitnessRuntime();
}

/** One circuit's native prover. */
export class NativeProver {
  readonly #key: NativeProvingKey;
  readonly #witness: CircuitWitness;

  private constructor(key: NativeProvingKey, witness: CircuitWitness) {
    this.#key = key;
    this.#witness = witness;
  }

  /**
   * Load a circuit from its wasm and zkey bytes (the zkey is checked: `PROVER_KEY_INVALID`), with
   * the key's fixed-base tables as `tables` says (default: from the environment, built on 1 thread).
   */
  static async open(
    files: {
      readonly wasm: Uint8Array;
      readonly zkey: Uint8Array;
    },
    tables: NativeTableOptions = nativeTableOptionsFromEnv(),
  ): Promise<NativeProver> {
    const key = loadNativeProvingKey(files.zkey, tables);
    return new NativeProver(key, await CircuitWitness.build(files.wasm));
  }

  /** The key's fixed-base tables (size, build time, window widths), or null when off. */
  get tables(): NativeTableInfo | null {
    return this.#key.tables;
  }

  /** Signals of the circuit (the witness's length) and its public signals. */
  get shape(): { readonly nVars: number; readonly nPublic: number; readonly domainSize: number } {
    return {
      nVars: this.#key.nVars,
      nPublic: this.#key.nPublic,
      domainSize: this.#key.domainSize,
    };
  }

  /** The witness for `input` (throws what circom throws when the input fails the circuit). */
  witness(input: Record<string, unknown>): Promise<Uint8Array> {
    return this.#witness.calculate(input);
  }

  /** Prove for a witness already computed, with `threads` threads in the addon. */
  proveWitness(
    witness: Uint8Array,
    threads = 1,
  ): Omit<TimedProof, "timings"> & {
    readonly timings: NativeProveTimings;
  } {
    try {
      const { proof, publicSignals, timings } = this.#key.prove(witness, threads);
      return { bundle: { proof: proof as unknown as Groth16Proof, publicSignals }, timings };
    } catch (err) {
      throw fromAddonError(err);
    }
  }

  /** Compute the witness for `input` and prove, with `threads` threads in the addon. */
  async prove(input: Record<string, unknown>, threads = 1): Promise<TimedProof> {
    const started = performance.now();
    const witness = await this.witness(input);
    const witnessMs = performance.now() - started;
    const { bundle, timings } = this.proveWitness(witness, threads);
    return {
      bundle,
      timings: { ...timings, witness: witnessMs, total: performance.now() - started },
    };
  }
}
