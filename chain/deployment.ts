/**
 * Deploying crossproof's contracts (the registry and the `query` circuit's Groth16 verifier)
 * and the record of where they are: `deployment.json`, checked against the chain on every start.
 */

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  type Address,
  type Chain,
  getAddress,
  type Hex,
  isAddress,
  type PublicClient,
  type Transport,
} from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { z } from "zod";
import { ChainError, ErrorCode } from "../core/errors.js";
import { writeFileAtomic } from "../infra/files.js";
import { contractArtifactPath } from "../infra/paths.js";
import { commitmentRegistryAbi, queryVerifierAbi, receiptLogAbi } from "./abi.js";
import { chainClients, type TransactionType, toChainError } from "./registry.js";

/** Names of the deployed contracts, as in `artifacts/contracts/<name>.json`. */
export type ContractName = "CommitmentRegistry" | "QueryVerifier" | "ReceiptLog";

const address = z
  .string()
  .refine((s) => isAddress(s, { strict: false }), "an EVM address")
  .transform((s): Address => getAddress(s));

const deploymentSchema = z.strictObject({
  chainId: z.number().int().positive(),
  registry: address,
  verifier: address,
  admin: address,
  deployedAtBlock: z.string().regex(/^[0-9]+$/),
  /** The receipt log's anchors (absent in a record from before it: deployed on the next start). */
  receiptLog: address.optional(),
});

/** Where crossproof's contracts are on a chain. */
export type Deployment = z.infer<typeof deploymentSchema>;

interface CompiledContract {
  readonly bytecode: Hex;
  readonly deployedBytecode: Hex;
}

/** The committed compiled form of a contract (bytecode; the ABI comes typed from `abi.ts`). */
export async function loadCompiledContract(name: ContractName): Promise<CompiledContract> {
  const path = contractArtifactPath(name);
  try {
    const json = JSON.parse(await readFile(path, "utf8")) as CompiledContract;
    return { bytecode: json.bytecode, deployedBytecode: json.deployedBytecode };
  } catch (err) {
    throw new ChainError(ErrorCode.CHAIN_CONFIG, `cannot read the compiled contract ${path}`, {
      cause: err,
    });
  }
}

function sha256Hex(hex: Hex): string {
  return createHash("sha256")
    .update(Buffer.from(hex.slice(2), "hex"))
    .digest("hex");
}

/** Reads `deployment.json`; undefined if it does not exist. */
export async function readDeployment(path: string): Promise<Deployment | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const parsed = deploymentSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new ChainError(ErrorCode.CHAIN_CONFIG, `malformed deployment record ${path}`, {
      details: { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
    });
  }
  return parsed.data;
}

