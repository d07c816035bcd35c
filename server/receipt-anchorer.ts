/**
 * The receipt log's anchorer: writes the log's head (count and last hash) to the `ReceiptLog`
 * contract every `every` receipts or once receipts have waited `seconds` unanchored, whichever
 * comes first, and only when the head moved. An anchor that cannot be written (the chain is down)
 * is retried with backoff; the next one anchors the head as it is then, so nothing is skipped
 * (an anchor covers every entry up to its count). Several instances sharing a database and a
 * key anchor the same log: the contract takes each count once, so an instance that finds its
 * head already anchored (by another) adopts that anchor quietly.
 *
 * It also checks the stored log against its anchors as they come (`verifiedUpTo`): every entry
 * up to the last anchor rehashed and linked, and each anchored count's hash equal to the head on
 * chain, so `GET /v1/audit/status` says how far the log is proven intact.
 */
import type { Address } from "viem";
import type { ChainLogAnchor, ReceiptLogContract } from "../chain/receipt-log.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { entryHash, LOG_GENESIS, type LogHash, type LogHead } from "../core/receipt-log.js";
import type { CrossproofLogger } from "../infra/log.js";
import type { VerifierStore } from "../verifier/store.js";

/** Defaults: every 1,000 receipts or 300 s. */
export const ANCHOR_DEFAULTS = { every: 1_000, seconds: 300 } as const;

/** Options of {@link ReceiptAnchorer}. */
export interface ReceiptAnchorerOptions {
  readonly store: VerifierStore;
  /** The contract, with the anchoring key. */
  readonly contract: ReceiptLogContract;
  readonly chainId: number;
  /** Anchor once this many receipts wait (default 1,000). */
  readonly every?: number;
  /** Anchor once receipts have waited this long, in seconds (default 300). */
  readonly seconds?: number;
  /** How often the head is looked at, in ms (default 1,000, or less for a shorter `seconds`). */
  readonly checkMs?: number;
  /** The first retry's delay after a failure, in ms (doubling up to `maxBackoffMs`; default 1,000). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly logger?: CrossproofLogger;
  /** Called after each anchor written (metrics). */
  readonly onAnchor?: (anchor: ChainLogAnchor & { gasUsed: bigint }) => void;
  /** Called after each failed attempt (metrics). */
  readonly onFailure?: (code: string) => void;
}

/** An anchor that could not be written yet. */
export interface PendingAnchor {
  /** When the first failed attempt was. */
  readonly since: string;
  readonly attempts: number;
  /** The last failure's code (`REGISTRY_UNAVAILABLE`, …) and message. */
  readonly lastError: string;
}

