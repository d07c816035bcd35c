/**
 * Per-key rate limits shared by every verifier instance, in Redis (rate-limiter-flexible's Redis
 * limiter on ioredis): a key's `perSecond` holds for the whole service, however many instances
 * its requests reach.
 *
 * Redis is a help, never a condition for serving: when it cannot be reached (or answers slower
 * than {@link REDIS_COMMAND_TIMEOUT_MS}), each instance counts in its own memory instead (the
 * insurance limiter: the same limit per instance, so up to N times the limit for N instances) and
 * says so — a warning in the log, `crossproof_verifier_rate_limit_shared 0` in `/metrics` and a
 * detail in `/readyz`, which stays ready. ioredis reconnects by itself; the shared counts resume
 * when it is back (logged too).
 */
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis } from "rate-limiter-flexible";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { CrossproofLogger } from "../infra/log.js";
import { shownUrl } from "../infra/service-url.js";
import { consumeOrRefuse } from "./http.js";

/** Longest wait for one Redis command before the request is counted in memory instead. */
export const REDIS_COMMAND_TIMEOUT_MS = 250;

/** What the verifier app needs of a rate limit. */
export interface RequestLimiter {
  /** Counts one request for `key`; `RATE_LIMITED` (with `retryAfterSeconds`) past the limit. */
  consume(key: string): Promise<void>;
  /** Where the counts are kept now, for `/readyz` and `/metrics` (absent: this process). */
  readonly mode?: () => { readonly shared: boolean; readonly detail: string };
}

/** Options of {@link SharedRateLimit.connect}. */
export interface SharedRateLimitOptions {
  /** Requests per second per key (0: no limit, and no connection is made). */
  readonly perSecond: number;
  readonly logger: CrossproofLogger;
  /** Prefix of the keys in Redis (default `crossproof:rl`), so deployments can share a server. */
  readonly keyPrefix?: string;
  /** How long the first connection may take before the start is refused (default 2,000 ms). */
  readonly connectTimeoutMs?: number;
  /** Called when the counts move between Redis and memory. */
  readonly onModeChange?: (shared: boolean) => void;
}

/** The Redis-backed limit with its in-memory insurance. Start with `SharedRateLimit.connect`. */
export class SharedRateLimit implements RequestLimiter {
  readonly #redis: Redis;
  readonly #limiter: RateLimiterRedis | undefined;
  readonly #shown: string;
  #shared = true;

  private constructor(redis: Redis, limiter: RateLimiterRedis | undefined, shown: string) {
    this.#redis = redis;
    this.#limiter = limiter;
    this.#shown = shown;
  }

  /**
   * Connects to Redis at `url`. Unreachable at start: `SERVICE_UNAVAILABLE` naming Redis's host
   * (never a password); a start is refused rather than begun without the shared limits.
   */
  static async connect(url: string, options: SharedRateLimitOptions): Promise<SharedRateLimit> {
    const shown = shownUrl(url);
    const redis = new Redis(url, {
      lazyConnect: true,
      // A command while disconnected fails at once (and is counted in memory) instead of
      // waiting in a queue: a request is never held up by Redis being away.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
    });
    // ioredis reports each failed reconnection here; the mode change below is what is logged.
    redis.on("error", () => undefined);
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new CrossproofError(
        ErrorCode.SERVICE_UNAVAILABLE,
        `Redis at ${shown} does not answer (${(err as { code?: string }).code ?? "no answer"}): rate limits cannot be shared; check CROSSPROOF_REDIS_URL`,
        { details: { service: "redis", variable: "CROSSPROOF_REDIS_URL" } },
      );
    }
    const perSecond = options.perSecond;
    const limiter =
      perSecond > 0
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: options.keyPrefix ?? "crossproof:rl",
            points: perSecond,
            duration: 1,
            rejectIfRedisNotReady: true,
            insuranceLimiter: new RateLimiterMemory({ points: perSecond, duration: 1 }),
          })
        : undefined;
    const limit = new SharedRateLimit(redis, limiter, shown);
    const { logger, onModeChange } = options;
    const change = (shared: boolean) => {
      if (limit.#shared === shared) return;
      limit.#shared = shared;
      onModeChange?.(shared);
      if (shared) logger.info({ event: "rate-limits-shared" }, "Redis is back: rate limits shared");
      else {
        logger.warn(
          { event: "rate-limits-per-instance", code: "REDIS_UNAVAILABLE" },
          "Redis unreachable: rate limits counted per instance until it is back",
        );
      }
    };
    redis.on("ready", () => change(true));
    redis.on("close", () => change(false));
    onModeChange?.(true);
    return limit;
  }

  /** Whether the counts are in Redis now (else in this instance's memory). */
  get shared(): boolean {
    return this.#shared;
  }

  /** For `/readyz` and `/metrics`. */
  mode = (): { shared: boolean; detail: string } =>
    this.#shared
      ? { shared: true, detail: `shared in Redis (${this.#shown})` }
      : { shared: false, detail: "per instance: Redis unreachable" };

  async consume(key: string): Promise<void> {
    if (!this.#limiter) return;
    await consumeOrRefuse(this.#limiter, key);
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.#redis.removeAllListeners("close");
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
