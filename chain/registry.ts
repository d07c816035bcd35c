/**
 * `RootRegistry`: what crossproof needs from the chain (anchor, revoke, look up a root, latest
 * root, watch events), implemented once over viem's JSON-RPC client, so it runs against the
 * local anvil node, FISCO BCOS 3.x's Web3 RPC, Besu or any EVM chain.
 *
 * Failures are explicit: a node that cannot be reached, times out or answers nonsense gives
 * `REGISTRY_UNAVAILABLE`, a refused transaction `REGISTRY_REJECTED` naming the contract's
 * error. A lookup never turns a failure into "unknown root" or "root is fine".
 */
import {
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hash,
  http,
  type PublicClient,
  parseEventLogs,
  type Transport,
  type WalletClient,
  zeroAddress,
} from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { type KeyHash, RELEASE_KINDS, type ReleaseKind } from "../core/circuit-release.js";
import { ChainError, CrossproofError, ErrorCode } from "../core/errors.js";
import { commitmentRegistryAbi } from "./abi.js";

/** How the chain reports `block.timestamp`: seconds, milliseconds (FISCO BCOS < 3.12), or guess. */
export type TimestampUnit = "s" | "ms" | "auto";

/**
 * Transaction type: `auto` (viem sends EIP-1559 when the chain's blocks carry a base fee, legacy
 * otherwise) or `legacy` (always, for nodes that refuse typed transactions).
 */
export type TransactionType = "auto" | "legacy";

/** What the registry records about an anchored root. */
export interface RootStatus {
  readonly root: bigint;
  readonly issuer: Address;
  readonly schemaId: bigint;
  readonly anchoredAt: Date;
  /** When the issuer anchored its next root for the schema; null while the root is current. */
  readonly replacedAt: Date | null;
  /** When the issuer revoked the root outright; null if it did not. */
  readonly revokedAt: Date | null;
  /** Whether the issuer is still registered (a removed issuer's roots are not to be trusted). */
  readonly issuerActive: boolean;
}

/** A registered (or removed) issuer. */
export interface IssuerInfo {
  readonly address: Address;
  readonly active: boolean;
  readonly name: string;
}

/** A circuit release as the registry records it. */
export interface ReleaseStatus {
  readonly keyHash: KeyHash;
  readonly name: string;
  readonly version: string;
  readonly kind: ReleaseKind;
  readonly registeredAt: Date;
  /** When the admin retired it; null while it is current. */
  readonly retiredAt: Date | null;
  /** How long after `retiredAt` proofs under it are still accepted. */
  readonly graceSeconds: number;
  /** `retiredAt` + grace: the end of its acceptance; null while it is current. */
  readonly acceptedUntil: Date | null;
}

/** Where an event or a transaction landed. */
export interface ChainPosition {
  readonly blockNumber: bigint;
  readonly transactionHash: Hash;
}

/** A registry event, decoded. */
export type RegistryEvent = ChainPosition &
  (
    | { readonly type: "IssuerRegistered"; readonly issuer: Address; readonly name: string }
    | { readonly type: "IssuerRemoved"; readonly issuer: Address }
    | {
        readonly type: "RootAnchored";
        readonly issuer: Address;
        readonly schemaId: bigint;
        readonly root: bigint;
        /** The issuer's previous root for the schema (0n if none). */
        readonly previousRoot: bigint;
        readonly anchoredAt: Date;
      }
    | {
        readonly type: "RootReplaced";
        readonly root: bigint;
        readonly replacedBy: bigint;
        readonly replacedAt: Date;
      }
    | {
        readonly type: "RootRevoked";
        readonly issuer: Address;
        readonly root: bigint;
        readonly revokedAt: Date;
      }
    | {
        readonly type: "ReleaseRegistered";
        readonly keyHash: KeyHash;
        readonly name: string;
        readonly version: string;
        readonly kind: ReleaseKind;
        readonly registeredAt: Date;
      }
    | {
        readonly type: "ReleaseRetired";
        readonly keyHash: KeyHash;
        readonly name: string;
        readonly version: string;
        readonly retiredAt: Date;
        readonly graceSeconds: number;
      }
  );

/** The receipt of an anchoring. */
export interface AnchorReceipt extends ChainPosition {
  readonly issuer: Address;
  readonly schemaId: bigint;
  readonly root: bigint;
  readonly previousRoot: bigint;
  readonly anchoredAt: Date;
}