/** What `/v1/audit/status` shows of the anchorer. */
export interface AnchorerStatus {
  readonly lastAnchor: ChainLogAnchor | null;
  readonly verifiedUpTo: number;
  /** A stored entry that does not match the chain: the log was changed under the anchors. */
  readonly mismatch: { readonly seq: number; readonly message: string } | null;
  readonly pending: PendingAnchor | null;
  readonly contract: Address;
  readonly anchorer: Address;
  readonly chainId: number;
  readonly every: number;
  readonly seconds: number;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, not ${value}`);
  }
  return value;
}

/** The verifier's receipt-log anchorer. `start()` it; `stop()` waits for an attempt underway. */
export class ReceiptAnchorer {
  readonly every: number;
  readonly seconds: number;
  readonly #store: VerifierStore;
  readonly #contract: ReceiptLogContract;
  readonly #anchorer: Address;
  readonly #chainId: number;
  readonly #checkMs: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #options: ReceiptAnchorerOptions;
  #anchors: ChainLogAnchor[] = [];
  #loaded = false;
  #waitingSince: number | null = null;
  #pending: { since: Date; attempts: number; lastError: string; retryAt: number } | null = null;
  #verified: { count: number; head: LogHash } = { count: 0, head: LOG_GENESIS };
  #mismatch: { seq: number; message: string } | null = null;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: ReceiptAnchorerOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#contract = options.contract;
    const anchorer = options.contract.anchorer;
    if (!anchorer) {
      throw new CrossproofError(ErrorCode.CHAIN_CONFIG, "the receipt anchorer needs a signing key");
    }
    this.#anchorer = anchorer;
    this.#chainId = options.chainId;
    this.every = positiveInteger(options.every ?? ANCHOR_DEFAULTS.every, "every");
    this.seconds = positiveInteger(options.seconds ?? ANCHOR_DEFAULTS.seconds, "seconds");
    this.#checkMs = options.checkMs ?? Math.min(1_000, this.seconds * 1_000);
    this.#backoffMs = options.backoffMs ?? 1_000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 60_000;
  }

  /** Looks at the head every `checkMs` from now on. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      void this.tick();
    }, this.#checkMs);
    this.#timer.unref();
    void this.tick();
  }

  /** Stops looking, and waits for an attempt underway. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One look at the head: anchors it if due (or `force`d and moved). Never throws. */
  tick(force = false): Promise<void> {
    this.#running ??= this.#tick(force).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** The anchors written by this key, oldest first (from the chain, then as written). */
  async anchors(): Promise<readonly ChainLogAnchor[]> {
    if (!this.#loaded) await this.#load();
    return this.#anchors;
  }

  status(): AnchorerStatus {
    const p = this.#pending;
    return {
      lastAnchor: this.#anchors[this.#anchors.length - 1] ?? null,
      verifiedUpTo: this.#verified.count,
      mismatch: this.#mismatch,
      pending: p
        ? { since: p.since.toISOString(), attempts: p.attempts, lastError: p.lastError }
        : null,
      contract: this.#contract.address,
      anchorer: this.#anchorer,
      chainId: this.#chainId,
      every: this.every,
      seconds: this.seconds,
    };
  }

  async #load(): Promise<void> {
    this.#anchors = await this.#contract.anchors(this.#anchorer);
    this.#loaded = true;
  }

  async #tick(force: boolean): Promise<void> {
    if (this.#stopped && !force) return;
    const now = Date.now();
    if (this.#pending && now < this.#pending.retryAt && !force) return;
    try {
      if (!this.#loaded) await this.#load();
      const head = await this.#store.logHead();
      const anchored = this.#anchors[this.#anchors.length - 1]?.count ?? 0;
      if (head.count <= anchored) {
        this.#waitingSince = null;
        this.#pending = null;
        await this.#verify();
        return;
      }
      this.#waitingSince ??= now;
      const due =
        force ||
        this.#pending !== null ||
        head.count - anchored >= this.every ||
        now - this.#waitingSince >= this.seconds * 1_000;
      if (due) await this.#anchor(head);
      await this.#verify();
    } catch (err) {
      const e =
        err instanceof CrossproofError
          ? err
          : new CrossproofError(ErrorCode.INTERNAL, (err as Error).message);
      const attempts = (this.#pending?.attempts ?? 0) + 1;
      const delay = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (attempts - 1));
      this.#pending = {
        since: this.#pending?.since ?? new Date(now),
        attempts,
        lastError: `${e.code}: ${e.message}`,
        retryAt: Date.now() + delay,
      };
      this.#options.onFailure?.(e.code);
      this.#options.logger?.warn(
        { event: "receipt-anchor-failed", code: e.code, count: attempts },
        "receipt log",
      );
    }
  }

  async #anchor(head: LogHead): Promise<void> {
    // Another instance with this key may have anchored this head, or a later one, already.
    const onChain = await this.#contract.latest(this.#anchorer);
    const known = this.#anchors[this.#anchors.length - 1]?.count ?? 0;
    if (onChain.count > known) await this.#load();
    if (onChain.count >= head.count) {
      this.#pending = null;
      this.#waitingSince = null;
      return;
    }
    try {
      const written = await this.#contract.anchor(head.count, head.head);
      this.#anchors.push({
        count: written.count,
        head: written.head,
        txHash: written.txHash,
        blockNumber: written.blockNumber,
        anchoredAt: written.anchoredAt,
      });
      this.#options.onAnchor?.(written);
      this.#options.logger?.info({ event: "receipts-anchored", count: head.count }, "receipt log");
    } catch (err) {
      // Lost a race to another instance anchoring with the same key: adopt its anchor.
      if (err instanceof CrossproofError && err.code === ErrorCode.REGISTRY_REJECTED) {
        const again = await this.#contract.latest(this.#anchorer);
        if (again.count >= head.count) {
          await this.#load();
          this.#pending = null;
          this.#waitingSince = null;
          return;
        }
      }
      throw err;
    }
    this.#pending = null;
    this.#waitingSince = null;
  }

  /** Rehashes and links the stored entries from the last verified count up to the last anchor. */
  async #verify(): Promise<void> {
    if (this.#mismatch) return;
    const last = this.#anchors[this.#anchors.length - 1];
    if (!last || last.count <= this.#verified.count) return;
    const heads = new Map(this.#anchors.map((a) => [a.count, a.head]));
    let { count, head } = this.#verified;
    while (count < last.count) {
      const page = await this.#store.logEntries(count, Math.min(1_000, last.count - count));
      if (page.length === 0) {
        this.#mismatch = {
          seq: count + 1,
          message: `the log ends at ${count}, anchored at ${last.count}`,
        };
        return;
      }
      for (const e of page) {
        const bad =
          e.seq !== count + 1
            ? `seq ${count + 1} is missing`
            : e.prev !== head || entryHash(e.seq, e.prev, e.receipt) !== e.hash
              ? `seq ${e.seq} does not hash or link`
              : heads.has(e.seq) && heads.get(e.seq) !== e.hash
                ? `seq ${e.seq} is not the head anchored at ${e.seq}`
                : null;
        if (bad) {
          this.#mismatch = { seq: count + 1, message: bad };
          this.#options.logger?.error({ event: "receipt-log-mismatch", count: count + 1 }, bad);
          return;
        }
        count = e.seq;
        head = e.hash;
        if (heads.has(count)) this.#verified = { count, head };
      }
    }
  }
}
