/**
 * A pool of proving workers (piscina worker threads), each proving on its own single-threaded
 * BN254 curve: on a machine with n cores, n workers prove n proofs at once, faster overall than
 * one process proving with snarkjs's threaded curve (bench/proving.ts).
 *
 * The pool keeps its own bounded queue in front of piscina and gives piscina a job only when a
 * worker is free. So the queue's bound holds exactly (piscina's own `maxQueue` does not count
 * jobs that carry an AbortSignal), a job's time limit runs only once a worker is free for it, and
 * `stats` reads from one place.
 *
 * It proves with two releases: `query`, and `query_v2` (IN/NIN, linked records) when its release
 * is installed; each job names its wasm and zkey, so the workers serve both.
 */
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { ArtifactError, CrossproofError, ErrorCode } from "../core/errors.js";
import type { ProofBundle } from "../core/proof.js";
import { type CircuitRelease, loadCircuitRelease } from "../infra/artifacts.js";
import { workerEntry } from "../infra/worker-entry.js";
import { assertZkeyMatchesKey } from "../infra/zkey-file.js";
import { checkQueryV2Witness, queryV2Shape } from "./check-query-v2.js";
import {
  type NativeTableSettings,
  nativeTableOptionsFromEnv,
  type ProverEngine,
  resolveProverEngine,
} from "./native/index.js";
import { checkQueryWitness, queryShape } from "./prove-query.js";
import type { ProveTask, ProveWorkerData, WorkerFault } from "./prove-worker.js";
import { buildQueryInput } from "./query-input.js";
import { buildQueryV2Input, isQueryV2Witness, type ProverWitness } from "./query-v2-input.js";

/**
 * Key of the pool's test-only fault injection (an option of `start`, and `proveWithFault`).
 * Not exported from `prover/index.ts`: a production pool never turns it on.
 */
export const FAULT_INJECTION: unique symbol = Symbol("crossproof.prover.faultInjection");

/** How an accepted job ended, as reported to `onJob`. */
export type JobOutcome = "proved" | "timeout" | "failed" | "closed";

/** Options of {@link ProverPool.start}. */
export type ProverPoolOptions = {
  /** Worker threads (default: `os.availableParallelism()`). */
  readonly workers?: number;
  /**
   * Requests that may wait for a worker (default: 2 × workers, so a worker never idles between
   * jobs while an accepted job starts within about two proof times). A request is one `prove`
   * or one whole `proveAll` group, however many proofs it holds: a batch accepted is proved in
   * full. Beyond it: `QUEUE_FULL`.
   */
  readonly maxQueue?: number;
  /**
   * Time limit of one job from when a worker is free for it, in ms (default 30,000), including
   * the start of a replacement worker if it needs one: `PROVE_TIMEOUT`.
   */
  readonly jobTimeoutMs?: number;
  /** Called once per accepted job when it ends: time since it was accepted, and its outcome. */
  readonly onJob?: (durationMs: number, outcome: JobOutcome) => void;
  /**
   * The proving engine (default: native when its addon is built here, else snarkjs). Asking for
   * `native` where it is not built fails with `PROVER_ENGINE_UNAVAILABLE`.
   */
  readonly engine?: ProverEngine;
  /**
   * Most threads of one native proof inside the addon (default: all the cores,
   * `os.availableParallelism()`). The workers share them: each step of a proof takes this number
   * divided by the proofs in flight in the process, so a proof made alone uses every core and
   * proofs made side by side get one each (bench/proving.ts measures both ways).
   */
  readonly engineThreads?: number;
  /**
   * The native engine's fixed-base MSM tables (default: from this process's environment). The
   * workers of a process share one set per key, built with `engineThreads` threads.
   */
  readonly nativeTables?: NativeTableSettings;
  /** Tests only: let {@link ProverPool.proveWithFault} make a worker exit or throw. */
  readonly [FAULT_INJECTION]?: boolean;
  /**
   * The `query_v2` release (IN/NIN, linked records): a loaded one, or `null` for none (its
   * witnesses are then refused with `ARTIFACT_MISSING`). Default: the committed `query_v2` when
   * it is installed in `artifacts/`, none when it is not.
   */
  readonly releaseV2?: CircuitRelease | null;
} & (
  | {
      /** A loaded `query` release. */
      readonly release: CircuitRelease;
      readonly circuit?: never;
    }
  | {
      /** The release to load from `artifacts/` (default: the committed `query`). */
      readonly circuit?: string;
      readonly release?: never;
    }
);

