/**
 * The verifier's worker pool (piscina): the group checks and the Groth16 pairing check of each
 * proof run on worker threads, each with its own single-threaded BN254 curve, so the event loop
 * keeps answering requests while proofs are checked. The queue is bounded: past it a check is
 * refused at once with `QUEUE_FULL` (503, `Retry-After`), nothing decided.
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { VerificationKey } from "../core/artifacts.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { ProofBundle } from "../core/proof.js";
import type { VerifyOutcome, VerifyTask } from "./verify-worker.js";

export type { VerifyOutcome } from "./verify-worker.js";

const WORKER_ENTRY = fileURLToPath(new URL("./verify-worker-entry.js", import.meta.url));

/** What the verification code needs from a pool (tests may give another). */
export interface ProofChecker {
  /** Group and pairing checks of a bundle whose shape and ranges are already checked. */
  check(verificationKey: VerificationKey, bundle: ProofBundle): Promise<VerifyOutcome>;
}

/** Options of {@link VerifierPool.start}. */
export interface VerifierPoolOptions {
  /** Worker threads (default: `os.availableParallelism()`). */
  readonly workers?: number;
  /** Checks that may wait for a worker (default 256 × workers). */
  readonly maxQueue?: number;
}

/** A snapshot for readiness and metrics. */
export interface VerifierPoolStats {
  readonly workers: number;
  readonly queued: number;
  readonly completed: number;
}

/** A pool of verification workers. */
export class VerifierPool implements ProofChecker {
  readonly #piscina: Piscina<VerifyTask, VerifyOutcome>;
  #closed = false;

  private constructor(workers: number, maxQueue: number) {
    this.#piscina = new Piscina<VerifyTask, VerifyOutcome>({
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
   * Starts the workers and waits until each has loaded snarkjs and built its curve, so the first
   * verification does not pay for it (≈ 1 s).
   */
  static async start(options: VerifierPoolOptions = {}): Promise<VerifierPool> {
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`workers must be a positive integer, not ${workers}`);
    }
    const pool = new VerifierPool(workers, options.maxQueue ?? 256 * workers);
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

  async check(verificationKey: VerificationKey, bundle: ProofBundle): Promise<VerifyOutcome> {
    if (this.#closed) {
      throw new CrossproofError(ErrorCode.SERVICE_UNAVAILABLE, "the verifier is shutting down");
    }
    try {
      return await this.#piscina.run({
        verificationKey,
        proof: bundle.proof,
        publicSignals: bundle.publicSignals,
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
  }

  /** Finishes the checks under way and ends the workers. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#piscina.close();
  }
}
