/**
 * One call to get a working chain: `openChain()` either starts the local node (deploying the
 * contracts and registering a local issuer on first start) or connects to the configured chain,
 * and in both cases checks that the contracts at the recorded addresses are this release's.
 */
import type { Address } from "viem";
import { ChainError, CrossproofError, ErrorCode } from "../core/errors.js";
import type { Groth16Proof } from "../core/proof.js";
import { localChainPaths } from "../infra/paths.js";
import { type ChainConfig, chainConfigFromEnv } from "./config.js";
import {
  checkDeployment,
  deployContracts,
  deployReceiptLog,
  readDeployment,
  writeDeployment,
} from "./deployment.js";
import { loadOrCreateKeyFile, type Signer, signerFromEnv } from "./keys.js";
import { LocalNode } from "./local-node.js";
import { verifyOnChain } from "./onchain-verifier.js";
import { EvmRootRegistry, redactUrl } from "./registry.js";
import { registerShippedReleases } from "./releases.js";

/** Display name of the issuer registered on a fresh local chain. */
export const LOCAL_ISSUER_NAME = "crossproof local issuer";

/** Options of `openChain`. */
export interface OpenChainOptions {
  /** Where the configuration comes from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines for people (addresses and URLs only, never keys). */
  readonly log?: (line: string) => void;
  /** Port of the local node (default: a free one). */
  readonly port?: number;
}

/** A chain ready for use. */
export interface ChainConnection {
  readonly config: ChainConfig;
  readonly chainId: number;
  /** The RPC URL (the local node's; for a remote chain, as configured: do not log it whole). */
  readonly rpcUrl: string;
  readonly registryAddress: Address;
  readonly verifierAddress: Address | undefined;
  /** The receipt log's anchors (always on the local node; configured on a remote chain). */
  readonly receiptLogAddress: Address | undefined;
  /** The registry, signing as the issuer when a key is configured (always on the local node). */
  readonly registry: EvmRootRegistry;
  /** The local node, when crossproof runs it. */
  readonly node: LocalNode | undefined;
  /** The registry signing as the admin (`CHAIN_CONFIG` if no admin key is configured). */
  admin(): Promise<EvmRootRegistry>;
  /**
   * The registry signing as a further issuer (the local deployment's second bureau). On the
   * local node the issuer is funded and registered by the admin under `name` on first use
   * (`registered`: it was just now); on a remote chain it is used as it is: its admin registers
   * issuers (`crossproof chain register-issuer`).
   */
  issuer(signer: Signer, name: string): Promise<{ registry: EvmRootRegistry; registered: boolean }>;
  /**
   * The key that anchors the receipt log: `CROSSPROOF_ANCHOR_KEY`, else the admin's (the local
   * node's admin key); undefined when none is configured.
   */
  anchorer(): Promise<Signer | undefined>;
  /** Checks a `query` proof with the deployed verifier contract. */
  verifyOnChain(proof: Groth16Proof, publicSignals: readonly string[]): Promise<boolean>;
  /** Stops the local node (saving its state); a no-op for a remote chain. */
  close(): Promise<void>;
}

function connection(
  config: ChainConfig,
  registry: EvmRootRegistry,
  verifier: Address | undefined,
  receiptLog: Address | undefined,
  admin: () => Promise<Signer>,
  anchorer: () => Promise<Signer | undefined>,
  node: LocalNode | undefined,
): ChainConnection {
  return {
    receiptLogAddress: receiptLog,
    anchorer,
    config,
    chainId: registry.chainId,
    rpcUrl: registry.rpcUrl,
    registryAddress: registry.address,
    verifierAddress: verifier,
    registry,
    node,
    admin: async () => registry.withAccount((await admin()).account),
    issuer: async (signer, name) => {
      const address = signer.account.address;
      const own = registry.withAccount(signer.account);
      if (!node || (await registry.issuerInfo(address)).active) {
        return { registry: own, registered: false };
      }
      await node.fund(address);
      await registry.withAccount((await admin()).account).registerIssuer(address, name);
      return { registry: own, registered: true };
    },
    verifyOnChain: async (proof, publicSignals) => {
      if (!verifier) {
        throw new ChainError(
          ErrorCode.CHAIN_CONFIG,
          "no verifier contract is configured (CROSSPROOF_VERIFIER_ADDRESS)",
        );
      }
      return verifyOnChain(registry.client, verifier, proof, publicSignals, registry.rpcUrl);
    },
    close: async () => {
      await node?.stop();
    },
  };
}

