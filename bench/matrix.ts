/**
 * The circuit matrix of the benchmark suite: the `query` circuit at tree depth 10, 20, 32 ×
 * predicate slots K = 1, 4, 8, 16, plus `commitment`, each built, proven and verified on this
 * machine. `npm run bench:circuits` prints it (bench/circuits.ts).
 *
 * Which circuits. The 12 `query` cells are instances of circuits/circuits.json: `query` itself
 * (depth 20, K = 8, a release) and the 11 benchmark variants `query_d<depth>_k<K>`
 * (`release: false`).
 *
 * Building. Releases (`query`, `commitment`) are measured on their committed artifacts, as they
 * are (`built: "cached"`). Their setup time is NaN (null in JSON, no figure): their keys were
 * made by `npm run setup:dev` some other time, and nothing here times what it did not run. Their
 * compile time is measured by compiling them into a scratch folder (which also checks that the
 * committed r1cs is the one the current sources give; a warning says when it is not).
 * Variants are built on demand with the project's own deterministic development setup
 * (setup/dev.ts `setupDev`) into `build/bench/artifacts/<name>/`, beside a `timings.json` with
 * the compile and setup times of that build. Setup time is phase 2 only: the Powers of Tau is
 * cached and shared (a missing one is made first, untimed, or waited for when another process
 * is making it).
 *
 * Reuse. A variant (or a release's compile time) is reused — `built: "cached"`, its times from
 * the build that made it — when its `timings.json` holds the current source key (sha256 over the
 * circom sources, the instance, and the versions of circom, circomlib, zk-kit's Merkle root and
 * snarkjs) and, for a variant, its files still match its manifest. Anything else is built again
 * (`built: "now"`). The source key stands in for a fresh compile: comparing r1cs hashes would
 * cost the compile the cache is there to save.
 *
 * Measures, per circuit: one warm-up, then `runs` runs of snarkjs `wtns.calculate` (witness) and
 * `groth16.prove` on the zkey (snarkjs's default threaded curve), then `groth16.verify` over the
 * proofs just made (the first as warm-up). Every proof must verify. Inputs: 1,000 synthetic
 * credit reports committed in a tree of the circuit's depth, and a policy of min(K, 5) real
 * predicates padded with NOOP to K.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { SingleBar } from "cli-progress";
import * as snarkjs from "snarkjs";
import { z } from "zod";
import { circuitSourceKey, compileCircuit } from "../circuits/compile.js";
import { type CircuitInstance, loadCircuitInstances } from "../circuits/instances.js";
import { computeLeaf } from "../core/commitment.js";
import { ArtifactError, CrossproofError, ErrorCode } from "../core/errors.js";
import { compileQuery, type PredicateSpec } from "../core/query.js";
import { encodeRecord } from "../core/record.js";
import { getSchema } from "../core/schema.js";
import { CommitmentTree } from "../core/tree.js";
import { type CircuitRelease, loadCircuitRelease } from "../infra/artifacts.js";
import { fileExists, sha256File, writeFileAtomic } from "../infra/files.js";
import { BUILD_DIR, devPtauPath } from "../infra/paths.js";
import { syntheticCreditReports } from "../issuer/synthetic.js";
import { NativeProver } from "../prover/native/engine.js";
import { loadNativeAddon } from "../prover/native/index.js";
import { queryShape } from "../prover/prove-query.js";
import { buildQueryInput, type CircuitInput } from "../prover/query-input.js";
import { DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP } from "../setup/beacon.js";
import { setupDev } from "../setup/dev.js";
import { type Figure, figure, percentile } from "./report.js";

/** Options of {@link runMatrix}. */
export interface MatrixOptions {
  /** Measured runs per circuit, after one warm-up. */
  runs: number;
  /** Circuits to measure, by name in circuits.json (default: the whole matrix). */
  variants?: readonly string[];
  /** A progress bar (lines when stderr is not a terminal) on stderr (default: true). */
  progress?: boolean;
  /** Build what is missing (default: true); false measures only what is built already. */
  build?: boolean;
}

/** One circuit of the matrix. Times in milliseconds; NaN (null in JSON) where not measured. */
export interface MatrixRow {
  circuit: string;
  depth: number | null;
  k: number | null;
  constraints: number;
  compileMs: number;
  setupMs: number;
  witnessMs: number;
  proveP50Ms: number;
  proveP95Ms: number;
  /** The native engine on every core (NaN where its addon is not built); its proofs verified. */
  nativeProveP50Ms: number;
  verifyMs: number;
  proofBytes: number;
  built: "cached" | "now";
}

