/**
 * One circom witness calculator per circuit and thread, built once from the circuit's wasm and
 * reused for every proof (snarkjs's `fullProve` compiles the wasm for each one).
 */
import type { WitnessCalculator } from "circom_runtime";
import { importAsMainThread } from "../../infra/snarkjs-worker-runtime.js";

type CircomRuntime = typeof import("circom_runtime");

let runtime: Promise<CircomRuntime> | undefined;

/**
 * circom_runtime, imported once per thread past web-worker's thread check (it loads
 * ffjavascript, see core/snarkjs-worker-runtime.ts).
 */
export function loadWitnessRuntime(): Promise<CircomRuntime> {
  runtime ??= importAsMainThread(() => import("circom_runtime")).catch((err: unknown) => {
    runtime = undefined;
    throw err;
  });
  return runtime;
}

/**
 * A reusable witness calculator for one circuit. Calculations run one at a time: circom's
 * calculator keeps its signals in one wasm memory, so two interleaved calculations (two proofs
 * awaited together on one prover) would read each other's signals.
 */
export class CircuitWitness {
  readonly #calculator: WitnessCalculator;
  /** The calculation under way (settled when none is). */
  #busy: Promise<unknown> = Promise.resolve();

  private constructor(calculator: WitnessCalculator) {
    this.#calculator = calculator;
  }

  /** Compile and instantiate the circuit's witness program once. */
  static async build(wasm: Uint8Array): Promise<CircuitWitness> {
    const { WitnessCalculatorBuilder } = await loadWitnessRuntime();
    return new CircuitWitness(await WitnessCalculatorBuilder(wasm));
  }

  /**
   * The witness values for `input` (32 bytes little-endian each, the `.wtns` file's section 2).
   * Throws what circom's runtime throws when the input does not satisfy the circuit.
   */
  calculate(input: Record<string, unknown>): Promise<Uint8Array> {
    const run = this.#busy.then(async () =>
      wtnsValues(await this.#calculator.calculateWTNSBin(input, false)),
    );
    this.#busy = run.catch(() => undefined);
    return run;
  }
}

/** The values section (2) of a `.wtns` file's bytes. */
export function wtnsValues(file: Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let at = 12;
  while (at + 12 <= file.byteLength) {
    const id = view.getUint32(at, true);
    const size = Number(view.getBigUint64(at + 4, true));
    if (at + 12 + size > file.byteLength) break;
    if (id === 2) return file.subarray(at + 12, at + 12 + size);
    at += 12 + size;
  }
  throw new Error("the witness calculator returned no witness values");
}
