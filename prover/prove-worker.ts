/**
 * The proving task of the worker pool (`prover/pool.ts`), run by piscina in a worker thread
 * through `prove-worker-entry.js`. Each worker keeps the circuit's wasm and zkey bytes after its
 * first job, so files are read (and their sha256 checked) once per worker, not once per proof.
 * With the native engine it also keeps the parsed key and one witness calculator per circuit.
 *
 * Only type imports, node built-ins and the native engine's modules (which import nothing of
 * snarkjs or ffjavascript statically) are imported statically here: snarkjs, and circom's
 * witness runtime, must be loaded through `snarkjs-worker-runtime.ts` (see there).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { workerData } from "node:worker_threads";
import type { Groth16Proof, ProofBundle } from "../core/proof.js";
import { loadWorkerSnarkjs } from "../infra/snarkjs-worker-runtime.js";
import { NativeProver, nativeTableOptionsFromEnv, warmNative } from "./native/engine.js";
import type { NativeTableSettings, ProverEngine } from "./native/index.js";
import type { CircuitInput } from "./query-input.js";

/** A release file the worker reads: its path and the sha256 its manifest gives. */
export interface ArtifactFile {
  readonly path: string;
  readonly sha256: string;
}

/**
 * A failure a test can ask a worker for, to see how the pool handles it: `exit` (a crash) or
 * `throw` before the proof starts; `exit-mid-proof` (`process.exit`) or `uncaught-mid-proof` (an
 * uncaught error, which ends the thread) halfway through the proof, once the witness, the FFTs
 * and the A and B1 multi-exponentiations are done (at snarkjs's "Reading B2 Points" step).
 */
export type WorkerFault = "exit" | "throw" | "exit-mid-proof" | "uncaught-mid-proof";

/** The step of snarkjs's `groth16.prove` at which a mid-proof fault strikes. */
const MID_PROOF_STEP = "Reading B2 Points";

/** What the worker is given per job. */
export interface ProveTask {
  readonly input: CircuitInput;
  readonly wasm: ArtifactFile;
  readonly zkey: ArtifactFile;
  /** Tests only: honoured when the pool started its workers with fault injection on. */
  readonly fault?: WorkerFault;
}

/** `workerData` of a proving worker. */
export interface ProveWorkerData {
  /** Let tasks ask for a fault (tests only; production pools never set this). */
  readonly faultInjection: boolean;
  /** The engine this worker proves with (resolved by the pool: the addon is available). */
  readonly engine: ProverEngine;
  /** Threads of one native proof (the native engine only). */
  readonly engineThreads: number;
  /** The native engine's fixed-base tables (absent: from this process's environment). */
  readonly nativeTables?: NativeTableSettings;
}

/** The exit code of a worker that a test asked to crash. */
export const FAULT_EXIT_CODE = 70;

const data = workerData as ProveWorkerData | undefined;
const faultInjection = data?.faultInjection === true;
const engine: ProverEngine = data?.engine ?? "snarkjs";
const engineThreads = data?.engineThreads ?? 1;

const files = new Map<string, Promise<Uint8Array>>();
const provers = new Map<string, Promise<NativeProver>>();

/**
 * Get the worker ready: load snarkjs and build its curve (≈ 1 s), or load the native addon and
 * circom's witness runtime. The pool runs it on every worker when it starts, since piscina loads
 * a worker's task module only with its first task. (A circuit's key and witness calculator are
 * built with its first proof, from the files that proof's task names and checks.)
 */
export async function warm(): Promise<void> {
  if (engine === "native") {
    await warmNative();
    return;
  }
  await loadWorkerSnarkjs();
}

