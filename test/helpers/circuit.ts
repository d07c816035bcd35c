/**
 * Circuit test harness: compile a circuit once per source version, compute witnesses (honestly,
 * or as a dishonest prover would, with the witness program's assertions switched off), edit
 * them, and check them against the r1cs with snarkjs's `wtns check`.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { F1Field } from "ffjavascript";
import { readR1cs } from "r1csfile";
import * as snarkjs from "snarkjs";
import { circuitSourceKey, compileCircuit } from "../../circuits/compile.js";
import { type CircuitInstance, getCircuitInstance } from "../../circuits/instances.js";
import { readSymbols } from "../../circuits/symbols.js";
import { FIELD_ORDER } from "../../core/field.js";
import { fileExists, temporaryPathFor } from "../../infra/files.js";
import { BUILD_DIR, type CompiledCircuitPaths, compiledCircuitPaths } from "../../infra/paths.js";
import type { CircuitInput } from "../../prover/query-input.js";

const require = createRequire(import.meta.url);

/** The cache key of a compile (sources, main, compiler and libraries). */
function sourceKey(instance: CircuitInstance): string {
  return circuitSourceKey(instance).slice(0, 16);
}

/**
 * Compile `name` into `build/test/<source key>/`, or reuse an earlier compile of the same
 * sources. Safe when several test files ask at once: each compiles into its own folder and the
 * first rename wins.
 */
export async function compileForTest(
  circuit: string | CircuitInstance,
): Promise<CompiledCircuitPaths> {
  const instance = typeof circuit === "string" ? getCircuitInstance(circuit) : circuit;
  const name = instance.name;
  const root = join(BUILD_DIR, "test", sourceKey(instance));
  const paths = compiledCircuitPaths(name, root);
  if (await fileExists(paths.r1cs)) return paths;
  const scratch = temporaryPathFor(join(root, name));
  await mkdir(scratch, { recursive: true });
  const built = await compileCircuit(instance, scratch);
  await rename(built.dir, paths.dir).catch(async () => {
    if (!(await fileExists(paths.r1cs))) throw new Error(`could not place the compiled ${name}`);
  });
  await rm(scratch, { recursive: true, force: true });
  return paths;
}

type WitnessCalculator = {
  calculateWitness(input: CircuitInput, sanityCheck: boolean): Promise<bigint[]>;
};
type Builder = (code: Buffer, options?: object) => Promise<WitnessCalculator>;

/** circom's exception code for a failed `===` or `assert`. */
const ASSERT_FAILED = 4;

/**
 * circom's wasm for a failed `===` or `assert`: `call $printErrorMessage` (import 1),
 * `i32.const 4`, `return`. The code then goes up through every caller, which returns at once:
 * the witness program stops at the first failed check, leaving every later signal 0.
 */
const FAILED_ASSERT = Buffer.from([0x10, 0x01, 0x41, ASSERT_FAILED, 0x0f]);
/** wasm `drop`: takes the code off the stack as `return` would, and the program goes on. */
const DROP = 0x1a;

/**
 * The witness program with its assertions switched off: each failed check reports its message
 * and carries on, so that every signal is computed. Throws when it finds no assertion, so that a
 * change in circom's code cannot silently turn the lenient witness back into a truncated one.
 */
function withoutAssertions(code: Buffer): Buffer {
  const patched = Buffer.from(code);
  let sites = 0;
  for (
    let at = patched.indexOf(FAILED_ASSERT);
    at !== -1;
    at = patched.indexOf(FAILED_ASSERT, at + 1)
  ) {
    patched[at + FAILED_ASSERT.length - 1] = DROP;
    sites++;
  }
  if (sites === 0) throw new Error("no failed-assertion code found in the witness program");
  return patched;
}

/**
 * Build circom's own witness calculator for `wasmPath`. With `ignoreAsserts`, its failed
 * assertions neither throw nor stop it: this is the witness a dishonest prover computes by running
 * the witness program without its checks, which the constraint system must then refuse.
 */
async function buildCalculator(
  wasmPath: string,
  ignoreAsserts: boolean,
): Promise<WitnessCalculator> {
  const builder = require(join(wasmPath, "..", "witness_calculator.js")) as Builder;
  const code = await readFile(wasmPath);
  return builder(ignoreAsserts ? withoutAssertions(code) : code);
}

/** A compiled circuit under test. */
export class CircuitHarness {
  /** Witness index → signal names, built on first use by {@link constraintSignals}. */
  private names: Map<number, string[]> | undefined;

  private constructor(
    readonly paths: CompiledCircuitPaths,
    readonly symbols: Map<string, number>,
    private readonly honest: WitnessCalculator,
    private readonly lenient: WitnessCalculator,
    private readonly constraints: readonly Constraint[],
  ) {}

  /** Compile (or reuse) a circuit, by name or as an ad-hoc instance, and load its calculators. */
  static async load(circuit: string | CircuitInstance): Promise<CircuitHarness> {
    const paths = await compileForTest(circuit);
    return new CircuitHarness(
      paths,
      await readSymbols(paths.sym),
      await buildCalculator(paths.wasm, false),
      await buildCalculator(paths.wasm, true),
      await loadConstraints(paths.r1cs),
    );
  }

  /** The honest witness; throws (circom's "Assert Failed") when the input violates a constraint. */
  witness(input: CircuitInput): Promise<bigint[]> {
    return this.honest.calculateWitness(input, true);
  }

  /** The witness computed with assertions switched off: what a cheating prover starts from. */
  uncheckedWitness(input: CircuitInput): Promise<bigint[]> {
    return this.lenient.calculateWitness(input, true);
  }