/** Writes `deployment.json` atomically. */
export async function writeDeployment(path: string, deployment: Deployment): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(deployment, null, 2)}\n`);
}

/** Options of `deployContracts`. */
export interface DeployOptions {
  readonly rpcUrl: string;
  readonly chainId: number;
  /** Pays for the deployment and becomes the registry's admin. */
  readonly admin: PrivateKeyAccount;
  /** Called after each confirmed transaction (the local node saves its state). */
  readonly afterWrite?: () => Promise<void>;
  readonly transactionType?: TransactionType;
}

/** Deploys the registry (owned by `admin`) and the `query` verifier. */
export async function deployContracts(options: DeployOptions): Promise<Deployment> {
  const { admin, chainId } = options;
  const { public: client, wallet } = chainClients({ ...options, account: admin });
  const registryCode = await loadCompiledContract("CommitmentRegistry");
  const verifierCode = await loadCompiledContract("QueryVerifier");
  const receiptLogCode = await loadCompiledContract("ReceiptLog");
  try {
    const startBlock = await client.getBlockNumber({ cacheTime: 0 });
    const type = options.transactionType === "legacy" ? ({ type: "legacy" } as const) : {};
    const registryTx = await wallet.deployContract({
      abi: commitmentRegistryAbi,
      bytecode: registryCode.bytecode,
      args: [admin.address],
      ...type,
    });
    const verifierTx = await wallet.deployContract({
      abi: queryVerifierAbi,
      bytecode: verifierCode.bytecode,
      ...type,
    });
    const receiptLogTx = await wallet.deployContract({
      abi: receiptLogAbi,
      bytecode: receiptLogCode.bytecode,
      ...type,
    });
    const registry = await client.waitForTransactionReceipt({
      hash: registryTx,
      pollingInterval: 250,
    });
    const verifier = await client.waitForTransactionReceipt({
      hash: verifierTx,
      pollingInterval: 250,
    });
    const receiptLog = await client.waitForTransactionReceipt({
      hash: receiptLogTx,
      pollingInterval: 250,
    });
    if (!registry.contractAddress || !verifier.contractAddress || !receiptLog.contractAddress) {
      throw new ChainError(ErrorCode.CHAIN_NODE, "a contract deployment returned no address");
    }
    await options.afterWrite?.();
    return {
      chainId,
      registry: getAddress(registry.contractAddress),
      verifier: getAddress(verifier.contractAddress),
      admin: admin.address,
      deployedAtBlock: (startBlock + 1n).toString(),
      receiptLog: getAddress(receiptLog.contractAddress),
    };
  } catch (err) {
    throw toChainError(err, "deploy contracts", options.rpcUrl);
  }
}

/**
 * Deploys the receipt log's contract alone (for a deployment recorded before it existed); returns
 * its address.
 */
export async function deployReceiptLog(options: DeployOptions): Promise<Address> {
  const { public: client, wallet } = chainClients({ ...options, account: options.admin });
  const code = await loadCompiledContract("ReceiptLog");
  try {
    const type = options.transactionType === "legacy" ? ({ type: "legacy" } as const) : {};
    const hash = await wallet.deployContract({
      abi: receiptLogAbi,
      bytecode: code.bytecode,
      ...type,
    });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 250 });
    if (!receipt.contractAddress) {
      throw new ChainError(ErrorCode.CHAIN_NODE, "the ReceiptLog deployment returned no address");
    }
    await options.afterWrite?.();
    return getAddress(receipt.contractAddress);
  } catch (err) {
    throw toChainError(err, "deploy the receipt log", options.rpcUrl);
  }
}

/** Where to find the contracts on a chain: what `checkDeployment` verifies. */
export interface ContractAddresses {
  readonly chainId: number;
  readonly registry: Address;
  /** The on-chain verifier (optional on a real chain that only anchors). */
  readonly verifier?: Address | undefined;
  /** The receipt log's anchors (optional: without it, receipts are not anchored). */
  readonly receiptLog?: Address | undefined;
}

/**
 * Checks that the node answers with the expected chain id and holds, at the given addresses,
 * exactly the contracts this release compiled (runtime bytecode compared byte for byte).
 * `CHAIN_CONFIG` otherwise: wrong chain, wrong address, a contract from another release, or a
 * local state that lost its contracts. `REGISTRY_UNAVAILABLE` if the node cannot be reached.
 */
export async function checkDeployment(
  client: PublicClient<Transport, Chain>,
  expected: ContractAddresses,
  rpcUrl: string,
): Promise<void> {
  const chainId = await client.getChainId().catch((err: unknown) => {
    throw toChainError(err, "read the chain id", rpcUrl);
  });
  if (chainId !== expected.chainId) {
    throw new ChainError(
      ErrorCode.CHAIN_CONFIG,
      `the node is chain ${chainId}, but chain ${expected.chainId} was expected`,
      { details: { chainId, expected: expected.chainId } },
    );
  }
  const wanted: [ContractName, Address | undefined][] = [
    ["CommitmentRegistry", expected.registry],
    ["QueryVerifier", expected.verifier],
    ["ReceiptLog", expected.receiptLog],
  ];
  for (const [name, at] of wanted) {
    if (at === undefined) continue;
    const code = await client.getCode({ address: at }).catch((err: unknown) => {
      throw toChainError(err, "read contract code", rpcUrl);
    });
    const compiled = await loadCompiledContract(name);
    if (!code || code === "0x") {
      throw new ChainError(
        ErrorCode.CHAIN_CONFIG,
        `no ${name} contract at ${at} on chain ${chainId}`,
        {
          details: { contract: name, address: at },
        },
      );
    }
    if (sha256Hex(code) !== sha256Hex(compiled.deployedBytecode)) {
      throw new ChainError(
        ErrorCode.CHAIN_CONFIG,
        `the contract at ${at} is not the ${name} this release compiled`,
        { details: { contract: name, address: at } },
      );
    }
  }
}
