/**
 * A real local chain for tests: anvil started by crossproof itself in a temporary data folder,
 * with the contracts deployed and a local issuer registered, exactly as `npm start` does it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { type ChainConnection, openChain } from "../../chain/connect.js";
import type { EvmRootRegistry } from "../../chain/registry.js";

/** A chain in its own data folder; `dispose()` stops the node and deletes the folder. */
export interface TestChain {
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  chain: ChainConnection;
  /** Stops the node and opens it again from the same data folder. */
  reopen(): Promise<ChainConnection>;
  /** A new account with funds, and the registry signing as it. */
  account(): Promise<{ account: PrivateKeyAccount; registry: EvmRootRegistry }>;
  dispose(): Promise<void>;
}

/** Starts a local chain in a fresh temporary data folder. */
export async function startTestChain(): Promise<TestChain> {
  const dataDir = await mkdtemp(join(tmpdir(), "crossproof-chain-"));
  // Only the data folder: no RPC URL or key from the environment running the tests.
  const env: NodeJS.ProcessEnv = { CROSSPROOF_DATA_DIR: dataDir };
  const test: TestChain = {
    dataDir,
    env,
    chain: await openChain({ env }),
    async reopen() {
      await test.chain.close();
      test.chain = await openChain({ env });
      return test.chain;
    },
    async account() {
      const account = privateKeyToAccount(generatePrivateKey());
      const node = test.chain.node;
      if (!node) throw new Error("test chains are local");
      await node.fund(account.address);
      return { account, registry: test.chain.registry.withAccount(account) };
    },
    async dispose() {
      await test.chain.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return test;
}

let counter = 0n;

/** A root never anchored before in this process (roots can be anchored only once). */
export function freshRoot(): bigint {
  counter += 1n;
  return (BigInt(Date.now()) << 32n) + counter;
}
