/**
 * A root lookup cache for the verifier, kept true by the registry's own events.
 *
 * Every verification needs the root's status; asking the chain each time costs a round trip.
 * The cache answers from memory only while its event watch is in sync: each `RootAnchored`,
 * `RootReplaced`, `RootRevoked` event drops the root it names, and `IssuerRemoved` drops
 * everything (the issuer's roots change status at once). When a poll fails or the chain goes
 * backwards, the cache empties and every lookup goes to the chain until the watch is in sync
 * again, so a lookup is never answered from a view older than the last successful poll.
 *
 * An answer is stored only if it cannot be newer than what the watch has seen: the lookup reads
 * the chain at a known block, and is kept only once the watch has reached that block and no
 * event came in between (an epoch counter). Otherwise a lookup could store state from a block
 * that a reorganisation then drops before the watch ever sees it. Such answers are still
 * returned, just not kept.
 *
 * Circuit releases go through the same cache and the same rules: `ReleaseRegistered` and
 * `ReleaseRetired` drop every release entry (there are a handful), so a retirement is seen by
 * every verifier within one poll, and its grace period is then counted from the chain's time.
 */
import { LRUCache } from "lru-cache";
import type { KeyHash } from "../core/circuit-release.js";
import type { CrossproofError } from "../core/errors.js";
import type { RegistryEvent, ReleaseStatus, RootRegistry, RootStatus } from "./registry.js";

/** Options of `RootCache`. */
export interface RootCacheOptions {
  /** Entries kept (default 10,000). */
  readonly maxEntries?: number;
  /** Event poll interval (default 1,000 ms): the longest a revocation can go unseen. */
  readonly pollingIntervalMs?: number;
  /** Called on each failed poll (for logs and readiness). */
  readonly onError?: (error: CrossproofError) => void;
}

/** Counters for metrics. */
export interface RootCacheStats {
  hits: number;
  misses: number;
  invalidations: number;
  syncedBlock: bigint | undefined;
}

type Entry = { status: RootStatus | null };

/** A cached release answer: by key hash (`k:`), or a name and version's key hash (`v:`). */
type ReleaseEntry = { status: ReleaseStatus | null } | { key: KeyHash | null };

/** Cached `lookupRoot` over a `RootRegistry`, invalidated by its events. */
export class RootCache {
  readonly #registry: RootRegistry;
  readonly #entries: LRUCache<bigint, Entry>;
  readonly #releases: LRUCache<string, ReleaseEntry>;
  readonly #options: RootCacheOptions;
  #unwatch: (() => void) | undefined;
  #inSync = false;
  #epoch = 0;
  readonly stats: RootCacheStats = { hits: 0, misses: 0, invalidations: 0, syncedBlock: undefined };
  #listeners = new Set<(event: RegistryEvent) => void>();

  constructor(registry: RootRegistry, options: RootCacheOptions = {}) {
    this.#registry = registry;
    this.#options = options;
    this.#entries = new LRUCache({ max: options.maxEntries ?? 10_000 });
    this.#releases = new LRUCache({ max: 1_000 });
  }

  /** Starts watching events; lookups are cached from the first successful poll on. */
  start(): void {
    if (this.#unwatch) return;
    this.#unwatch = this.#registry.watch(
      {
        onEvent: (event) => this.#apply(event),
        onSynced: (block) => {
          this.#inSync = true;
          this.stats.syncedBlock = block;
        },
        onError: (error) => {
          this.#dropAll(true);
          this.#options.onError?.(error);
        },
        onReset: () => this.#dropAll(true),
      },
      { pollingIntervalMs: this.#options.pollingIntervalMs ?? 1_000 },
    );
  }

  /** Stops watching and empties the cache. */
  stop(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#dropAll(true);
  }

  /** Whether the event watch is in sync (answers may come from memory). */
  get inSync(): boolean {
    return this.#inSync;
  }

  /** Registers a listener for every registry event the watch sees. Returns its remover. */
  onEvent(listener: (event: RegistryEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The chain's latest block number (a readiness probe: `REGISTRY_UNAVAILABLE` if unreachable). */
  blockNumber(): Promise<bigint> {
    return this.#registry.blockNumber();
  }

  /** The root's status: from memory when in sync, else from the chain (`REGISTRY_UNAVAILABLE`). */
  async lookupRoot(root: bigint): Promise<RootStatus | null> {
    const cached = this.#inSync ? this.#entries.get(root) : undefined;
    if (cached) {
      this.stats.hits++;
      return cached.status;
    }
    this.stats.misses++;
    if (!this.#inSync) return this.#registry.lookupRoot(root);
    const epoch = this.#epoch;
    const block = await this.#registry.blockNumber();
    const status = await this.#registry.lookupRoot(root, block);
    const synced = this.stats.syncedBlock;
    if (this.#inSync && epoch === this.#epoch && synced !== undefined && synced >= block) {
      this.#entries.set(root, { status });
    }
    return status;
  }

  /** A circuit release by key hash, cached like roots (null: never registered). */
  async lookupRelease(keyHash: KeyHash): Promise<ReleaseStatus | null> {
    const entry = await this.#cachedRelease(`k:${keyHash}`, async (block) => ({
      status: await this.#registry.lookupRelease(keyHash, block),
    }));
    return "status" in entry ? entry.status : null;
  }

  /** The key hash registered as `name` `version`, cached like roots (null: none). */
  async releaseKey(name: string, version: string): Promise<KeyHash | null> {
    const entry = await this.#cachedRelease(`v:${name}\u0000${version}`, async (block) => ({
      key: await this.#registry.releaseKey(name, version, block),
    }));
    return "key" in entry ? entry.key : null;
  }

  async #cachedRelease(
    id: string,
    read: (block: bigint | undefined) => Promise<ReleaseEntry>,
  ): Promise<ReleaseEntry> {
    const cached = this.#inSync ? this.#releases.get(id) : undefined;
    if (cached) {
      this.stats.hits++;
      return cached;
    }
    this.stats.misses++;
    if (!this.#inSync) return read(undefined);
    const epoch = this.#epoch;
    const block = await this.#registry.blockNumber();
    const entry = await read(block);
    const synced = this.stats.syncedBlock;
    if (this.#inSync && epoch === this.#epoch && synced !== undefined && synced >= block) {
      this.#releases.set(id, entry);
    }
    return entry;
  }

  #apply(event: RegistryEvent): void {
    switch (event.type) {
      case "RootAnchored":
      case "RootReplaced":
      case "RootRevoked":
        this.#epoch++;
        this.stats.invalidations++;
        this.#entries.delete(event.root);
        break;
      case "IssuerRegistered":
      case "IssuerRemoved":
        this.#dropAll(false);
        break;
      case "ReleaseRegistered":
      case "ReleaseRetired":
        this.#epoch++;
        this.stats.invalidations++;
        this.#releases.clear();
        break;
    }
    for (const listener of this.#listeners) listener(event);
  }

  /** Empties the cache; `outOfSync` also stops answering from memory until the next poll. */
  #dropAll(outOfSync: boolean): void {
    if (outOfSync) this.#inSync = false;
    this.#epoch++;
    this.stats.invalidations++;
    this.#entries.clear();
    this.#releases.clear();
  }
}