/** This worker's native prover for a circuit, built on first use and kept. */
function nativeProver(wasm: ArtifactFile, zkey: ArtifactFile): Promise<NativeProver> {
  const key = `${wasm.path}\0${wasm.sha256}\0${zkey.path}\0${zkey.sha256}`;
  let prover = provers.get(key);
  if (!prover) {
    prover = Promise.all([artifactBytes(wasm), artifactBytes(zkey)]).then(([w, z]) =>
      NativeProver.open(
        { wasm: w, zkey: z },
        // The tables are built with this worker's thread budget (or shared with a worker of the
        // process that holds the same key).
        { ...(data?.nativeTables ?? nativeTableOptionsFromEnv()), threads: engineThreads },
      ),
    );
    provers.set(key, prover);
    prover.catch(() => provers.delete(key));
  }
  return prover;
}

/** The bytes of `file`, read and checked on first use by this worker and kept afterwards. */
function artifactBytes(file: ArtifactFile): Promise<Uint8Array> {
  const key = `${file.path}\0${file.sha256}`;
  let bytes = files.get(key);
  if (!bytes) {
    bytes = readChecked(file);
    files.set(key, bytes);
    // A failed read is not kept: the next job tries again.
    bytes.catch(() => files.delete(key));
  }
  return bytes;
}

async function readChecked(file: ArtifactFile): Promise<Uint8Array> {
  const data = await readFile(file.path);
  const actual = createHash("sha256").update(data).digest("hex");
  if (actual !== file.sha256) {
    // The release was checked when the pool loaded it; a file replaced since is never used.
    throw new Error(`${file.path} changed since its release was loaded`);
  }
  // Reused for every job: snarkjs opens in-memory artifacts read-only and copies what it reads.
  return data;
}

/**
 * Make one Groth16 proof: with the native engine, or with snarkjs (`groth16.fullProve`) on this
 * worker's single-threaded curve.
 */
export default async function proveTask(task: ProveTask): Promise<ProofBundle> {
  if (engine === "native") return proveNative(task);
  const [{ snarkjs }, wasm, zkey] = await Promise.all([
    loadWorkerSnarkjs(),
    artifactBytes(task.wasm),
    artifactBytes(task.zkey),
  ]);
  const fault = task.fault;
  if (fault === "exit" || fault === "throw") failOnPurpose(fault);
  const logger = fault === undefined ? undefined : midProofFault(fault);
  // No `singleThread` option: it would build a new curve per call. snarkjs takes the cached one.
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(task.input, wasm, zkey, logger);
  return { proof: proof as unknown as Groth16Proof, publicSignals };
}

/**
 * A native proof. A mid-proof fault strikes once the witness is computed, just before the
 * addon's (synchronous) proof starts.
 */
async function proveNative(task: ProveTask): Promise<ProofBundle> {
  const prover = await nativeProver(task.wasm, task.zkey);
  const fault = task.fault;
  if (fault === "exit" || fault === "throw") failOnPurpose(fault);
  const witness = await prover.witness(task.input);
  if (fault !== undefined) {
    failOnPurpose(fault);
    // The uncaught error is thrown from a microtask; the addon's proof is synchronous and would
    // finish (and its result could reach piscina) before the thread ends: the job never does.
    await new Promise<never>(() => undefined);
  }
  return prover.proveWitness(witness, engineThreads).bundle;
}

function failOnPurpose(fault: WorkerFault): void {
  if (!faultInjection) throw new Error("fault injection is off in this worker");
  if (fault === "exit" || fault === "exit-mid-proof") process.exit(FAULT_EXIT_CODE);
  if (fault === "uncaught-mid-proof") {
    // Thrown outside the proof's promise chain: nothing catches it, and the thread ends.
    queueMicrotask(() => {
      throw new Error("this worker failed mid-proof, uncaught");
    });
    return;
  }
  throw new Error("this worker was asked to fail");
}

/** A snarkjs logger that strikes `fault` when the proof reaches {@link MID_PROOF_STEP}. */
function midProofFault(fault: WorkerFault) {
  if (!faultInjection) throw new Error("fault injection is off in this worker");
  const ignore = () => undefined;
  return {
    debug: (message: string) => {
      if (message === MID_PROOF_STEP) failOnPurpose(fault);
    },
    info: ignore,
    warn: ignore,
    error: ignore,
  };
}