/** Options of one {@link ProverPool.prove} call. */
export interface ProveOptions {
  /** This job's time limit from when a worker is free for it, in ms (default: the pool's). */
  readonly timeoutMs?: number;
}

/** A snapshot of the pool's work, for health checks and metrics. */
export interface ProverPoolStats {
  /** Accepted jobs (proofs) waiting for a worker. */
  readonly queued: number;
  /** Accepted requests with a job waiting for a worker: what `maxQueue` bounds. */
  readonly queuedRequests: number;
  /** Jobs on a worker now. */
  readonly running: number;
  /** Jobs that returned a proof. */
  readonly completed: number;
  /** Accepted jobs that ended without one: timed out, failed in a worker, or dropped by `close`. */
  readonly failed: number;
  /** Live worker threads. */
  readonly workers: number;
}

/** Default time limit of a job on a worker (a `query` proof takes about 3 s on one core here). */
export const DEFAULT_JOB_TIMEOUT_MS = 30_000;

const WORKER_ENTRY = workerEntry(import.meta.url, "prove-worker");

const TIMED_OUT = Symbol("timed out");

/** The shape of the pool's `query_v2` release. */
interface ReleaseV2 {
  readonly release: CircuitRelease;
  readonly depth: number;
  readonly k: number;
  readonly tableSize: number;
}

interface Job {
  readonly task: ProveTask;
  readonly timeoutMs: number;
  readonly acceptedAt: number;
  readonly resolve: (bundle: ProofBundle) => void;
  readonly reject: (err: CrossproofError) => void;
}

/**
 * A pool of worker threads making `query` (and `query_v2`) proofs, with a bounded queue and a
 * time limit per job.
 */
export class ProverPool {
  readonly #piscina: Piscina<ProveTask, ProofBundle>;
  readonly #release: CircuitRelease;
  readonly #releaseV2: ReleaseV2 | undefined;
  readonly #depth: number;
  readonly #k: number;
  readonly #workers: number;
  readonly #maxQueue: number;
  readonly #jobTimeoutMs: number;
  readonly #onJob: ((durationMs: number, outcome: JobOutcome) => void) | undefined;
  readonly #faultInjection: boolean;
  readonly #engine: ProverEngine;
  /**
   * Waiting jobs, one group per request in arrival order. Workers take from the groups in turn
   * (round robin), so a single proof does not wait behind a whole batch.
   */
  readonly #queue: Job[][] = [];
  #running = 0;
  #completed = 0;
  #failed = 0;
  #closing: Promise<void> | undefined;
  #idle: (() => void) | undefined;