/** Callbacks of `RootRegistry.watch`. */
export interface WatchHandlers {
  /** Each event, in chain order, exactly once per watch. */
  onEvent(event: RegistryEvent): void;
  /** The watch has seen every event up to `blockNumber`. */
  onSynced?(blockNumber: bigint): void;
  /** A poll failed (`REGISTRY_UNAVAILABLE`); the watch keeps polling. */
  onError?(error: CrossproofError): void;
  /** The chain went back below blocks already seen (a reorganisation, or a node reset). */
  onReset?(): void;
}

/** Options of `RootRegistry.watch`. */
export interface WatchOptions {
  /** First block to report (default: the next block after the current one). */
  readonly fromBlock?: bigint;
  /** Time between polls (default 1,000 ms). */
  readonly pollingIntervalMs?: number;
}

/** What crossproof needs from the chain. */
export interface RootRegistry {
  /** The registry contract's address. */
  readonly address: Address;
  /** The id of the chain it is on. */
  readonly chainId: number;
  /** The account that signs this instance's transactions, if any. */
  readonly signer: Address | undefined;
  /** A root's record (as of `atBlock`, default the latest block), or null if never anchored. */
  lookupRoot(root: bigint, atBlock?: bigint): Promise<RootStatus | null>;
  /** The number of the chain's latest block. */
  blockNumber(): Promise<bigint>;
  /** The root `issuer` anchored last for `schemaId`, or null. */
  latestRoot(issuer: Address, schemaId: bigint): Promise<bigint | null>;
  /** An issuer's registration. */
  issuerInfo(issuer: Address): Promise<IssuerInfo>;
  /** Anchors `root` for `schemaId` as the signer (a registered issuer). */
  anchorRoot(schemaId: bigint, root: bigint): Promise<AnchorReceipt>;
  /** Revokes one of the signer's roots. */
  revokeRoot(root: bigint): Promise<ChainPosition>;
  /** Registers an issuer (the signer must be the admin). */
  registerIssuer(issuer: Address, name: string): Promise<ChainPosition>;
  /** Removes an issuer (the signer must be the admin). */
  removeIssuer(issuer: Address): Promise<ChainPosition>;
  /** A circuit release by its key hash (as of `atBlock`), or null if never registered. */
  lookupRelease(keyHash: KeyHash, atBlock?: bigint): Promise<ReleaseStatus | null>;
  /** The key hash registered as `name` `version` (as of `atBlock`), or null. */
  releaseKey(name: string, version: string, atBlock?: bigint): Promise<KeyHash | null>;
  /** Every registered release, in registration order. */
  listReleases(): Promise<ReleaseStatus[]>;
  /** Registers a circuit release (the signer must be the admin). */
  registerRelease(
    name: string,
    version: string,
    keyHash: KeyHash,
    kind: ReleaseKind,
  ): Promise<ChainPosition>;
  /** Retires a release, accepted for `graceSeconds` more (the signer must be the admin). */
  retireRelease(name: string, version: string, graceSeconds: number): Promise<ChainPosition>;
  /** The registry's events in a block range (inclusive), in chain order. */
  events(fromBlock: bigint, toBlock: bigint): Promise<RegistryEvent[]>;
  /** Polls for events until the returned function is called. */
  watch(handlers: WatchHandlers, options?: WatchOptions): () => void;
}

/** Options of `EvmRootRegistry`. */
export interface EvmRootRegistryOptions {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly address: Address;
  /** The signing account; without one, the registry is read-only. */
  readonly account?: PrivateKeyAccount;
  readonly timestampUnit?: TimestampUnit;
  readonly transactionType?: TransactionType;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** Called after each confirmed transaction (the local node saves its state). */
  readonly afterWrite?: () => Promise<void>;
}

/** A decoded log of the registry contract. */
type RegistryLog = ReturnType<typeof parseEventLogs<typeof commitmentRegistryAbi>>[number];

/** Largest block range asked of `eth_getLogs` at once (many nodes refuse wide ranges). */
const LOG_RANGE = 2_000n;

/** Above this a timestamp cannot be in seconds (year 5138), so it is in milliseconds. */
const MS_THRESHOLD = 100_000_000_000n;