/** Tree depths of the `query` cells. */
export const MATRIX_DEPTHS: readonly number[] = [10, 20, 32];

/** Predicate slot counts of the `query` cells. */
export const MATRIX_KS: readonly number[] = [1, 4, 8, 16];

/** Where benchmark variants are built (one folder per variant, as under `artifacts/`). */
export const BENCH_ARTIFACTS_DIR = join(BUILD_DIR, "bench", "artifacts");

/** Where the compile times of the releases are kept. */
const RELEASE_TIMINGS_DIR = join(BUILD_DIR, "bench", "releases");

/** Predicates of the benchmark policy; a circuit with K slots takes the first min(K, 5). */
function policy(subjectId: string): PredicateSpec[] {
  return [
    { op: "EQ", field: "subjectId", value: subjectId },
    { op: "GTE", field: "creditScore", value: 650 },
    { op: "EQ", field: "defaults24m", value: 0 },
    { op: "GTE", field: "reportDate", value: "2026-01-01" },
    { op: "DISCLOSE", field: "jurisdiction" },
  ];
}

/**
 * The circuits of the matrix, in table order: `query` by depth then K, then `commitment`.
 * `UNKNOWN_CIRCUIT` when circuits.json lacks a cell.
 */
export function matrixInstances(instances = loadCircuitInstances()): CircuitInstance[] {
  const find = (what: string, match: (c: CircuitInstance) => boolean): CircuitInstance => {
    const found = instances.filter(match);
    // A release of the same shape is preferred to a variant (query is Query(20, 8)).
    const chosen = found.find((c) => c.release) ?? found[0];
    if (!chosen) {
      throw new ArtifactError(
        ErrorCode.UNKNOWN_CIRCUIT,
        `circuits/circuits.json declares no ${what}: the circuit matrix needs one`,
        { details: { circuit: what } },
      );
    }
    return chosen;
  };
  const cells = MATRIX_DEPTHS.flatMap((depth) =>
    MATRIX_KS.map((k) =>
      find(
        `Query(${depth}, ${k})`,
        (c) => c.template === "Query" && c.params[0] === depth && c.params[1] === k,
      ),
    ),
  );
  return [...cells, find("commitment circuit", (c) => c.name === "commitment")];
}

/**
 * The cache key of a build: the compile's key (sources, main, compiler, libraries) with the
 * instance, the beacon and snarkjs's version.
 */
function sourceKey(instance: CircuitInstance): string {
  return circuitSourceKey(instance, {
    packages: ["snarkjs"],
    text: `${JSON.stringify(instance)}/${DEV_BEACON_HASH}/${DEV_BEACON_ITERATIONS_EXP}`,
  });
}

const timingsSchema = z.strictObject({
  sourceKey: z.string(),
  builtAt: z.string(),
  compileMs: z.number(),
  /** null for a release: its setup was not run here. */
  setupMs: z.number().nullable(),
  r1csSha256: z.string(),
});
type Timings = z.infer<typeof timingsSchema>;

function timingsPath(instance: CircuitInstance): string {
  return instance.release
    ? join(RELEASE_TIMINGS_DIR, `${instance.name}.json`)
    : join(BENCH_ARTIFACTS_DIR, instance.name, "timings.json");
}

/** The stored timings of `instance` if they belong to its current sources, else undefined. */
async function readTimings(instance: CircuitInstance, key: string): Promise<Timings | undefined> {
  let raw: string;
  try {
    raw = await readFile(timingsPath(instance), "utf8");
  } catch {
    return undefined;
  }
  try {
    const timings = timingsSchema.parse(JSON.parse(raw));
    return timings.sourceKey === key ? timings : undefined;
  } catch {
    return undefined; // unreadable: built again
  }
}

async function writeTimings(instance: CircuitInstance, timings: Timings): Promise<void> {
  await writeFileAtomic(timingsPath(instance), `${JSON.stringify(timings, null, 2)}\n`);
}

/** A variant's release in build/bench/artifacts, when it is complete and its files match. */
export async function loadVariant(instance: CircuitInstance): Promise<CircuitRelease | undefined> {
  try {
    const release = await loadCircuitRelease(instance.name, BENCH_ARTIFACTS_DIR);
    const same =
      JSON.stringify(release.manifest.params) === JSON.stringify(instance.params) &&
      release.manifest.ptau.power === instance.ptauPower;
    return same ? release : undefined;
  } catch (err) {
    if (err instanceof CrossproofError) return undefined;
    throw err;
  }
}