async function openLocal(
  config: ChainConfig & { mode: "local" },
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  port: number | undefined,
): Promise<ChainConnection> {
  const paths = localChainPaths(config.dataDir);
  const node = await LocalNode.start({
    dataDir: config.dataDir,
    ...(port === undefined ? {} : { port }),
  });
  try {
    log(`chain: local node at ${node.rpcUrl} (state in ${paths.dir})`);
    const adminSigner = await loadOrCreateKeyFile(paths.adminKey);
    const issuer =
      (await signerFromEnv("CROSSPROOF_ISSUER_KEY", env)) ??
      (await loadOrCreateKeyFile(paths.issuerKey));
    const persist = () => node.persist();
    let deployment = await readDeployment(paths.deployment);
    const readOnly = (address: Address) =>
      new EvmRootRegistry({
        rpcUrl: node.rpcUrl,
        chainId: node.chainId,
        address,
        afterWrite: persist,
      });
    if (deployment === undefined) {
      await node.fund(adminSigner.account.address);
      deployment = await deployContracts({
        rpcUrl: node.rpcUrl,
        chainId: node.chainId,
        admin: adminSigner.account,
        afterWrite: persist,
      });
      // The state holding the contracts is on disk before the record that points at them.
      await node.persist();
      await writeDeployment(paths.deployment, deployment);
      log(
        `chain: deployed CommitmentRegistry at ${deployment.registry}, QueryVerifier at ${deployment.verifier}, ReceiptLog at ${deployment.receiptLog}`,
      );
    } else {
      if (deployment.receiptLog === undefined) {
        // A local chain made before the receipt log: its contract is added, and recorded.
        await node.fund(adminSigner.account.address);
        const receiptLog = await deployReceiptLog({
          rpcUrl: node.rpcUrl,
          chainId: node.chainId,
          admin: adminSigner.account,
          afterWrite: persist,
        });
        await node.persist();
        deployment = { ...deployment, receiptLog };
        await writeDeployment(paths.deployment, deployment);
        log(`chain: deployed ReceiptLog at ${receiptLog}`);
      }
      try {
        await checkDeployment(readOnly(deployment.registry).client, deployment, node.rpcUrl);
      } catch (err) {
        if (err instanceof CrossproofError && err.code === ErrorCode.CHAIN_CONFIG) {
          throw new ChainError(
            ErrorCode.CHAIN_NODE,
            `the local chain state does not match ${paths.deployment} (${err.message}); delete ${paths.dir} to start a new local chain`,
            { cause: err },
          );
        }
        throw err;
      }
      log(
        `chain: CommitmentRegistry at ${deployment.registry}, QueryVerifier at ${deployment.verifier}`,
      );
    }
    const registry = new EvmRootRegistry({
      rpcUrl: node.rpcUrl,
      chainId: node.chainId,
      address: deployment.registry,
      account: issuer.account,
      afterWrite: persist,
    });
    // The local issuer is registered on first start, and again whenever it is a new one (an
    // issuer key set in the environment after the local chain was made).
    if (!(await registry.issuerInfo(issuer.account.address)).active) {
      await node.fund(issuer.account.address);
      await registry
        .withAccount(adminSigner.account)
        .registerIssuer(issuer.account.address, LOCAL_ISSUER_NAME);
      log(`chain: registered the local issuer ${issuer.account.address}`);
    }
    // The shipped circuit releases are registered on first start, and whenever a new one is
    // installed, so that the local verifier accepts proofs made with them.
    for (const release of await registerShippedReleases(
      registry.withAccount(adminSigner.account),
    )) {
      log(`chain: registered circuit release ${release.name} ${release.version} (${release.kind})`);
    }
    const anchorKey = await signerFromEnv("CROSSPROOF_ANCHOR_KEY", env);
    if (anchorKey) await node.fund(anchorKey.account.address);
    return connection(
      config,
      registry,
      deployment.verifier,
      deployment.receiptLog,
      async () => adminSigner,
      async () => anchorKey ?? adminSigner,
      node,
    );
  } catch (err) {
    await node.stop();
    throw err;
  }
}

async function openRemote(
  config: ChainConfig & { mode: "remote" },
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<ChainConnection> {
  if (!config.registry) {
    throw new ChainError(
      ErrorCode.CHAIN_CONFIG,
      "CROSSPROOF_REGISTRY_ADDRESS is required with CROSSPROOF_RPC_URL (deploy with `crossproof chain deploy`)",
      { details: { variable: "CROSSPROOF_REGISTRY_ADDRESS" } },
    );
  }
  const issuer = await signerFromEnv("CROSSPROOF_ISSUER_KEY", env);
  const registry = new EvmRootRegistry({
    rpcUrl: config.rpcUrl,
    chainId: config.chainId,
    address: config.registry,
    timestampUnit: config.timestampUnit,
    transactionType: config.transactionType,
    ...(issuer ? { account: issuer.account } : {}),
  });
  await checkDeployment(
    registry.client,
    {
      chainId: config.chainId,
      registry: config.registry,
      verifier: config.verifier,
      receiptLog: config.receiptLog,
    },
    config.rpcUrl,
  );
  log(
    `chain: ${redactUrl(config.rpcUrl)} (chain ${config.chainId}), CommitmentRegistry at ${config.registry}`,
  );
  const admin = async (): Promise<Signer> => {
    const signer = await signerFromEnv("CROSSPROOF_ADMIN_KEY", env);
    if (!signer) {
      throw new ChainError(
        ErrorCode.CHAIN_CONFIG,
        "set CROSSPROOF_ADMIN_KEY or CROSSPROOF_ADMIN_KEY_FILE for admin operations",
      );
    }
    return signer;
  };
  const anchorer = async (): Promise<Signer | undefined> =>
    (await signerFromEnv("CROSSPROOF_ANCHOR_KEY", env)) ??
    (await signerFromEnv("CROSSPROOF_ADMIN_KEY", env));
  return connection(
    config,
    registry,
    config.verifier,
    config.receiptLog,
    admin,
    anchorer,
    undefined,
  );
}

/** Opens the configured chain (see `chain/config.ts`): the local node unless `CROSSPROOF_RPC_URL` is set. */
export async function openChain(options: OpenChainOptions = {}): Promise<ChainConnection> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const config = chainConfigFromEnv(env);
  return config.mode === "local"
    ? openLocal(config, env, log, options.port)
    : openRemote(config, env, log);
}
