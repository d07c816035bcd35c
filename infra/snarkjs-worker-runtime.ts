/**
 * snarkjs inside a worker thread. Two workarounds, kept in this one module because both lean on
 * snarkjs's internals (TOOLCHAIN.md, "Proving and verifying in Node"):
 *
 * 1. ffjavascript's `web-worker` dependency decides at import whether it runs in one of its own
 *    threads by `worker_threads.isMainThread`, so importing snarkjs in any other worker (piscina's)
 *    crashes ("Cannot destructure property 'mod' of 'threads.workerData'"). The import below runs
 *    with `isMainThread` set to true, then restores it.
 * 2. snarkjs proves on the BN254 curve it finds in `globalThis.curve_bn128`, building a threaded
 *    one (a worker per core) when there is none. Each proving worker instead builds one
 *    single-threaded curve, once, and leaves it there: proofs neither rebuild it nor spawn threads.
 *
 * Nothing here may be imported statically by a worker module before `loadWorkerSnarkjs` has run:
 * a static `import "snarkjs"` (or of a module that has one) would be evaluated first and crash.
 */
import threads from "node:worker_threads";
import type { BnCurve } from "ffjavascript";

/** The snarkjs module, as `import("snarkjs")` returns it. */
export type Snarkjs = typeof import("snarkjs");

/** snarkjs, loaded for a worker thread, and the single-threaded curve it proves on. */
export interface WorkerSnarkjs {
  readonly snarkjs: Snarkjs;
  readonly curve: BnCurve;
}

interface CurveSlot {
  curve_bn128?: BnCurve | null;
}

let loading: Promise<WorkerSnarkjs> | undefined;

/**
 * snarkjs for this thread, imported past web-worker's thread check, with one single-threaded
 * BN254 curve cached where snarkjs looks. Loads once per thread; later calls return the same.
 */
export function loadWorkerSnarkjs(): Promise<WorkerSnarkjs> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

async function load(): Promise<WorkerSnarkjs> {
  const [snarkjs, ffjavascript] = await importAsMainThread(() =>
    Promise.all([import("snarkjs"), import("ffjavascript")]),
  );
  // ffjavascript's bn128 module sets the slot to null when it is first evaluated (above), so the
  // curve is cached after the import, never before.
  const curve = await ffjavascript.buildBn128(true);
  (globalThis as CurveSlot).curve_bn128 = curve;
  return { snarkjs, curve };
}

/** The curve snarkjs will prove on in this thread (`globalThis.curve_bn128`), if any. */
export function cachedSnarkjsCurve(): BnCurve | null {
  return (globalThis as CurveSlot).curve_bn128 ?? null;
}

/**
 * Run `load` (a dynamic import of snarkjs or of a package on ffjavascript, such as circom's
 * witness calculator) past web-worker's thread check (workaround 1 above).
 */
export async function importAsMainThread<T>(load: () => Promise<T>): Promise<T> {
  // `node:worker_threads` is a CommonJS built-in: its default export is the object web-worker's
  // `require("worker_threads")` reads, so a property set here is what web-worker sees.
  const flags = threads as { isMainThread: boolean };
  const previous = flags.isMainThread;
  flags.isMainThread = true;
  try {
    return await load();
  } finally {
    flags.isMainThread = previous;
  }
}