/** The build progress: one bar over the circuits to build, the current step named. */
interface BuildProgress {
  step(circuit: string, text: string): void;
  done(): void;
  stop(): void;
}

function buildProgress(title: string, total: number, enabled: boolean): BuildProgress {
  if (!enabled || total === 0) return { step() {}, done() {}, stop() {} };
  let finished = 0;
  if (!process.stderr.isTTY) {
    return {
      step: (circuit, text) =>
        process.stderr.write(`${title} ${finished + 1}/${total} ${circuit}: ${text}\n`),
      done: () => {
        finished++;
      },
      stop() {},
    };
  }
  const bar = new SingleBar({
    format: `${title} [{bar}] {value}/{total} {duration_formatted} | {circuit}: {step}`,
    stream: process.stderr,
    hideCursor: true,
    barsize: 12,
  });
  // What the line holds besides the step: title, bar, counts, elapsed time, separators.
  const room = (circuit: string) =>
    Math.max(20, (process.stderr.columns ?? 100) - title.length - circuit.length - 38);
  bar.start(total, 0, { circuit: "", step: "" });
  return {
    step: (circuit, text) => bar.update({ circuit, step: text.trim().slice(0, room(circuit)) }),
    done: () => bar.increment(),
    stop: () => bar.stop(),
  };
}

/**
 * Wait while another process makes the development ptau of `power` (its temporary files, named
 * after a live process id, sit beside the final one): a second generation would take as long
 * again. Returns at once when the ptau is there or nobody is making it.
 */
async function waitForForeignPtau(power: number, onWait: (text: string) => void): Promise<void> {
  const path = devPtauPath(power);
  const prefix = `${path.slice(dirname(path).length + 1)}.`;
  const makerAlive = async (): Promise<boolean> => {
    const names = await readdir(dirname(path)).catch(() => [] as string[]);
    return names.some((name) => {
      if (!name.startsWith(prefix) || !name.endsWith(".tmp")) return false;
      const pid = Number(name.split(".").at(-3));
      if (!Number.isInteger(pid) || pid === process.pid) return false;
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
      }
    });
  };
  while (!(await fileExists(path)) && (await makerAlive())) {
    onWait(`waiting for ptau ${power}: another process is making it`);
    await sleep(5_000);
  }
}

/** A circuit ready to measure: its release files and where its build times come from. */
interface Prepared {
  readonly instance: CircuitInstance;
  readonly release: CircuitRelease;
  readonly compileMs: number;
  readonly setupMs: number;
  readonly built: "cached" | "now";
}

/**
 * Find or build every requested circuit. Releases: the committed files, their compile timed
 * (once per source version). Variants: reused when current, else built with `setupDev`.
 */
async function prepare(
  instances: readonly CircuitInstance[],
  build: boolean,
  showProgress: boolean,
): Promise<Prepared[]> {
  const prepared = new Map<string, Prepared>();
  const toBuild: { instance: CircuitInstance; key: string }[] = [];
  for (const instance of instances) {
    const key = sourceKey(instance);
    const timings = await readTimings(instance, key);
    if (instance.release) {
      const release = await loadCircuitRelease(instance.name);
      if (timings) warnIfStale(release, timings.r1csSha256);
      if (timings || !build) {
        prepared.set(instance.name, {
          instance,
          release,
          compileMs: timings?.compileMs ?? Number.NaN,
          setupMs: Number.NaN,
          built: "cached",
        });
      } else toBuild.push({ instance, key });
      continue;
    }
    const release = timings ? await loadVariant(instance) : undefined;
    if (release && timings) {
      prepared.set(instance.name, {
        instance,
        release,
        compileMs: timings.compileMs,
        setupMs: timings.setupMs ?? Number.NaN,
        built: "cached",
      });
    } else if (build) toBuild.push({ instance, key });
    else if (showProgress) {
      process.stderr.write(`${instance.name}: not built, and building is off: left out\n`);
    }
  }

  // Lower ptau powers first: a larger ptau another process is making has time to appear.
  toBuild.sort((a, b) => a.instance.ptauPower - b.instance.ptauPower);
  const bar = buildProgress("building", toBuild.length, showProgress);
  try {
    for (const { instance, key } of toBuild) {
      const step = (text: string) => bar.step(instance.name, text);
      prepared.set(
        instance.name,
        instance.release
          ? await timeReleaseCompile(instance, key, step)
          : await buildVariant(instance, key, step),
      );
      bar.done();
    }
  } finally {
    bar.stop();
  }
  return instances.map((c) => prepared.get(c.name)).filter((p) => p !== undefined);
}