  /** Whether a signal is kept in the witness (the optimiser removes linear ones). */
  has(signal: string): boolean {
    return this.symbols.has(signal);
  }

  /** Witness index of a signal (`main.…`); throws when the optimiser removed it. */
  index(signal: string): number {
    const i = this.symbols.get(signal);
    if (i === undefined)
      throw new Error(`signal ${signal} is not in the witness (optimised away?)`);
    return i;
  }

  /** The value of a named signal in a witness. */
  read(witness: readonly bigint[], signal: string): bigint {
    const v = witness[this.index(signal)];
    if (v === undefined) throw new Error(`witness has no index for ${signal}`);
    return v;
  }

  /** A copy of `witness` with the named signals replaced, as a dishonest prover would edit it. */
  forge(witness: readonly bigint[], edits: Record<string, bigint>): bigint[] {
    const forged = [...witness];
    for (const [signal, value] of Object.entries(edits)) forged[this.index(signal)] = value;
    return forged;
  }

  /**
   * Indices of the constraints `witness` violates (all of them, where snarkjs stops at the
   * first): lets a test show that a forgery repaired the constraint it aimed at and broke
   * another.
   */
  violated(witness: readonly bigint[]): number[] {
    const evaluate = ({ wires, coefficients }: LinearCombination) => {
      let acc = 0n;
      for (let k = 0; k < wires.length; k++) {
        acc += (coefficients[k] as bigint) * (witness[wires[k] as number] ?? 0n);
      }
      return acc % FIELD_ORDER;
    };
    const failing: number[] = [];
    this.constraints.forEach(([a, b, c], index) => {
      if ((evaluate(a) * evaluate(b) - evaluate(c)) % FIELD_ORDER !== 0n) failing.push(index);
    });
    return failing;
  }

  /** The signals constraint `index` reads, by name (several names where signals were merged). */
  constraintSignals(index: number): string[] {
    const constraint = this.constraints[index];
    if (constraint === undefined) throw new Error(`the r1cs has no constraint ${index}`);
    this.names ??= namesByIndex(this.symbols);
    const indices = new Set(constraint.flatMap((lc) => [...lc.wires]));
    return [...indices].flatMap((i) => this.names?.get(i) ?? []);
  }

  /** Whether `witness` satisfies every constraint of the r1cs (snarkjs `wtns check`). */
  async satisfies(witness: readonly bigint[]): Promise<boolean> {
    const file = temporaryPathFor(join(this.paths.dir, "check.wtns"));
    await writeFile(file, encodeWtns(witness));
    try {
      // snarkjs needs a logger to report a failing constraint (it crashes without one).
      const quiet = { debug() {}, info() {}, warn() {}, error() {} };
      return (await snarkjs.wtns.check(this.paths.r1cs, file, quiet)) === true;
    } finally {
      await rm(file, { force: true });
    }
  }
}

function namesByIndex(symbols: Map<string, number>): Map<number, string[]> {
  const names = new Map<number, string[]>();
  for (const [name, i] of symbols) names.set(i, [...(names.get(i) ?? []), name]);
  return names;
}

/** One side of a constraint: the sum of `coefficients[k] · witness[wires[k]]`. */
interface LinearCombination {
  readonly wires: Int32Array;
  readonly coefficients: readonly bigint[];
}

/** One r1cs constraint A·B = C. */
type Constraint = readonly [LinearCombination, LinearCombination, LinearCombination];

/** A side as r1csfile reads it: witness index (a decimal key) → coefficient. */
type ReadSide = Record<string, bigint>;

async function loadConstraints(r1csPath: string): Promise<Constraint[]> {
  const r1cs = (await readR1cs(r1csPath, {
    loadConstraints: true,
    loadMap: false,
    loadCustomGates: false,
    // A plain bigint field, so that coefficients come out as bigints.
    getFieldFromPrime: (p: bigint) => new F1Field(p),
  })) as { constraints: (readonly [ReadSide, ReadSide, ReadSide])[] };
  // Arrays in place of objects keyed by strings: `violated` evaluates them three times faster.
  const side = (lc: ReadSide): LinearCombination => {
    const entries = Object.entries(lc);
    return {
      wires: Int32Array.from(entries, ([i]) => Number(i)),
      coefficients: entries.map(([, coeff]) => coeff),
    };
  };
  return r1cs.constraints.map(([a, b, c]) => [side(a), side(b), side(c)] as const);
}

/** Encode a witness in the `.wtns` format (version 2: header section, then the values). */
export function encodeWtns(witness: readonly bigint[]): Uint8Array {
  const n8 = 32;
  const headerSize = 4 + n8 + 4;
  const dataSize = witness.length * n8;
  const buf = Buffer.alloc(12 + 12 + headerSize + 12 + dataSize);
  let o = 0;
  o = buf.write("wtns", o, "ascii");
  o = buf.writeUInt32LE(2, o);
  o = buf.writeUInt32LE(2, o);
  const writeRaw = (v: bigint) => {
    let x = v;
    for (let i = 0; i < n8; i++) {
      buf[o + i] = Number(x & 0xffn);
      x >>= 8n;
    }
    o += n8;
  };
  const writeElement = (v: bigint) => writeRaw(((v % FIELD_ORDER) + FIELD_ORDER) % FIELD_ORDER);
  o = buf.writeUInt32LE(1, o);
  o = buf.writeBigUInt64LE(BigInt(headerSize), o);
  o = buf.writeUInt32LE(n8, o);
  writeRaw(FIELD_ORDER);
  o = buf.writeUInt32LE(witness.length, o);
  o = buf.writeUInt32LE(2, o);
  o = buf.writeBigUInt64LE(BigInt(dataSize), o);
  for (const v of witness) writeElement(v);
  return buf;
}
