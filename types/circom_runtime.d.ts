// Declarations for the part of circom_runtime (circom's witness calculator, as snarkjs uses it)
// that crossproof uses.
declare module "circom_runtime" {
  /** A circom 2 witness calculator over one instance of the circuit's WebAssembly. */
  export interface WitnessCalculator {
    /** The witness as a `.wtns` file's bytes (header, then the values, 32 bytes LE each). */
    calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
  }
  /** Compile and instantiate a circuit's witness program (`.wasm`) once. */
  export function WitnessCalculatorBuilder(
    code: Uint8Array,
    options?: Record<string, unknown>,
  ): Promise<WitnessCalculator>;
}