/** The URL without credentials, path or query (which may hold an API key), for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(invalid URL)";
  }
}

/** A viem chain definition for any EVM chain crossproof is pointed at. */
export function chainDefinition(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** Where `chainClients` connects, and as whom. */
interface ClientOptions {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly account?: PrivateKeyAccount | undefined;
  readonly timeoutMs?: number | undefined;
}

/**
 * viem clients for a chain: reading (no client-side caching, so every read sees the node's
 * latest block) and, with an account, writing. Requests time out after `timeoutMs` (default
 * 10 s) and are retried once.
 */
export function chainClients(options: ClientOptions & { readonly account: PrivateKeyAccount }): {
  public: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, PrivateKeyAccount>;
};
export function chainClients(options: ClientOptions): {
  public: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, PrivateKeyAccount> | undefined;
};
export function chainClients(options: ClientOptions): {
  public: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, PrivateKeyAccount> | undefined;
} {
  const chain = chainDefinition(options.chainId, options.rpcUrl);
  const transport = http(options.rpcUrl, { timeout: options.timeoutMs ?? 10_000, retryCount: 1 });
  return {
    public: createPublicClient({ chain, transport, cacheTime: 0 }),
    wallet: options.account
      ? createWalletClient({ chain, transport, account: options.account })
      : undefined,
  };
}

function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  return value;
}

/**
 * Classifies a viem failure: a contract revert is `REGISTRY_REJECTED` with the Solidity error's
 * name and arguments; anything else is `REGISTRY_UNAVAILABLE`, or, for a transaction the node
 * refused (funds, nonce, gas), `REGISTRY_REJECTED` with viem's short message.
 */
export function toChainError(err: unknown, action: string, rpcUrl: string): CrossproofError {
  if (err instanceof CrossproofError) return err;
  const rpc = redactUrl(rpcUrl);
  if (err instanceof BaseError) {
    const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const reason = revert.data?.errorName ?? revert.reason ?? "unknown";
      return new ChainError(
        ErrorCode.REGISTRY_REJECTED,
        `the registry refused ${action}: ${reason}`,
        {
          details: { action, reason, args: jsonSafe(revert.data?.args ?? []) },
        },
      );
    }
    if (err.walk((e) => e instanceof ContractFunctionZeroDataError)) {
      return new ChainError(
        ErrorCode.REGISTRY_UNAVAILABLE,
        `no registry contract answers at the configured address on ${rpc}`,
        { details: { action, rpc, error: err.name } },
      );
    }
    const name = err.walk()?.name ?? err.name;
    if (/Insufficient|Nonce|Gas|Fee|Underpriced|Intrinsic|ExecutionReverted/i.test(name)) {
      return new ChainError(ErrorCode.REGISTRY_REJECTED, `the chain refused ${action} (${name})`, {
        details: { action, reason: name },
      });
    }
  }
  // viem's error is not kept as the cause: its message can quote the RPC URL's path and query,
  // which often hold an API key. Its class name is enough to tell a timeout from a refusal.
  const error =
    err instanceof Error
      ? err instanceof BaseError
        ? (err.walk()?.name ?? err.name)
        : err.name
      : "unknown";
  return new ChainError(
    ErrorCode.REGISTRY_UNAVAILABLE,
    `the chain node at ${rpc} cannot be used (${action}: ${error})`,
    { details: { action, rpc, error } },
  );
}

/** The kind of a release from its `uint8` (the contract refuses any other value). */
function releaseKind(value: number): ReleaseKind {
  const kind = RELEASE_KINDS[value];
  if (kind === undefined) {
    throw new ChainError(
      ErrorCode.REGISTRY_UNAVAILABLE,
      `the registry answered release kind ${value}`,
    );
  }
  return kind;
}

/** `RootRegistry` over viem's JSON-RPC client. */
export class EvmRootRegistry implements RootRegistry {
  readonly address: Address;
  readonly signer: Address | undefined;
  readonly chainId: number;
  readonly rpcUrl: string;
  readonly #options: EvmRootRegistryOptions;
  readonly #public: PublicClient<Transport, Chain>;
  readonly #wallet: WalletClient<Transport, Chain, PrivateKeyAccount> | undefined;