  private constructor(
    release: CircuitRelease,
    releaseV2: CircuitRelease | null,
    options: ProverPoolOptions,
  ) {
    const { depth, k } = queryShape(release);
    this.#release = release;
    this.#releaseV2 =
      releaseV2 === null ? undefined : { release: releaseV2, ...queryV2Shape(releaseV2) };
    this.#depth = depth;
    this.#k = k;
    this.#workers = positiveInteger("workers", options.workers ?? availableParallelism());
    this.#maxQueue = options.maxQueue ?? 2 * this.#workers;
    if (!Number.isInteger(this.#maxQueue) || this.#maxQueue < 0) {
      throw new RangeError(`maxQueue must be a non-negative integer, not ${this.#maxQueue}`);
    }
    this.#jobTimeoutMs = positiveInteger(
      "jobTimeoutMs",
      options.jobTimeoutMs ?? DEFAULT_JOB_TIMEOUT_MS,
    );
    this.#onJob = options.onJob;
    this.#faultInjection = options[FAULT_INJECTION] === true;
    this.#engine = resolveProverEngine(options.engine);
    const workerData: ProveWorkerData = {
      faultInjection: this.#faultInjection,
      engine: this.#engine,
      engineThreads: positiveInteger(
        "engineThreads",
        options.engineThreads ?? availableParallelism(),
      ),
      nativeTables: options.nativeTables ?? nativeTableOptionsFromEnv(),
    };
    this.#piscina = new Piscina<ProveTask, ProofBundle>({
      filename: WORKER_ENTRY,
      minThreads: this.#workers,
      maxThreads: this.#workers,
      // Without Atomics: a worker that died of an uncaught error mid-proof was left with its
      // thread and a MessagePort behind (found by reliability/prover-faults.ts; the pool kept
      // its size, but the process gained threads per crash and could no longer exit by
      // itself). Tasks reach workers by message instead: under a millisecond for seconds-long proofs.
      atomics: "disabled",
      workerData,
    });
    // A worker that fails while it holds no job reaches no caller; piscina replaces it. Without a
    // listener, the EventEmitter would throw the error and end the process.
    this.#piscina.on("error", () => undefined);
  }

  /**
   * Start the workers for a `query` release and the `query_v2` one (each loaded and
   * sha256-checked here, in the calling thread, unless given; each verification key must be its
   * zkey's: `KEY_INVALID`), and wait until each has loaded snarkjs and built its curve.
   */
  static async start(options: ProverPoolOptions = {}): Promise<ProverPool> {
    const release = options.release ?? (await loadCircuitRelease(options.circuit ?? "query"));
    const releaseV2 =
      options.releaseV2 === undefined ? await installedQueryV2() : options.releaseV2;
    // The key the verifiers hold must be the zkey's, or every proof made here would be refused.
    await assertZkeyMatchesKey(release.paths.zkey, release.verificationKey, release.name);
    if (releaseV2 !== null) {
      await assertZkeyMatchesKey(releaseV2.paths.zkey, releaseV2.verificationKey, releaseV2.name);
    }
    const pool = new ProverPool(release, releaseV2, options);
    try {
      await pool.#warm();
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /**
   * Each worker loads snarkjs and builds its curve now (≈ 1 s), or the native addon and the
   * witness runtime, not with its first proof:
   * piscina loads a worker's task module only with its first task. One warm-up per worker; each
   * holds its thread for its whole length, so they spread over the workers.
   */
  async #warm(): Promise<void> {
    await Promise.all(
      Array.from({ length: this.#workers }, () =>
        this.#piscina.run(null as never, { name: "warm" }),
      ),
    );
  }

  /** The `query` release this pool proves with. */
  get release(): CircuitRelease {
    return this.#release;
  }

  /** The `query_v2` release this pool proves with, if it has one. */
  get releaseV2(): CircuitRelease | undefined {
    return this.#releaseV2?.release;
  }

  /** The engine this pool's workers prove with. */
  get engine(): ProverEngine {
    return this.#engine;
  }

  /** A snapshot of queued, running, completed and failed jobs, and of live workers. */
  get stats(): ProverPoolStats {
    return {
      queued: this.#queue.reduce((n, group) => n + group.length, 0),
      queuedRequests: this.#queue.length,
      running: this.#running,
      completed: this.#completed,
      failed: this.#failed,
      workers: this.#piscina.threads.length,
    };
  }

  /**
   * Prove that the witness's record meets its query: a `query` witness, or a `query_v2` one
   * (`circuit: "query_v2"`; `ARTIFACT_MISSING` if the pool has no such release). The witness is
   * checked here first, so a record that does not meet the query fails at once
   * (`PREDICATE_UNSATISFIED`, `RECORD_NOT_IN_TREE`) without using a worker. Then `QUEUE_FULL`
   * at once if no worker is free and the queue is full; `PROVE_TIMEOUT`, `PROVER_FAILED` or
   * `POOL_CLOSED` later.
   */
  async prove(witness: ProverWitness, options: ProveOptions = {}): Promise<ProofBundle> {
    const [job] = this.#submit([witness], options, undefined);
    return (await job) as ProofBundle;
  }

  /**
   * Proves several witnesses as one request: each is checked as `prove` checks it (a failure is
   * that item's rejection), then the group is admitted whole, taking one place in the queue, or
   * refused whole with `QUEUE_FULL` (thrown). Results come in order, one per witness.
   */
  async proveAll(
    witnesses: readonly ProverWitness[],
    options: ProveOptions = {},
  ): Promise<PromiseSettledResult<ProofBundle>[]> {
    return Promise.allSettled(this.#submit(witnesses, options, undefined));
  }

  /**
   * Checks a witness exactly as `prove` does (`PREDICATE_UNSATISFIED`, `RECORD_NOT_IN_TREE`,
   * `ARTIFACT_MISSING`, …), without proving it: so that a request whose proofs only make sense
   * together (the parts of a linked presentation) can be refused whole before any is made.
   */
  check(witness: ProverWitness): void {
    this.#task(witness);
  }

  /**
   * Tests only: like `prove`, but the worker exits (a crash) or throws once the job is under
   * way. Refused unless the pool was started with `[FAULT_INJECTION]: true`.
   */
  async proveWithFault(witness: ProverWitness, fault: WorkerFault): Promise<ProofBundle> {
    if (!this.#faultInjection) throw new Error("this pool was started without fault injection");
    const [job] = this.#submit([witness], {}, fault);
    return (await job) as ProofBundle;
  }

  /**
   * Stop taking work and end the workers. With `drain`, queued jobs are proved first; without,
   * they are rejected with `POOL_CLOSED`. Jobs already on a worker finish either way (each within
   * its time limit). Afterwards no thread or handle of the pool is left. Calling it again returns
   * the first call's promise.
   */
  close(options: { readonly drain?: boolean } = {}): Promise<void> {
    this.#closing ??= this.#close(options.drain === true);
    return this.#closing;
  }

  async #close(drain: boolean): Promise<void> {
    if (!drain) {
      for (const job of this.#queue.splice(0).flat()) {
        this.#settle(job, "closed");
        job.reject(poolClosed());
      }
    }
    if (this.#queue.length > 0 || this.#running > 0) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
    }
    await this.#piscina.destroy();
  }

  /**
   * Admits one request of `witnesses` (one promise per witness, in order) or throws: the pool is
   * closed, or every worker is busy and `maxQueue` requests are waiting. A witness that fails
   * its check rejects its own promise and takes no worker.
   */
  #submit(
    witnesses: readonly ProverWitness[],
    options: ProveOptions,
    fault: WorkerFault | undefined,
  ): Promise<ProofBundle>[] {
    if (this.#closing) throw poolClosed();
    const timeoutMs = positiveInteger("timeoutMs", options.timeoutMs ?? this.#jobTimeoutMs);
    const tasks = witnesses.map((witness): ProveTask | CrossproofError => {
      try {
        return { ...this.#task(witness), ...(fault === undefined ? {} : { fault }) };
      } catch (err) {
        if (err instanceof CrossproofError) return err;
        throw err;
      }
    });
    const proofs = tasks.filter((t) => !(t instanceof CrossproofError)).length;
    const free = this.#workers - this.#running;
    if (proofs > free && this.#queue.length >= this.#maxQueue) {
      throw new CrossproofError(
        ErrorCode.QUEUE_FULL,
        "the proving queue is full: try again later",
        { details: { queuedRequests: this.#queue.length, maxQueue: this.#maxQueue } },
      );
    }
    const waiting: Job[] = [];
    const promises = tasks.map((task) => {
      if (task instanceof CrossproofError) return Promise.reject(task);
      return new Promise<ProofBundle>((resolve, reject) => {
        const job: Job = { task, timeoutMs, acceptedAt: performance.now(), resolve, reject };
        if (this.#running < this.#workers) this.#run(job);
        else waiting.push(job);
      });
    });
    if (waiting.length > 0) this.#queue.push(waiting);
    return promises;
  }

  /** The checked task of one witness, on the release of its circuit; throws what the check finds. */
  #task(witness: ProverWitness): ProveTask {
    let release: CircuitRelease;
    let input: ProveTask["input"];
    if (isQueryV2Witness(witness)) {
      const v2 = this.#releaseV2;
      if (v2 === undefined) {
        throw new ArtifactError(
          ErrorCode.ARTIFACT_MISSING,
          "this prover has no query_v2 release: install artifacts/query_v2",
          { details: { circuit: "query_v2" } },
        );
      }
      checkQueryV2Witness(witness, v2.k, v2.tableSize);
      release = v2.release;
      input = buildQueryV2Input(witness, v2.depth);
    } else {
      checkQueryWitness(witness, this.#k);
      release = this.#release;
      input = buildQueryInput(witness, this.#depth);
    }
    const { wasm, zkey } = release.manifest.files;
    return {
      input,
      wasm: { path: release.paths.wasm, sha256: wasm.sha256 },
      zkey: { path: release.paths.zkey, sha256: zkey.sha256 },
    };
  }

  #run(job: Job): void {
    this.#running++;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(TIMED_OUT), job.timeoutMs);
    // piscina terminates the worker of an aborted job and starts another in its place.
    this.#piscina.run(job.task, { signal: abort.signal }).then(
      (bundle) => {
        clearTimeout(timer);
        this.#finish(job, "proved");
        job.resolve(bundle);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (abort.signal.reason === TIMED_OUT) {
          this.#finish(job, "timeout");
          job.reject(
            new CrossproofError(
              ErrorCode.PROVE_TIMEOUT,
              `the proof took longer than ${job.timeoutMs} ms and was abandoned`,
              { details: { timeoutMs: job.timeoutMs } },
            ),
          );
        } else {
          this.#finish(job, "failed");
          job.reject(
            new CrossproofError(ErrorCode.PROVER_FAILED, "a proving worker failed", {
              cause: err,
            }),
          );
        }
      },
    );
  }

  /** Account for a job that left a worker, and start the next queued one. */
  #finish(job: Job, outcome: JobOutcome): void {
    this.#running--;
    this.#settle(job, outcome);
    const next = this.#next();
    if (next) this.#run(next);
    else if (this.#running === 0) this.#idle?.();
  }

  /** The next waiting job: the first group's first, that group then going to the back. */
  #next(): Job | undefined {
    const group = this.#queue.shift();
    const job = group?.shift();
    if (group && group.length > 0) this.#queue.push(group);
    return job;
  }

  #settle(job: Job, outcome: JobOutcome): void {
    if (outcome === "proved") this.#completed++;
    else this.#failed++;
    try {
      this.#onJob?.(performance.now() - job.acceptedAt, outcome);
    } catch {
      // A metrics hook must not break proving: what it throws is dropped.
    }
  }
}

/** The committed `query_v2` release, or null when it is not installed (a broken one throws). */
async function installedQueryV2(): Promise<CircuitRelease | null> {
  try {
    return await loadCircuitRelease("query_v2");
  } catch (err) {
    if (err instanceof CrossproofError && err.code === ErrorCode.ARTIFACT_MISSING) return null;
    throw err;
  }
}

function poolClosed(): CrossproofError {
  return new CrossproofError(ErrorCode.POOL_CLOSED, "the prover pool is closed");
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, not ${value}`);
  }
  return value;
}
