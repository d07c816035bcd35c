/**
 * The registry's history for people (the console's chain page): its issuers, and the roots
 * anchored with when each was anchored, replaced and revoked, folded from the registry's own
 * events (`RootRegistry.events`). It is read on demand: the first view reads every event from
 * `fromBlock`, each later view only the blocks since, one view at a time.
 *
 * Nothing the verifier decides depends on it (decisions read root statuses through `RootCache`,
 * which follows reorganisations by block hash): if the chain goes back below what was read, the
 * history is read again from `fromBlock`, and otherwise it shows what the blocks it read said.
 */
import type { Address } from "viem";
import type { RegistryEvent, RootRegistry, RootStatus } from "./registry.js";

/** An issuer as the registry's events show it. */
export interface IssuerEntry {
  readonly address: Address;
  readonly name: string;
  /** False once removed. */
  readonly active: boolean;
}

/** An anchored root and what happened to it (a root's status less its issuer's, told apart). */
export type RootEntry = Omit<RootStatus, "issuerActive">;

/** What `RegistryHistory.view` answers. */
export interface RegistryView {
  readonly chainId: number;
  readonly registry: Address;
  /** In order of first registration. */
  readonly issuers: readonly IssuerEntry[];
  /** Newest first, at most the view's limit. */
  readonly roots: readonly RootEntry[];
  /** The last block read. */
  readonly block: bigint;
}

/** Options of {@link RegistryHistory}. */
export interface RegistryHistoryOptions {
  /** The first block to read (default 0: the registry's deployment block is better). */
  readonly fromBlock?: bigint;
  /** Roots kept in memory, newest (default 10,000); older ones are forgotten. */
  readonly maxRoots?: number;
}

/** The registry's issuers and roots, folded from its events. */
export class RegistryHistory {
  readonly #registry: RootRegistry;
  readonly #fromBlock: bigint;
  readonly #maxRoots: number;
  #next: bigint;
  #issuers = new Map<Address, IssuerEntry>();
  /** In anchoring order (a Map keeps insertion order). */
  #roots = new Map<bigint, RootEntry>();
  #reading: Promise<unknown> | undefined;

  constructor(registry: RootRegistry, options: RegistryHistoryOptions = {}) {
    this.#registry = registry;
    this.#fromBlock = options.fromBlock ?? 0n;
    this.#maxRoots = options.maxRoots ?? 10_000;
    this.#next = this.#fromBlock;
  }

  /**
   * The issuers and the newest `limit` roots, as of the chain's latest block
   * (`REGISTRY_UNAVAILABLE` when the chain cannot answer).
   */
  async view(limit: number): Promise<RegistryView> {
    // One read at a time; a view asked meanwhile waits for it and reads what is left.
    while (this.#reading) await this.#reading.catch(() => undefined);
    const reading = this.#catchUp();
    this.#reading = reading;
    let head: bigint;
    try {
      head = await reading;
    } finally {
      this.#reading = undefined;
    }
    const roots = [...this.#roots.values()].reverse().slice(0, limit);
    return {
      chainId: this.#registry.chainId,
      registry: this.#registry.address,
      issuers: [...this.#issuers.values()],
      roots,
      block: head,
    };
  }

  async #catchUp(): Promise<bigint> {
    const head = await this.#registry.blockNumber();
    if (head + 1n < this.#next) {
      // The chain went back below what was read (a reset or a deep reorganisation): read again.
      this.#issuers = new Map();
      this.#roots = new Map();
      this.#next = this.#fromBlock;
    }
    if (head >= this.#next) {
      const events = await this.#registry.events(this.#next, head);
      for (const event of events) this.#apply(event);
      this.#next = head + 1n;
    }
    return head;
  }

  #apply(event: RegistryEvent): void {
    switch (event.type) {
      case "IssuerRegistered":
        this.#issuers.set(event.issuer, { address: event.issuer, name: event.name, active: true });
        break;
      case "IssuerRemoved": {
        const known = this.#issuers.get(event.issuer);
        this.#issuers.set(event.issuer, {
          address: event.issuer,
          name: known?.name ?? "",
          active: false,
        });
        break;
      }
      case "RootAnchored":
        this.#roots.delete(event.root);
        this.#roots.set(event.root, {
          root: event.root,
          issuer: event.issuer,
          schemaId: event.schemaId,
          anchoredAt: event.anchoredAt,
          replacedAt: null,
          revokedAt: null,
        });
        if (this.#roots.size > this.#maxRoots) {
          const oldest = this.#roots.keys().next().value;
          if (oldest !== undefined) this.#roots.delete(oldest);
        }
        break;
      case "RootReplaced": {
        const entry = this.#roots.get(event.root);
        if (entry) this.#roots.set(event.root, { ...entry, replacedAt: event.replacedAt });
        break;
      }
      case "RootRevoked": {
        const entry = this.#roots.get(event.root);
        if (entry) this.#roots.set(event.root, { ...entry, revokedAt: event.revokedAt });
        break;
      }
      default:
        // Circuit releases are not part of this view.
        break;
    }
  }
}