function warnIfStale(release: CircuitRelease, r1csSha256: string): void {
  if (r1csSha256 !== release.manifest.r1csSha256) {
    process.stderr.write(
      `warning: the committed release of ${release.name} was not compiled from the current ` +
        "sources (its r1cs differs): measuring the committed artifacts as they are\n",
    );
  }
}

/** Compile a release into a scratch folder, only to time it; its committed files are measured. */
async function timeReleaseCompile(
  instance: CircuitInstance,
  key: string,
  step: (text: string) => void,
): Promise<Prepared> {
  const release = await loadCircuitRelease(instance.name);
  await mkdir(join(BUILD_DIR, "bench"), { recursive: true });
  const scratch = await mkdtemp(join(BUILD_DIR, "bench", `compile-${instance.name}-`));
  try {
    step("compiling (circom --O2), to time it: the committed release is measured");
    const started = performance.now();
    const compiled = await compileCircuit(instance, scratch);
    const compileMs = performance.now() - started;
    const r1csSha256 = await sha256File(compiled.r1cs);
    warnIfStale(release, r1csSha256);
    await writeTimings(instance, {
      sourceKey: key,
      builtAt: new Date().toISOString(),
      compileMs,
      setupMs: null,
      r1csSha256,
    });
    // Its compile was run now, but what is measured is the committed release: "cached".
    return { instance, release, compileMs, setupMs: Number.NaN, built: "cached" };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Build a variant with the development setup into build/bench/artifacts, recording its times. */
async function buildVariant(
  instance: CircuitInstance,
  key: string,
  step: (text: string) => void,
): Promise<Prepared> {
  await waitForForeignPtau(instance.ptauPower, step);
  let timings: Timings | undefined;
  await setupDev({
    circuits: [instance],
    outDir: BENCH_ARTIFACTS_DIR,
    // setupDev's lines name the circuit; the bar names it already.
    progress: (line) => step(line.replace(`${instance.name}: `, "")),
    onCircuitDone: async (_name, manifest, { compileMs, setupMs }) => {
      timings = {
        sourceKey: key,
        builtAt: new Date().toISOString(),
        compileMs,
        setupMs,
        r1csSha256: manifest.r1csSha256,
      };
      await writeTimings(instance, timings);
    },
  });
  if (!timings) throw new Error(`${instance.name}: the development setup reported no times`);
  const release = await loadCircuitRelease(instance.name, BENCH_ARTIFACTS_DIR);
  return {
    instance,
    release,
    compileMs: timings.compileMs,
    setupMs: timings.setupMs ?? Number.NaN,
    built: "now",
  };
}

/** The benchmark's committed records: 1,000 synthetic credit reports, one meeting the policy. */
export interface BenchRecords {
  readonly schemaId: bigint;
  readonly slots: bigint[];
  readonly leaves: bigint[];
  readonly index: number;
  readonly salt: bigint;
  readonly specs: PredicateSpec[];
}

export function benchRecords(): BenchRecords {
  const schema = getSchema("credit-report-v1");
  const asOf = new Date("2026-11-21T00:00:00Z");
  const reports = syntheticCreditReports({ count: 1000, seed: 11, asOf });
  const slots = reports.map((r) => encodeRecord(schema, r));
  const salt = 12345678901234567890n;
  const index = reports.findIndex(
    (r) => (r.creditScore as number) >= 650 && (r.defaults24m as number) === 0,
  );
  const report = reports[index];
  if (!report) throw new Error("no synthetic report meets the benchmark policy");
  return {
    schemaId: schema.schemaId,
    slots: [...(slots[index] as bigint[])],
    leaves: slots.map((s) => computeLeaf(schema.schemaId, s, salt)),
    index,
    salt,
    specs: policy(report.subjectId as string),
  };
}

/** The witness input of `release` for the benchmark record. */
export function circuitInput(release: CircuitRelease, records: BenchRecords): CircuitInput {
  if (release.manifest.template === "Commitment") {
    return {
      leaf: computeLeaf(records.schemaId, records.slots, records.salt).toString(),
      schemaId: records.schemaId.toString(),
      challenge: "42",
      slots: records.slots.map(String),
      salt: records.salt.toString(),
    };
  }
  const { depth, k } = queryShape(release);
  const tree = new CommitmentTree(records.leaves, depth);
  const compiled = compileQuery(
    getSchema("credit-report-v1"),
    records.specs.slice(0, Math.min(k, records.specs.length)),
    k,
  );
  return buildQueryInput(
    {
      schemaId: records.schemaId,
      slots: records.slots,
      salt: records.salt,
      path: tree.path(records.index),
      predicates: compiled.predicates,
      queryHash: compiled.queryHash,
      challenge: 42n,
    },
    depth,
  );
}

/** Witness, prove and verify times and the proof size of one circuit. */
async function measure(
  release: CircuitRelease,
  input: CircuitInput,
  runs: number,
): Promise<
  Pick<
    MatrixRow,
    "witnessMs" | "proveP50Ms" | "proveP95Ms" | "nativeProveP50Ms" | "verifyMs" | "proofBytes"
  >
> {
  const witnessMs: number[] = [];
  const proveMs: number[] = [];
  const verifyMs: number[] = [];
  let proofBytes = 0;
  const proofs: { proof: snarkjs.Groth16Proof; publicSignals: snarkjs.PublicSignals }[] = [];
  // One warm-up run (curve construction, wasm compile) before measuring.
  for (let run = -1; run < runs; run++) {
    const wtns = { type: "mem" } as { type: "mem"; data?: Uint8Array };
    let t = performance.now();
    await snarkjs.wtns.calculate(input, release.paths.wasm, wtns as never);
    const witness = performance.now() - t;
    t = performance.now();
    const bundle = await snarkjs.groth16.prove(release.paths.zkey, wtns as never);
    const prove = performance.now() - t;
    proofBytes = JSON.stringify(bundle.proof).length;
    proofs.push(bundle);
    if (run >= 0) {
      witnessMs.push(witness);
      proveMs.push(prove);
    }
  }
  // Verification measured on its own, over the proofs just made (warm-up: the first).
  for (const [run, { proof, publicSignals }] of proofs.entries()) {
    const t = performance.now();
    const ok = await snarkjs.groth16.verify(release.verificationKey as never, publicSignals, proof);
    if (run > 0) verifyMs.push(performance.now() - t);
    if (!ok) throw new Error(`${release.name}: benchmark proof ${run} did not verify`);
  }
  return {
    witnessMs: percentile(witnessMs, 50),
    proveP50Ms: percentile(proveMs, 50),
    proveP95Ms: percentile(proveMs, 95),
    nativeProveP50Ms: await measureNative(release, input, runs),
    verifyMs: percentile(verifyMs, 50),
    proofBytes,
  };
}

/**
 * The native engine's proving time on the same input (median of `runs` after a warm-up, on every
 * core; the witness not included, as in snarkjs's figure), every proof verified by snarkjs. NaN
 * when the addon is not built here.
 */
async function measureNative(
  release: CircuitRelease,
  input: CircuitInput,
  runs: number,
): Promise<number> {
  if (!loadNativeAddon().available) return Number.NaN;
  const [wasm, zkey] = await Promise.all([
    readFile(release.paths.wasm),
    readFile(release.paths.zkey),
  ]);
  const prover = await NativeProver.open({ wasm, zkey });
  const witness = await prover.witness(input);
  const ms: number[] = [];
  for (let run = -1; run < runs; run++) {
    const t = performance.now();
    const { bundle } = prover.proveWitness(witness, availableParallelism());
    if (run >= 0) ms.push(performance.now() - t);
    const ok = await snarkjs.groth16.verify(
      release.verificationKey as never,
      bundle.publicSignals as never,
      bundle.proof as never,
    );
    if (!ok) throw new Error(`${release.name}: native benchmark proof ${run} did not verify`);
  }
  return percentile(ms, 50);
}

/** A row's name in figures and tables: `query d20 k8`, `commitment`. */
export function rowLabel(row: Pick<MatrixRow, "circuit" | "depth" | "k">): string {
  return row.depth === null || row.k === null
    ? row.circuit
    : `${row.circuit.split("_")[0]} d${row.depth} k${row.k}`;
}

function rowFigures(row: MatrixRow, command: string): Figure[] {
  const label = rowLabel(row);
  const measured: [string, string, number][] = [
    ["constraints", "", row.constraints],
    ["compile", "ms", row.compileMs],
    ["setup (phase 2)", "ms", row.setupMs],
    ["witness p50", "ms", row.witnessMs],
    ["prove p50", "ms", row.proveP50Ms],
    ["prove p95", "ms", row.proveP95Ms],
    ["prove p50, native engine", "ms", row.nativeProveP50Ms],
    ["verify p50", "ms", row.verifyMs],
    ["proof size (JSON)", "bytes", row.proofBytes],
  ];
  // NaN: not measured by this run or the build it reuses (a release's setup): no figure.
  return measured
    .filter(([, , value]) => Number.isFinite(value))
    .map(([name, unit, value]) => figure(`${label}: ${name}`, unit, value, command));
}

/**
 * Build what is missing, then measure every requested circuit of the matrix; `command` is
 * recorded with each figure. Throws on an unknown circuit name or a proof that does not verify.
 */
export async function runMatrix(
  options: MatrixOptions,
  command: string,
): Promise<{ rows: MatrixRow[]; figures: Figure[] }> {
  if (!Number.isInteger(options.runs) || options.runs < 1) {
    throw new RangeError(`runs must be a positive integer, not ${options.runs}`);
  }
  const showProgress = options.progress ?? true;
  const all = matrixInstances();
  let wanted = all;
  if (options.variants) {
    const unknown = options.variants.filter((v) => !all.some((c) => c.name === v));
    if (unknown.length > 0) {
      throw new ArtifactError(
        ErrorCode.UNKNOWN_CIRCUIT,
        `not in the circuit matrix: ${unknown.join(", ")} (known: ${all.map((c) => c.name).join(", ")})`,
        { details: { unknown } },
      );
    }
    wanted = all.filter((c) => options.variants?.includes(c.name));
  }
  const prepared = await prepare(wanted, options.build ?? true, showProgress);

  const records = benchRecords();
  const rows: MatrixRow[] = [];
  const bar = buildProgress("measuring", prepared.length, showProgress);
  try {
    for (const p of prepared) {
      const shape = p.instance.template === "Query" ? queryShape(p.release) : undefined;
      bar.step(p.instance.name, `${options.runs} runs after a warm-up`);
      rows.push({
        circuit: p.instance.name,
        depth: shape?.depth ?? null,
        k: shape?.k ?? null,
        constraints: p.release.manifest.constraints,
        compileMs: p.compileMs,
        setupMs: p.setupMs,
        ...(await measure(p.release, circuitInput(p.release, records), options.runs)),
        built: p.built,
      });
      bar.done();
    }
  } finally {
    bar.stop();
  }
  return { rows, figures: rows.flatMap((row) => rowFigures(row, command)) };
}

function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  return ms < 100 ? ms.toFixed(1) : Math.round(ms).toLocaleString("en-US");
}

function formatSeconds(ms: number): string {
  return Number.isFinite(ms) ? (ms / 1000).toFixed(1) : "—";
}

/** Print the matrix as a table on stdout: one row per circuit, times in ms (builds in s). */
export function printMatrix(title: string, rows: readonly MatrixRow[]): void {
  const header = [
    "circuit",
    "constraints",
    "compile s",
    "setup s",
    "witness ms",
    "prove p50 ms",
    "prove p95 ms",
    "native p50 ms",
    "verify ms",
    "proof B",
    "built",
  ];
  const cells = rows.map((r) => [
    rowLabel(r),
    r.constraints.toLocaleString("en-US"),
    formatSeconds(r.compileMs),
    formatSeconds(r.setupMs),
    formatMs(r.witnessMs),
    formatMs(r.proveP50Ms),
    formatMs(r.proveP95Ms),
    formatMs(r.nativeProveP50Ms),
    formatMs(r.verifyMs),
    String(r.proofBytes),
    r.built,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => (r[c] ?? "").length)));
  const line = (r: readonly string[]) =>
    `  ${r
      .map((cell, c) =>
        c === 0 || c === r.length - 1 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0),
      )
      .join("  ")
      .trimEnd()}\n`;
  process.stdout.write(`\n${title}\n`);
  process.stdout.write(line(header));
  process.stdout.write(line(widths.map((w) => "-".repeat(w))));
  for (const r of cells) process.stdout.write(line(r));
}