  constructor(options: EvmRootRegistryOptions) {
    this.#options = options;
    this.address = options.address;
    this.chainId = options.chainId;
    this.rpcUrl = options.rpcUrl;
    this.signer = options.account?.address;
    const clients = chainClients(options);
    this.#public = clients.public;
    this.#wallet = clients.wallet;
  }

  /** The same registry, signing with another account (e.g. the admin's). */
  withAccount(account: PrivateKeyAccount): EvmRootRegistry {
    return new EvmRootRegistry({ ...this.#options, account });
  }

  /** The viem public client (for the on-chain verifier and health checks). */
  get client(): PublicClient<Transport, Chain> {
    return this.#public;
  }

  #time(value: bigint): Date {
    const unit = this.#options.timestampUnit ?? "auto";
    const ms = unit === "ms" || (unit === "auto" && value > MS_THRESHOLD) ? value : value * 1000n;
    return new Date(Number(ms));
  }

  async #read<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw toChainError(err, action, this.rpcUrl);
    }
  }

  async blockNumber(): Promise<bigint> {
    return this.#read("blockNumber", () => this.#public.getBlockNumber({ cacheTime: 0 }));
  }

  async lookupRoot(root: bigint, atBlock?: bigint): Promise<RootStatus | null> {
    const [issuer, schemaId, anchoredAt, replacedAt, revokedAt, issuerActive] = await this.#read(
      "rootStatus",
      () =>
        this.#public.readContract({
          address: this.address,
          abi: commitmentRegistryAbi,
          functionName: "rootStatus",
          args: [root],
          ...(atBlock === undefined ? {} : { blockNumber: atBlock }),
        }),
    );
    if (issuer === zeroAddress) return null;
    return {
      root,
      issuer,
      schemaId,
      anchoredAt: this.#time(anchoredAt),
      replacedAt: replacedAt === 0n ? null : this.#time(replacedAt),
      revokedAt: revokedAt === 0n ? null : this.#time(revokedAt),
      issuerActive,
    };
  }

  async latestRoot(issuer: Address, schemaId: bigint): Promise<bigint | null> {
    const root = await this.#read("latestRoot", () =>
      this.#public.readContract({
        address: this.address,
        abi: commitmentRegistryAbi,
        functionName: "latestRoot",
        args: [issuer, schemaId],
      }),
    );
    return root === 0n ? null : root;
  }

  async issuerInfo(issuer: Address): Promise<IssuerInfo> {
    const [active, name] = await this.#read("issuerInfo", () =>
      this.#public.readContract({
        address: this.address,
        abi: commitmentRegistryAbi,
        functionName: "issuerInfo",
        args: [issuer],
      }),
    );
    return { address: issuer, active, name };
  }

  async lookupRelease(keyHash: KeyHash, atBlock?: bigint): Promise<ReleaseStatus | null> {
    const [name, version, kind, registeredAt, retiredAt, graceSeconds] = await this.#read(
      "releaseStatus",
      () =>
        this.#public.readContract({
          address: this.address,
          abi: commitmentRegistryAbi,
          functionName: "releaseStatus",
          args: [keyHash],
          ...(atBlock === undefined ? {} : { blockNumber: atBlock }),
        }),
    );
    if (registeredAt === 0n) return null;
    const retired = retiredAt === 0n ? null : this.#time(retiredAt);
    return {
      keyHash: keyHash.toLowerCase() as KeyHash,
      name,
      version,
      kind: releaseKind(kind),
      registeredAt: this.#time(registeredAt),
      retiredAt: retired,
      graceSeconds: Number(graceSeconds),
      acceptedUntil:
        retired === null ? null : new Date(retired.getTime() + Number(graceSeconds) * 1000),
    };
  }

  async releaseKey(name: string, version: string, atBlock?: bigint): Promise<KeyHash | null> {
    const key = await this.#read("releaseKey", () =>
      this.#public.readContract({
        address: this.address,
        abi: commitmentRegistryAbi,
        functionName: "releaseKey",
        args: [name, version],
        ...(atBlock === undefined ? {} : { blockNumber: atBlock }),
      }),
    );
    return /^0x0{64}$/.test(key) ? null : (key.toLowerCase() as KeyHash);
  }

  async listReleases(): Promise<ReleaseStatus[]> {
    const block = await this.blockNumber();
    const keys = await this.#read("releaseKeys", () =>
      this.#public.readContract({
        address: this.address,
        abi: commitmentRegistryAbi,
        functionName: "releaseKeys",
        blockNumber: block,
      }),
    );
    const out: ReleaseStatus[] = [];
    for (const key of keys) {
      const status = await this.lookupRelease(key, block);
      if (status) out.push(status);
    }
    return out;
  }

  async registerRelease(
    name: string,
    version: string,
    keyHash: KeyHash,
    kind: ReleaseKind,
  ): Promise<ChainPosition> {
    return (
      await this.#write("registerRelease", "registerRelease", [
        name,
        version,
        keyHash,
        RELEASE_KINDS.indexOf(kind),
      ])
    ).position;
  }

  async retireRelease(name: string, version: string, graceSeconds: number): Promise<ChainPosition> {
    if (!Number.isSafeInteger(graceSeconds) || graceSeconds < 0) {
      throw new ChainError(
        ErrorCode.USAGE,
        "the grace period must be a whole number of seconds ≥ 0",
      );
    }
    return (
      await this.#write("retireRelease", "retireRelease", [name, version, BigInt(graceSeconds)])
    ).position;
  }

  async #write(
    action: string,
    functionName:
      | "anchorRoot"
      | "revokeRoot"
      | "registerIssuer"
      | "removeIssuer"
      | "registerRelease"
      | "retireRelease",
    args: readonly unknown[],
  ): Promise<{ position: ChainPosition; events: RegistryEvent[] }> {
    const wallet = this.#wallet;
    if (!wallet) {
      throw new ChainError(
        ErrorCode.CHAIN_CONFIG,
        `${action} needs a signing key, and none is configured`,
      );
    }
    try {
      // Simulate first: a revert comes back decoded, before any gas is spent.
      const { request } = await this.#public.simulateContract({
        address: this.address,
        abi: commitmentRegistryAbi,
        functionName,
        args,
        account: wallet.account,
        ...(this.#options.transactionType === "legacy" ? { type: "legacy" } : {}),
      } as Parameters<typeof this.client.simulateContract>[0]);
      const hash = await wallet.writeContract(
        request as Parameters<typeof wallet.writeContract>[0],
      );
      const receipt = await this.#public.waitForTransactionReceipt({ hash, pollingInterval: 250 });
      if (receipt.status !== "success") {
        throw new ChainError(
          ErrorCode.REGISTRY_REJECTED,
          `the transaction for ${action} reverted`,
          {
            details: { action, transactionHash: hash },
          },
        );
      }
      await this.#options.afterWrite?.();
      const logs = parseEventLogs({ abi: commitmentRegistryAbi, logs: receipt.logs }).filter(
        (log) => log.address.toLowerCase() === this.address.toLowerCase(),
      );
      return {
        position: { blockNumber: receipt.blockNumber, transactionHash: hash },
        events: logs.map((log) => this.#decode(log)).filter((e) => e !== null),
      };
    } catch (err) {
      throw toChainError(err, action, this.rpcUrl);
    }
  }

  async anchorRoot(schemaId: bigint, root: bigint): Promise<AnchorReceipt> {
    const { position, events } = await this.#write("anchorRoot", "anchorRoot", [schemaId, root]);
    const anchored = events.find((e) => e.type === "RootAnchored");
    if (anchored?.type !== "RootAnchored") {
      throw new ChainError(
        ErrorCode.REGISTRY_UNAVAILABLE,
        "the anchoring emitted no RootAnchored event",
      );
    }
    return {
      ...position,
      issuer: anchored.issuer,
      schemaId,
      root,
      previousRoot: anchored.previousRoot,
      anchoredAt: anchored.anchoredAt,
    };
  }

  async revokeRoot(root: bigint): Promise<ChainPosition> {
    return (await this.#write("revokeRoot", "revokeRoot", [root])).position;
  }

  async registerIssuer(issuer: Address, name: string): Promise<ChainPosition> {
    return (await this.#write("registerIssuer", "registerIssuer", [issuer, name])).position;
  }

  async removeIssuer(issuer: Address): Promise<ChainPosition> {
    return (await this.#write("removeIssuer", "removeIssuer", [issuer])).position;
  }

  #decode(log: RegistryLog): RegistryEvent | null {
    const position = {
      blockNumber: log.blockNumber ?? 0n,
      transactionHash: log.transactionHash ?? ("0x" as Hash),
    };
    switch (log.eventName) {
      case "IssuerRegistered":
        return { ...position, type: log.eventName, issuer: log.args.issuer, name: log.args.name };
      case "IssuerRemoved":
        return { ...position, type: log.eventName, issuer: log.args.issuer };
      case "RootAnchored":
        return {
          ...position,
          type: log.eventName,
          issuer: log.args.issuer,
          schemaId: log.args.schemaId,
          root: log.args.root,
          previousRoot: log.args.previousRoot,
          anchoredAt: this.#time(log.args.anchoredAt),
        };
      case "RootReplaced":
        return {
          ...position,
          type: log.eventName,
          root: log.args.root,
          replacedBy: log.args.replacedBy,
          replacedAt: this.#time(log.args.replacedAt),
        };
      case "RootRevoked":
        return {
          ...position,
          type: log.eventName,
          issuer: log.args.issuer,
          root: log.args.root,
          revokedAt: this.#time(log.args.revokedAt),
        };
      case "ReleaseRegistered":
        return {
          ...position,
          type: log.eventName,
          keyHash: log.args.keyHash.toLowerCase() as KeyHash,
          name: log.args.name,
          version: log.args.version,
          kind: releaseKind(log.args.kind),
          registeredAt: this.#time(log.args.registeredAt),
        };
      case "ReleaseRetired":
        return {
          ...position,
          type: log.eventName,
          keyHash: log.args.keyHash.toLowerCase() as KeyHash,
          name: log.args.name,
          version: log.args.version,
          retiredAt: this.#time(log.args.retiredAt),
          graceSeconds: Number(log.args.graceSeconds),
        };
      default:
        // Ownable's events (ownership transfers) are not registry events.
        return null;
    }
  }

  async events(fromBlock: bigint, toBlock: bigint): Promise<RegistryEvent[]> {
    const out: RegistryEvent[] = [];
    for (let from = fromBlock; from <= toBlock; from += LOG_RANGE) {
      const to = from + LOG_RANGE - 1n < toBlock ? from + LOG_RANGE - 1n : toBlock;
      const logs = await this.#read("getLogs", () =>
        this.#public.getContractEvents({
          address: this.address,
          abi: commitmentRegistryAbi,
          fromBlock: from,
          toBlock: to,
          strict: true,
        }),
      );
      for (const log of logs) {
        const event = this.#decode(log);
        if (event) out.push(event);
      }
    }
    return out;
  }

  watch(handlers: WatchHandlers, options: WatchOptions = {}): () => void {
    const interval = options.pollingIntervalMs ?? 1_000;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    // The last block whose events were delivered, and its hash; undefined until the first poll.
    let cursor = options.fromBlock === undefined ? undefined : options.fromBlock - 1n;
    let cursorHash: Hash | undefined;
    const blockHash = async (number: bigint): Promise<Hash | undefined> =>
      number < 0n
        ? undefined
        : ((await this.#read("getBlock", () => this.#public.getBlock({ blockNumber: number })))
            .hash ?? undefined);
    const poll = async (): Promise<void> => {
      try {
        const head = await this.blockNumber();
        let seen: bigint = cursor ?? head;
        // A chain that went below the last block seen, or whose block there changed, was
        // reorganised (or reset): what was derived from its events must be dropped.
        if (head < seen || (cursorHash !== undefined && (await blockHash(seen)) !== cursorHash)) {
          seen = head;
          cursorHash = undefined;
          handlers.onReset?.();
        }
        while (seen < head && !stopped) {
          const to: bigint = seen + LOG_RANGE < head ? seen + LOG_RANGE : head;
          for (const event of await this.events(seen + 1n, to)) {
            if (!stopped) handlers.onEvent(event);
          }
          seen = to;
        }
        if (seen !== cursor || cursorHash === undefined) cursorHash = await blockHash(seen);
        cursor = seen;
        if (!stopped) handlers.onSynced?.(seen);
      } catch (err) {
        if (!stopped) handlers.onError?.(toChainError(err, "watch", this.rpcUrl));
      }
      if (!stopped) timer = setTimeout(() => void poll(), interval);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }
}
