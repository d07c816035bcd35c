/**
 * `crossproof bench circuit FILE.circom --input INPUT.json`: a researcher's own circuit, measured
 * as the matrix measures ours. The file is compiled with circom (its folder and circomlib on the
 * include path), given a development key (the cached development ptau, `groth16 setup` and a
 * beacon, as `npm run setup:dev` makes them; cached by the sources and the input's shape under
 * the crossproof cache), and then: constraints, the witness time, proving with both engines side
 * by side (native on every core and on one, snarkjs in process), verification time and proof size.
 * Prints a table (or JSON with --json) and writes bench/results/circuit-<name>.json.
 *
 * Refusals, each with a stable code: the compiler rejects the file (`COMPILE_FAILED`, circom's
 * message shown), the input is not a JSON object (`CIRCUIT_INPUT_INVALID`), the input fails the
 * circuit (`WITNESS_FAILED`), the circuit is larger than the development ptau (`CIRCUIT_TOO_LARGE`),
 * circom2 is not installed (`DEPENDENCY_MISSING`).
 *
 * Options: `--proofs N` (default 5, per engine), `--json`.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism, loadavg } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { SingleBar } from "cli-progress";
import * as snarkjs from "snarkjs";
import { printError, printJson } from "../cli/output.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { temporaryPathFor } from "../infra/files.js";
import { cacheDir, packageRoot } from "../infra/paths.js";
import { releaseSnarkjsCurve } from "../infra/snarkjs-runtime.js";
import { NativeProver } from "../prover/native/engine.js";
import { loadNativeAddon } from "../prover/native/index.js";
import { loadWitnessRuntime, wtnsValues } from "../prover/native/witness.js";
import { DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP } from "../setup/beacon.js";
import type { SnarkjsLogger } from "../setup/logger.js";
import { ensureDevPtau, MAX_DEV_PTAU_POWER } from "../setup/ptau.js";
import { type Figure, figure, median, printTable, writeResults } from "./report.js";

const require = createRequire(import.meta.url);

/** The options of one run. */
interface Options {
  readonly file: string;
  readonly input: string;
  readonly proofs: number;
  readonly json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      input: { type: "string" },
      proofs: { type: "string", default: "5" },
      json: { type: "boolean", default: false },
    },
  });
  const usage =
    "usage: crossproof bench circuit FILE.circom --input INPUT.json [--proofs N] [--json]";
  const [file, ...rest] = positionals;
  if (file === undefined || rest.length > 0 || values.input === undefined) {
    throw new CrossproofError(ErrorCode.USAGE, usage);
  }
  const proofs = Number(values.proofs);
  if (!Number.isInteger(proofs) || proofs < 1 || proofs > 1000) {
    throw new CrossproofError(ErrorCode.USAGE, `--proofs takes an integer in [1, 1000]\n${usage}`);
  }
  return { file: resolve(file), input: resolve(values.input), proofs, json: values.json };
}

/** circom2's compiler, or what to install. */
function requireCircom(): void {
  try {
    require.resolve("circom2/cli.js");
  } catch {
    throw new CrossproofError(
      ErrorCode.DEPENDENCY_MISSING,
      "compiling a circuit needs circom2, a development dependency: run `npm ci` in a crossproof checkout (or `npm install --save-dev circom2@0.2.23`)",
    );
  }
}

/** The input file as circom takes it: a JSON object of signal names to values. */
async function readInput(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CrossproofError(
      ErrorCode.CIRCUIT_INPUT_INVALID,
      `cannot read the input file ${path}: ${(err as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CrossproofError(
      ErrorCode.CIRCUIT_INPUT_INVALID,
      `the input file ${path} is not JSON: ${(err as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CrossproofError(
      ErrorCode.CIRCUIT_INPUT_INVALID,
      `the input file ${path} must hold a JSON object of signal names and values`,
    );
  }
  return value as Record<string, unknown>;
}

/** The input's shape: signal names and array lengths, not values (part of the cache key). */
function inputShape(value: unknown): unknown {
  if (Array.isArray(value)) return [value.length, value.length > 0 ? inputShape(value[0]) : null];
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, inputShape((value as Record<string, unknown>)[k])]),
    );
  }
  return typeof value;
}

