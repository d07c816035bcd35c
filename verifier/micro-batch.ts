/**
 * Micro-batching: single proof checks arriving close together share one batched pairing check
 * (`batch-verify.ts`), spread over the worker pool.
 *
 * A check waits at most `maxDelayMs` for others while a worker is idle; while every worker is
 * busy, checks gather until one is free, so batches grow with the load and the fixed cost of a
 * batch (a final exponentiation, three prepared Miller loops, two multi-scalar multiplications)
 * is shared by more proofs exactly when throughput matters. A batch never exceeds `maxBatch`
 * proofs; one that would leave a worker idle is split between the idle workers (no part smaller
 * than `minShare`), which shortens latency at low load. Past `maxPending` waiting checks a new
 * one is refused at once with `QUEUE_FULL`.
 *
 * `checkMany` (the batch endpoints) sends its proofs straight to the workers, split the same way.
 */

import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { ProofBundle } from "../core/proof.js";
import type { VerificationKey } from "../infra/artifacts.js";
import type { BatchRunner, ProofChecker, VerifyOutcome } from "./pool.js";

/** Options of {@link MicroBatcher}. */
export interface MicroBatchOptions {
  /** Longest a check waits for others to share its batch while a worker is idle (default 2). */
  readonly maxDelayMs?: number;
  /** Most proofs in one batch (default 64). */
  readonly maxBatch?: number;
  /** Fewest proofs given a worker of their own when a batch is split (default 8). */
  readonly minShare?: number;
  /** Checks that may wait for a batch (default 4,096). */
  readonly maxPending?: number;
}

interface Waiting {
  readonly verificationKey: VerificationKey;
  readonly bundle: ProofBundle;
  readonly resolve: (outcome: VerifyOutcome) => void;
  readonly reject: (err: unknown) => void;
}

/** A {@link ProofChecker} that batches single checks over a {@link BatchRunner}. */
export class MicroBatcher implements ProofChecker {
  readonly #runner: BatchRunner;
  readonly #maxDelayMs: number;
  readonly #maxBatch: number;
  readonly #minShare: number;
  readonly #maxPending: number;
  #waiting: Waiting[] = [];
  #busy = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(runner: BatchRunner, options: MicroBatchOptions = {}) {
    this.#runner = runner;
    this.#maxDelayMs = options.maxDelayMs ?? 2;
    this.#maxBatch = options.maxBatch ?? 64;
    this.#minShare = options.minShare ?? 8;
    this.#maxPending = options.maxPending ?? 4096;
    for (const [name, value] of Object.entries({
      maxBatch: this.#maxBatch,
      minShare: this.#minShare,
      maxPending: this.#maxPending,
    })) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`${name} must be a positive integer, not ${value}`);
      }
    }
    if (!(this.#maxDelayMs >= 0)) throw new RangeError(`maxDelayMs must be ≥ 0`);
  }

  /** Checks waiting for a batch, and batches running. */
  get stats(): { readonly waiting: number; readonly running: number } {
    return { waiting: this.#waiting.length, running: this.#busy };
  }

  check(verificationKey: VerificationKey, bundle: ProofBundle): Promise<VerifyOutcome> {
    if (this.#waiting.length >= this.#maxPending) {
      return Promise.reject(
        new CrossproofError(ErrorCode.QUEUE_FULL, "the verification queue is full: retry", {
          details: { queued: this.#waiting.length },
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ verificationKey, bundle, resolve, reject });
      this.#pump(false);
    });
  }

  async checkMany(
    verificationKey: VerificationKey,
    bundles: readonly ProofBundle[],
  ): Promise<VerifyOutcome[]> {
    if (bundles.length === 0) return [];
    const idle = Math.max(1, this.#runner.workers - this.#busy);
    const parts = await Promise.all(
      this.#split(bundles, idle).map((part) => this.#run(verificationKey, part)),
    );
    return parts.flat();
  }

  /** Dispatch what is waiting, if a worker is idle and the wait is over (or `force`). */
  #pump(force: boolean): void {
    if (this.#waiting.length === 0) return;
    const idle = this.#runner.workers - this.#busy;
    if (idle <= 0) return; // the next batch to finish pumps again
    if (!force && this.#waiting.length < this.#maxBatch) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#pump(true);
      }, this.#maxDelayMs);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const taken = this.#waiting.splice(0, idle * this.#maxBatch);
    const byKey = new Map<VerificationKey, Waiting[]>();
    for (const w of taken) {
      const group = byKey.get(w.verificationKey);
      if (group) group.push(w);
      else byKey.set(w.verificationKey, [w]);
    }
    for (const [verificationKey, group] of byKey) {
      for (const part of this.#split(group, idle)) {
        this.#run(
          verificationKey,
          part.map((w) => w.bundle),
        ).then(
          (outcomes) => {
            part.forEach((w, i) => {
              w.resolve(outcomes[i] as VerifyOutcome);
            });
          },
          (err) => {
            for (const w of part) w.reject(err);
          },
        );
      }
    }
  }

  /** `items` in parts of at most maxBatch, over at most `workers` parts where it can. */
  #split<T>(items: readonly T[], workers: number): T[][] {
    const n = items.length;
    const count = Math.max(
      Math.ceil(n / this.#maxBatch),
      Math.min(workers, Math.max(1, Math.floor(n / this.#minShare))),
    );
    const size = Math.ceil(n / count);
    const parts: T[][] = [];
    for (let start = 0; start < n; start += size) parts.push(items.slice(start, start + size));
    return parts;
  }

  /** One batch on the runner, counted as busy while it runs. */
  async #run(verificationKey: VerificationKey, bundles: readonly ProofBundle[]) {
    this.#busy += 1;
    try {
      return await this.#runner.checkBatch(verificationKey, bundles);
    } finally {
      this.#busy -= 1;
      this.#pump(true);
    }
  }
}
