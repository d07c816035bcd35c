/**
 * Runs in a worker thread for test/core/snarkjs-worker-runtime.test.ts: loads snarkjs through
 * the runtime module, proves twice, and posts what it saw. It counts the multi-exponentiations
 * run on the cached curve (snarkjs's Groth16 prover calls `G1.multiExpAffine`) and the process's
 * OS threads (/proc/self/task), then clears the cache and proves once more as a control.
 */
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import threads, { parentPort, workerData } from "node:worker_threads";
import { cachedSnarkjsCurve, loadWorkerSnarkjs } from "../../../infra/snarkjs-worker-runtime.js";
import type { CircuitInput } from "../../../prover/query-input.js";

/** What the test gives the probe. */
export interface ProbeInput {
  readonly input: CircuitInput;
  readonly wasm: string;
  readonly zkey: string;
}

interface Multiexp {
  multiExpAffine: (...args: unknown[]) => Promise<unknown>;
}

const osThreads = () => readdirSync("/proc/self/task").length;
const { input, wasm: wasmPath, zkey: zkeyPath } = workerData as ProbeInput;
const [wasm, zkey] = await Promise.all([readFile(wasmPath), readFile(zkeyPath)]);

const loaded = await loadWorkerSnarkjs();
const { snarkjs, curve } = loaded;
const isMainThreadAfterLoad = threads.isMainThread;
const loadedAgain = await loadWorkerSnarkjs();

let multiexps = 0;
const g1 = curve.G1 as unknown as Multiexp;
const original = g1.multiExpAffine.bind(g1);
g1.multiExpAffine = (...args) => {
  multiexps++;
  return original(...args);
};

// The first proof compiles the witness program; count threads from the second on.
const proofs = [await snarkjs.groth16.fullProve(input, wasm, zkey)];
const threadsBefore = osThreads();
proofs.push(await snarkjs.groth16.fullProve(input, wasm, zkey));
const threadsAfter = osThreads();
const cachedAfterProofs = cachedSnarkjsCurve() === curve;
const multiexpsOnCachedCurve = multiexps;

// Control: without the cached curve, snarkjs builds (and caches) a threaded one of its own.
(globalThis as { curve_bn128?: unknown }).curve_bn128 = null;
const control = await snarkjs.groth16.fullProve(input, wasm, zkey);
const controlCurve = cachedSnarkjsCurve();
const threadsWithControlCurve = osThreads();
await controlCurve?.terminate();

parentPort?.postMessage({
  proofs: [...proofs, control],
  sameLoad: loadedAgain === loaded,
  isMainThreadAfterLoad,
  cachedAfterProofs,
  multiexpsOnCachedCurve,
  threadsBefore,
  threadsAfter,
  controlBuiltItsOwnCurve: controlCurve !== null && controlCurve !== curve,
  threadsWithControlCurve,
  multiexpsAfterControl: multiexps,
});