/**
 * The cache key: the file and every file it includes from beside it (recursively), the input's
 * shape, and the versions of circom, circomlib and snarkjs.
 */
function cacheKey(file: string, input: Record<string, unknown>): string {
  const hash = createHash("sha256");
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path) || !existsSync(path)) return;
    seen.add(path);
    const source = readFileSync(path, "utf8");
    hash.update(path === file ? "main" : basename(path)).update(source);
    for (const m of source.matchAll(/include\s+"([^"]+)"/g)) {
      visit(resolve(dirname(path), m[1] as string));
    }
  };
  visit(file);
  hash.update(JSON.stringify(inputShape(input)));
  for (const pkg of ["circom2", "circomlib", "snarkjs"]) {
    hash.update(readFileSync(join(packageRoot(pkg), "package.json")));
  }
  return hash.digest("hex").slice(0, 20);
}

/** A snarkjs logger drawing one progress bar per step (on a terminal), lines otherwise. */
function progressLogger(step: string, quiet: boolean): SnarkjsLogger & { stop(): void } {
  const tty = !quiet && process.stderr.isTTY === true;
  let bar: SingleBar | undefined;
  let lastLine = 0;
  const show = (message: string) => {
    const m = /(\d+)\s*\/\s*(\d+)/.exec(message);
    if (tty && m) {
      const [value, total] = [Number(m[1]), Number(m[2])];
      if (!bar) {
        bar = new SingleBar({
          format: `${step.padEnd(24)} [{bar}] {percentage}% {eta_formatted} left`,
          stream: process.stderr,
          hideCursor: true,
        });
        bar.start(total, value);
      } else {
        bar.setTotal(total);
        bar.update(value);
      }
    } else if (!quiet && Date.now() - lastLine > 5_000) {
      lastLine = Date.now();
      process.stderr.write(`  [${step}] ${message.trim()}\n`);
    }
  };
  return {
    debug: show,
    info: show,
    warn: (m) => process.stderr.write(`  [${step}] warning: ${m}\n`),
    error: (m) => process.stderr.write(`  [${step}] error: ${m}\n`),
    stop: () => bar?.stop(),
  };
}

/** The compiled circuit and its development key, from the cache or made now. */
interface Built {
  readonly name: string;
  readonly dir: string;
  readonly wasm: string;
  readonly zkey: string;
  readonly verificationKey: unknown;
  readonly constraints: number;
  readonly nPublic: number;
  readonly power: number;
  readonly cached: boolean;
  readonly compileMs: number | null;
  readonly setupMs: number | null;
}

