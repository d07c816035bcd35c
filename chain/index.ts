/**
 * The chain part of crossproof: the `CommitmentRegistry` client (`RootRegistry`), the root
 * lookup cache, the self-starting local node, deployment, and the on-chain proof check.
 * Other parts import from here.
 */
export { type ChainConfig, chainConfigFromEnv } from "./config.js";
export {
  type ChainConnection,
  LOCAL_ISSUER_NAME,
  type OpenChainOptions,
  openChain,
} from "./connect.js";
export {
  type ContractAddresses,
  checkDeployment,
  type Deployment,
  deployContracts,
  readDeployment,
} from "./deployment.js";
export { readKeyFile, type Signer, signerFromEnv } from "./keys.js";
export { LOCAL_CHAIN_ID, LocalNode, type LocalNodeOptions } from "./local-node.js";
export { solidityProof, verifyOnChain } from "./onchain-verifier.js";
export {
  type AnchorReceipt,
  type ChainPosition,
  EvmRootRegistry,
  type IssuerInfo,
  type RegistryEvent,
  type RootRegistry,
  type RootStatus,
  redactUrl,
  type TimestampUnit,
  type TransactionType,
  type WatchHandlers,
  type WatchOptions,
} from "./registry.js";
export { RootCache, type RootCacheOptions, type RootCacheStats } from "./root-cache.js";
