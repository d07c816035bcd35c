/**
 * Chain configuration from the environment. Without `CROSSPROOF_RPC_URL`, crossproof runs its own
 * local node in the data folder; with it, it uses that chain and the contract addresses given.
 *
 * | variable                          | meaning                                                   |
 * | --------------------------------- | --------------------------------------------------------- |
 * | `CROSSPROOF_RPC_URL`              | JSON-RPC endpoint of a real chain (unset: local node)      |
 * | `CROSSPROOF_CHAIN_ID`             | its chain id, checked against the node (FISCO BCOS: 20200) |
 * | `CROSSPROOF_REGISTRY_ADDRESS`     | the deployed `CommitmentRegistry`                          |
 * | `CROSSPROOF_VERIFIER_ADDRESS`     | the deployed `query` verifier (optional)                   |
 * | `CROSSPROOF_RECEIPT_LOG_ADDRESS`  | the deployed `ReceiptLog` (optional: anchors the log)      |
 * | `CROSSPROOF_ANCHOR_KEY[_FILE]`    | the key that anchors the receipt log (default: the admin's) |
 * | `CROSSPROOF_ISSUER_KEY[_FILE]`    | the issuer's signing key, or a file holding it             |
 * | `CROSSPROOF_ADMIN_KEY[_FILE]`     | the registry admin's key (deploying, managing issuers)      |
 * | `CROSSPROOF_CHAIN_TIMESTAMP_UNIT` | `auto` (default), `s` or `ms` (FISCO BCOS before 3.12)     |
 * | `CROSSPROOF_CHAIN_TX_TYPE`        | `auto` (default: as the chain's blocks allow) or `legacy`  |
 * | `CROSSPROOF_DATA_DIR`             | the data folder (default `data/` in the crossproof folder) |
 */
import { type Address, getAddress, isAddress } from "viem";
import { ChainError, ErrorCode } from "../core/errors.js";
import { dataDir } from "../infra/paths.js";
import type { TimestampUnit, TransactionType } from "./registry.js";

/** A chain crossproof does not run itself. */
export interface RemoteChainConfig {
  readonly mode: "remote";
  readonly rpcUrl: string;
  readonly chainId: number;
  /** Unset only for `crossproof chain deploy`, which makes the contracts. */
  readonly registry: Address | undefined;
  readonly verifier: Address | undefined;
  /** The receipt log's anchors; unset, the log is kept but not anchored. */
  readonly receiptLog: Address | undefined;
  readonly timestampUnit: TimestampUnit;
  readonly transactionType: TransactionType;
}

/** The local anvil node in the data folder. */
export interface LocalChainConfig {
  readonly mode: "local";
  readonly dataDir: string;
}

/** Where the chain is. */
export type ChainConfig = RemoteChainConfig | LocalChainConfig;

function fail(message: string, variable: string): never {
  throw new ChainError(ErrorCode.CHAIN_CONFIG, message, { details: { variable } });
}

function optionalAddress(env: NodeJS.ProcessEnv, name: string): Address | undefined {
  const value = env[name];
  if (value === undefined || value === "") return undefined;
  if (!isAddress(value, { strict: false })) fail(`${name} is not an EVM address`, name);
  return getAddress(value);
}

function oneOf<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    fail(`${name} must be one of ${allowed.join(", ")}`, name);
  }
  return value as T;
}

/** Reads the chain configuration; `CHAIN_CONFIG` names the variable that is wrong. */
export function chainConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ChainConfig {
  const rpcUrl = env.CROSSPROOF_RPC_URL;
  if (rpcUrl === undefined || rpcUrl === "") {
    return { mode: "local", dataDir: dataDir(env) };
  }
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    fail("CROSSPROOF_RPC_URL is not a URL", "CROSSPROOF_RPC_URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    fail("CROSSPROOF_RPC_URL must be an http or https URL", "CROSSPROOF_RPC_URL");
  }
  const chainIdText = env.CROSSPROOF_CHAIN_ID;
  if (!chainIdText)
    fail("CROSSPROOF_CHAIN_ID is required with CROSSPROOF_RPC_URL", "CROSSPROOF_CHAIN_ID");
  const chainId = Number(chainIdText);
  if (!/^[1-9][0-9]*$/.test(chainIdText) || !Number.isSafeInteger(chainId)) {
    fail("CROSSPROOF_CHAIN_ID must be a positive integer", "CROSSPROOF_CHAIN_ID");
  }
  return {
    mode: "remote",
    rpcUrl,
    chainId,
    registry: optionalAddress(env, "CROSSPROOF_REGISTRY_ADDRESS"),
    verifier: optionalAddress(env, "CROSSPROOF_VERIFIER_ADDRESS"),
    receiptLog: optionalAddress(env, "CROSSPROOF_RECEIPT_LOG_ADDRESS"),
    timestampUnit: oneOf(env, "CROSSPROOF_CHAIN_TIMESTAMP_UNIT", ["auto", "s", "ms"], "auto"),
    transactionType: oneOf(env, "CROSSPROOF_CHAIN_TX_TYPE", ["auto", "legacy"], "auto"),
  };
}