async function build(
  options: Options,
  input: Record<string, unknown>,
  say: (line: string) => void,
): Promise<Built> {
  const name = basename(options.file).replace(/\.circom$/, "");
  const dir = join(cacheDir(), "bench-circuits", `${name}-${cacheKey(options.file, input)}`);
  const paths = {
    wasm: join(dir, `${name}_js`, `${name}.wasm`),
    zkey: join(dir, `${name}.zkey`),
    vkey: join(dir, "verification_key.json"),
    info: join(dir, "info.json"),
  };
  if (existsSync(paths.info)) {
    const info = JSON.parse(await readFile(paths.info, "utf8")) as {
      constraints: number;
      nPublic: number;
      power: number;
    };
    say(`${name}: compiled circuit and development key from the cache (${dir})`);
    return {
      name,
      dir,
      ...paths,
      ...info,
      verificationKey: JSON.parse(await readFile(paths.vkey, "utf8")),
      cached: true,
      compileMs: null,
      setupMs: null,
    };
  }
  const { compileCircomFile } = await import("../circuits/compile.js");
  const staging = temporaryPathFor(dir);
  await rm(staging, { recursive: true, force: true });
  try {
    say(`${name}: compiling (circom --O2)`);
    let started = performance.now();
    const compiled = await compileCircomFile(options.file, staging).catch((err: unknown) => {
      throw compileFailed(err);
    });
    const compileMs = performance.now() - started;
    const r1cs = await snarkjs.r1cs.info(compiled.r1cs);
    const constraints = r1cs.nConstraints;
    const nPublic = r1cs.nOutputs + r1cs.nPubInputs;
    // snarkjs's domain holds the constraints and one row per public input and the constant.
    const rows = constraints + nPublic + 1;
    const power = Math.max(8, Math.ceil(Math.log2(rows)));
    if (power > MAX_DEV_PTAU_POWER) {
      const maxConstraints = 2 ** MAX_DEV_PTAU_POWER - nPublic - 1;
      throw new CrossproofError(
        ErrorCode.CIRCUIT_TOO_LARGE,
        `${name} has ${constraints} constraints; the development ptau (power ${MAX_DEV_PTAU_POWER}) holds at most ${maxConstraints} for ${nPublic} public signals`,
        { details: { constraints, maxConstraints, ptauPower: MAX_DEV_PTAU_POWER } },
      );
    }
    say(
      `${name}: ${constraints} constraints, ${nPublic} public signals; development key (ptau 2^${power})`,
    );
    started = performance.now();
    const ptau = await ensureDevPtau(power, { progress: (line) => say(line) });
    const initial = join(staging, `${name}_0000.zkey`);
    const quiet = options.json;
    const setupLog = progressLogger("groth16 setup", quiet);
    await snarkjs.zKey.newZKey(compiled.r1cs, ptau, initial, setupLog);
    setupLog.stop();
    const beaconLog = progressLogger("zkey beacon", quiet);
    await snarkjs.zKey.beacon(
      initial,
      join(staging, `${name}.zkey`),
      "crossproof development beacon",
      DEV_BEACON_HASH,
      DEV_BEACON_ITERATIONS_EXP,
      beaconLog,
    );
    beaconLog.stop();
    await rm(initial, { force: true });
    const verificationKey: unknown = await snarkjs.zKey.exportVerificationKey(
      join(staging, `${name}.zkey`),
    );
    const setupMs = performance.now() - started;
    await writeFile(join(staging, "verification_key.json"), JSON.stringify(verificationKey));
    await writeFile(join(staging, "info.json"), JSON.stringify({ constraints, nPublic, power }));
    await mkdir(dirname(dir), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
    return {
      name,
      dir,
      ...paths,
      verificationKey,
      constraints,
      nPublic,
      power,
      cached: false,
      compileMs,
      setupMs,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** circom's refusal, with its own message (colours stripped) in ours. */
function compileFailed(err: unknown): unknown {
  if (!(err instanceof CrossproofError) || err.code !== ErrorCode.COMPILE_FAILED) return err;
  const output = String((err.details as { output?: unknown }).output ?? "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: circom colours its messages
    .replace(/\x1b\[[0-9;]*m/g, "")
    .trim();
  return new CrossproofError(
    ErrorCode.COMPILE_FAILED,
    `circom could not compile the circuit:\n${output}`,
    { details: { output } },
  );
}

/** circom's witness failure as a coded error, its message kept. */
function witnessFailed(err: unknown): CrossproofError {
  const message = err instanceof Error ? err.message : String(err);
  return new CrossproofError(
    ErrorCode.WITNESS_FAILED,
    `the input does not satisfy the circuit: ${message.split("\n")[0]}`,
    { details: { output: message.slice(0, 4000) } },
  );
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseOptions(argv);
  if (!existsSync(options.file)) {
    throw new CrossproofError(ErrorCode.USAGE, `no such circuit file: ${options.file}`);
  }
  requireCircom();
  const input = await readInput(options.input);
  const say = (line: string) => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };
  const built = await build(options, input, say);
  const command = `crossproof bench circuit ${basename(options.file)} --input ${basename(options.input)}${options.proofs === 5 ? "" : ` --proofs ${options.proofs}`}`;
  const load = loadavg().map((l) => l.toFixed(2));
  const [wasm, zkey] = await Promise.all([readFile(built.wasm), readFile(built.zkey)]);

  const native = loadNativeAddon();
  if (!native.available) say(`native engine left out: ${native.reason}`);
  const { WitnessCalculatorBuilder } = await loadWitnessRuntime();
  const calculator = await WitnessCalculatorBuilder(wasm);
  const witnessMs: number[] = [];
  let wtns: Uint8Array | undefined;
  for (let i = 0; i <= options.proofs; i++) {
    const started = performance.now();
    try {
      wtns = await calculator.calculateWTNSBin(input, false);
    } catch (err) {
      throw witnessFailed(err);
    }
    if (i > 0) witnessMs.push(performance.now() - started); // the first one warms up
  }
  if (!wtns) throw new Error("no witness");
  const values = wtnsValues(wtns);

  type Bundle = { readonly proof: unknown; readonly publicSignals: readonly string[] };
  const verify = async (b: Bundle) =>
    snarkjs.groth16.verify(
      built.verificationKey as never,
      b.publicSignals as never,
      b.proof as never,
    );
  const timed = async (prove: () => Bundle | Promise<Bundle>) => {
    await prove(); // warm-up
    const ms: number[] = [];
    let last: Bundle | undefined;
    for (let i = 0; i < options.proofs; i++) {
      const started = performance.now();
      last = await prove();
      ms.push(performance.now() - started);
      if (!(await verify(last))) throw new Error("a proof of this circuit did not verify");
    }
    return { ms, last: last as Bundle };
  };
  const snark = await timed(async () => {
    const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, wtns as Uint8Array);
    return { proof, publicSignals };
  });
  await releaseSnarkjsCurve();
  const cores = availableParallelism();
  const nativeRuns: { threads: number; ms: number[] }[] = [];
  if (native.available) {
    const prover = await NativeProver.open({ wasm, zkey });
    for (const threads of cores > 1 ? [cores, 1] : [1]) {
      const run = await timed(() => prover.proveWitness(values, threads).bundle);
      nativeRuns.push({ threads, ms: run.ms });
    }
  }
  const verifyMs: number[] = [];
  for (let i = 0; i <= options.proofs; i++) {
    const started = performance.now();
    if (!(await verify(snark.last))) throw new Error("a snarkjs proof did not verify");
    if (i > 0) verifyMs.push(performance.now() - started);
  }
  await releaseSnarkjsCurve();

  const snarkP50 = median(snark.ms);
  const figures: Figure[] = [
    figure(`${built.name}: constraints`, "constraints", built.constraints, command),
    figure(`${built.name}: public signals`, "signals", built.nPublic, command),
    figure(`${built.name}: witness signals`, "signals", values.length / 32, command),
    ...(built.compileMs === null
      ? []
      : [
          figure(`${built.name}: compile`, "ms", built.compileMs, command),
          figure(
            `${built.name}: development key (ptau 2^${built.power})`,
            "ms",
            built.setupMs ?? 0,
            command,
          ),
        ]),
    figure(`${built.name}: witness (p50)`, "ms", median(witnessMs), command),
    figure(`${built.name}: prove, snarkjs in process (p50)`, "ms", snarkP50, command),
    ...nativeRuns.map((r) =>
      figure(
        `${built.name}: prove, native on ${r.threads} thread${r.threads > 1 ? "s" : ""} (p50; against snarkjs)`,
        "ms",
        median(r.ms),
        command,
        snarkP50,
      ),
    ),
    figure(`${built.name}: verify, snarkjs.groth16.verify (p50)`, "ms", median(verifyMs), command),
    figure(
      `${built.name}: proof size, JSON`,
      "bytes",
      Buffer.byteLength(JSON.stringify(snark.last.proof)),
      command,
    ),
    // A, B, C as Solidity calldata: 2 + 4 + 2 field elements of 32 bytes.
    figure(`${built.name}: proof size, calldata (A, B, C)`, "bytes", 256, command),
  ];
  const path = await writeResults(`circuit-${built.name}`, figures, {
    circuit: options.file,
    cached: built.cached,
    loadAverage: load,
  });
  if (options.json) {
    printJson({
      circuit: built.name,
      cached: built.cached,
      loadAverage: load,
      figures,
      results: path,
    });
    return;
  }
  printTable(
    `${built.name} — ${options.proofs} proofs per engine (load average at start ${load.join(", ")})`,
    figures,
  );
  process.stdout.write(`\nwrote ${path}\n`);
}

const json = process.argv.includes("--json");
try {
  await main(process.argv.slice(2));
} catch (err) {
  printError(err, json);
}
// snarkjs's r1cs reader leaves a curve's worker threads behind (even on a refusal): end here.
process.stdout.write("", () => process.exit());
