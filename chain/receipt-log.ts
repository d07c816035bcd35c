/**
 * The `ReceiptLog` contract's client: anchoring a head of the receipt log (`core/receipt-log.ts`)
 * and reading an anchorer's anchors back from its `LogAnchored` events, for the verifier's
 * anchorer and for `crossproof audit verify`.
 */
import {
  type Address,
  type Chain,
  getAddress,
  type Hex,
  type PrivateKeyAccount,
  type PublicClient,
  parseEventLogs,
  type Transport,
  type WalletClient,
} from "viem";
import { ChainError, ErrorCode } from "../core/errors.js";
import type { LogAnchor, LogHash } from "../core/receipt-log.js";
import { receiptLogAbi } from "./abi.js";
import { chainClients, type TransactionType, toChainError } from "./registry.js";

/** An anchor as the chain recorded it. */
export interface ChainLogAnchor extends LogAnchor {
  readonly txHash: string;
  readonly blockNumber: string;
  readonly anchoredAt: string;
}

/** What writing an anchor cost and where it is. */
export interface AnchorWritten extends ChainLogAnchor {
  readonly gasUsed: bigint;
}

/** Options of {@link ReceiptLogContract}. */
export interface ReceiptLogOptions {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly address: Address;
  /** The anchoring key; without it the contract is only read. */
  readonly account?: PrivateKeyAccount | undefined;
  /** Where reading events starts (the deployment's block; default 0). */
  readonly fromBlock?: bigint;
  readonly transactionType?: TransactionType;
  /** Called after each confirmed transaction (the local node saves its state). */
  readonly afterWrite?: () => Promise<void>;
  /** Request timeout (default 10 s). */
  readonly timeoutMs?: number;
}

/** The `ReceiptLog` contract at one address. */
export class ReceiptLogContract {
  readonly address: Address;
  readonly rpcUrl: string;
  readonly client: PublicClient<Transport, Chain>;
  readonly #wallet: WalletClient<Transport, Chain, PrivateKeyAccount> | undefined;
  readonly #options: ReceiptLogOptions;

  constructor(options: ReceiptLogOptions) {
    this.#options = options;
    this.address = getAddress(options.address);
    this.rpcUrl = options.rpcUrl;
    const clients = chainClients(options);
    this.client = clients.public;
    this.#wallet = clients.wallet;
  }

  /** The anchoring account, if one is configured. */
  get anchorer(): Address | undefined {
    return this.#wallet?.account.address;
  }

  /** The last head `anchorer` anchored (count 0 if none). */
  async latest(anchorer: Address): Promise<{ count: number; head: LogHash; anchoredAt: Date }> {
    try {
      const [count, head, at] = await this.client.readContract({
        address: this.address,
        abi: receiptLogAbi,
        functionName: "latest",
        args: [anchorer],
      });
      return {
        count: Number(count),
        head: head as LogHash,
        anchoredAt: new Date(Number(at) * 1000),
      };
    } catch (err) {
      throw toChainError(err, "read the receipt log's last anchor", this.rpcUrl);
    }
  }

  /**
   * Anchors `(count, head)` as this key. `REGISTRY_REJECTED` (`CountNotIncreasing`) if the key
   * already anchored this count or a later one; `REGISTRY_UNAVAILABLE` if the node is down.
   */
  async anchor(count: number, head: LogHash): Promise<AnchorWritten> {
    const wallet = this.#wallet;
    if (!wallet) {
      throw new ChainError(ErrorCode.CHAIN_CONFIG, "anchoring the receipt log needs a key");
    }
    const action = "anchor the receipt log";
    try {
      const { request } = await this.client.simulateContract({
        address: this.address,
        abi: receiptLogAbi,
        functionName: "anchor",
        args: [BigInt(count), head as Hex],
        account: wallet.account,
        ...(this.#options.transactionType === "legacy" ? { type: "legacy" as const } : {}),
      });
      const hash = await wallet.writeContract(request);
      const receipt = await this.client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
      if (receipt.status !== "success") {
        throw new ChainError(ErrorCode.REGISTRY_REJECTED, `the transaction to ${action} reverted`, {
          details: { action, transactionHash: hash },
        });
      }
      await this.#options.afterWrite?.();
      const block = await this.client.getBlock({ blockNumber: receipt.blockNumber });
      return {
        count,
        head,
        txHash: hash,
        blockNumber: receipt.blockNumber.toString(),
        anchoredAt: new Date(Number(block.timestamp) * 1000).toISOString(),
        gasUsed: receipt.gasUsed,
      };
    } catch (err) {
      throw toChainError(err, action, this.rpcUrl);
    }
  }

  /** Every head `anchorer` anchored, oldest first, from its `LogAnchored` events. */
  async anchors(anchorer: Address): Promise<ChainLogAnchor[]> {
    try {
      const logs = await this.client.getLogs({
        address: this.address,
        event: receiptLogAbi.find((e) => e.type === "event" && e.name === "LogAnchored") as Extract<
          (typeof receiptLogAbi)[number],
          { type: "event" }
        >,
        args: { anchorer },
        fromBlock: this.#options.fromBlock ?? 0n,
        toBlock: "latest",
      });
      const events = parseEventLogs({ abi: receiptLogAbi, logs, eventName: "LogAnchored" });
      const times = new Map<bigint, string>();
      const out: ChainLogAnchor[] = [];
      for (const e of events) {
        if (e.blockNumber === null || e.transactionHash === null) continue;
        let at = times.get(e.blockNumber);
        if (at === undefined) {
          const block = await this.client.getBlock({ blockNumber: e.blockNumber });
          at = new Date(Number(block.timestamp) * 1000).toISOString();
          times.set(e.blockNumber, at);
        }
        out.push({
          count: Number(e.args.count),
          head: e.args.head as LogHash,
          txHash: e.transactionHash,
          blockNumber: e.blockNumber.toString(),
          anchoredAt: at,
        });
      }
      return out;
    } catch (err) {
      throw toChainError(err, "read the receipt log's anchors", this.rpcUrl);
    }
  }
}
