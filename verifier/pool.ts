/**
 * The verifier's worker pool (piscina): batches of proofs are checked on worker threads, each
 * with its own mcl-wasm curve (`batch-verify.ts`), so the event loop keeps answering requests
 * while proofs are checked. The queue is bounded: past it a check is refused at once with
 * `QUEUE_FULL` (503, `Retry-After`), nothing decided. Single checks reach it through the
 * micro-batcher (`micro-batch.ts`).
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { ProofBundle } from "../core/proof.js";
import type { VerificationKey } from "../infra/artifacts.js";
import { workerEntry } from "../infra/worker-entry.js";
import type { BatchStats } from "./batch-verify.js";
import type { VerifyOutcome, VerifyTask, VerifyTaskResult } from "./verify-worker.js";

export type { VerifyOutcome } from "./verify-worker.js";

const WORKER_ENTRY = workerEntry(import.meta.url, "verify-worker");

/** What the verification code needs from a pool (tests may give another). */
export interface ProofChecker {
  /** Group and pairing checks of a bundle whose shape and ranges are already checked. */
  check(verificationKey: VerificationKey, bundle: ProofBundle): Promise<VerifyOutcome>;
  /** The same for many bundles of one circuit at once; outcomes in order. */
  checkMany(
    verificationKey: VerificationKey,
    bundles: readonly ProofBundle[],
  ): Promise<VerifyOutcome[]>;
}

/** Something that checks a batch in one piece of work (the pool; tests may give another). */
export interface BatchRunner {
  /** Batches that can run at once. */
  readonly workers: number;
  checkBatch(
    verificationKey: VerificationKey,
    bundles: readonly ProofBundle[],
  ): Promise<VerifyOutcome[]>;
}

/** Options of {@link VerifierPool.start}. */
export interface VerifierPoolOptions {
  /** Worker threads (default: `os.availableParallelism()`). */
  readonly workers?: number;
  /** Batches that may wait for a worker (default 64 × workers). */
  readonly maxQueue?: number;
  /** Called after each batch with its size and the pairing work it took (for metrics). */
  readonly onBatch?: (size: number, stats: BatchStats) => void;
}

/** A snapshot for readiness and metrics. */
export interface VerifierPoolStats {
  readonly workers: number;
  readonly queued: number;
  readonly completed: number;
}

/** A pool of verification workers. */
export class VerifierPool implements BatchRunner {
  readonly #piscina: Piscina<VerifyTask, VerifyTaskResult>;
  readonly #keyIds = new WeakMap<VerificationKey, string>();
  readonly #onBatch: ((size: number, stats: BatchStats) => void) | undefined;
  readonly workers: number;
  #closed = false;

  private constructor(
    workers: number,
    maxQueue: number,
    onBatch: ((size: number, stats: BatchStats) => void) | undefined,
  ) {
    this.workers = workers;
    this.#onBatch = onBatch;
    this.#piscina = new Piscina<VerifyTask, VerifyTaskResult>({
      filename: WORKER_ENTRY,
      minThreads: workers,
      maxThreads: workers,
      maxQueue,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
    // A worker that fails between tasks reaches no caller; piscina replaces it.
    this.#piscina.on("error", () => undefined);
  }

  /**
   * Starts the workers and waits until each has loaded mcl-wasm, so the first verification does
   * not pay for it.
   */
  static async start(options: VerifierPoolOptions = {}): Promise<VerifierPool> {
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`workers must be a positive integer, not ${workers}`);
    }
    const pool = new VerifierPool(workers, options.maxQueue ?? 64 * workers, options.onBatch);
    try {
      // One warm-up per worker: each takes a thread for its whole length, so they spread.
      await Promise.all(
        Array.from({ length: workers }, () => pool.#piscina.run(null as never, { name: "warm" })),
      );
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get stats(): VerifierPoolStats {
    return {
      workers: this.#piscina.threads.length,
      queued: this.#piscina.queueSize,
      completed: this.#piscina.completed,
    };
  }

  /** Check `bundles` (one circuit) as one batch on one worker; outcomes in order. */
  async checkBatch(
    verificationKey: VerificationKey,
    bundles: readonly ProofBundle[],
  ): Promise<VerifyOutcome[]> {
    if (this.#closed) {
      throw new CrossproofError(ErrorCode.SERVICE_UNAVAILABLE, "the verifier is shutting down");
    }
    let result: VerifyTaskResult;
    try {
      result = await this.#piscina.run({
        keyId: this.#keyId(verificationKey),
        verificationKey,
        items: bundles,
      });
    } catch (err) {
      if (err instanceof Error && /queue is at limit/i.test(err.message)) {
        throw new CrossproofError(ErrorCode.QUEUE_FULL, "the verification queue is full: retry", {
          details: { queued: this.#piscina.queueSize },
        });
      }
      throw new CrossproofError(ErrorCode.VERIFY_FAILED, "a verification worker failed: retry", {
        cause: err,
      });
    }
    this.#onBatch?.(bundles.length, result.stats);
    return [...result.outcomes];
  }

  /** A stable id of a key, so each worker prepares it once. */
  #keyId(verificationKey: VerificationKey): string {
    let id = this.#keyIds.get(verificationKey);
    if (!id) {
      id = createHash("sha256").update(JSON.stringify(verificationKey)).digest("hex");
      this.#keyIds.set(verificationKey, id);
    }
    return id;
  }

  /** Finishes the checks under way and ends the workers. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#piscina.close();
  }
}
