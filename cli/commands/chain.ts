/**
 * `crossproof chain …`: the local node, the contracts, and the registry's issuers.
 */
import { parseArgs } from "node:util";
import { getAddress, isAddress } from "viem";
import { chainConfigFromEnv } from "../../chain/config.js";
import { type ChainConnection, openChain } from "../../chain/connect.js";
import { deployContracts } from "../../chain/deployment.js";
import { signerFromEnv } from "../../chain/keys.js";
import { redactUrl } from "../../chain/registry.js";
import { ChainError, ErrorCode } from "../../core/errors.js";
import { printJson, untilStopSignal, usageError } from "../output.js";

function address(text: string | undefined): `0x${string}` {
  if (!text || !isAddress(text, { strict: false }))
    usageError(`not an EVM address: ${text ?? "(none)"}`);
  return getAddress(text);
}

/** Runs `work` with an open chain, closing it (and stopping a local node) afterwards. */
async function withChain<T>(
  work: (chain: ChainConnection) => Promise<T>,
  log: (line: string) => void,
): Promise<T> {
  const chain = await openChain({ log });
  try {
    return await work(chain);
  } finally {
    await chain.close();
  }
}

async function status(chain: ChainConnection): Promise<Record<string, unknown>> {
  const issuer = chain.registry.signer;
  return {
    mode: chain.config.mode,
    rpc: chain.config.mode === "local" ? chain.rpcUrl : redactUrl(chain.rpcUrl),
    chainId: chain.chainId,
    blockNumber: await chain.registry.blockNumber(),
    registry: chain.registryAddress,
    verifier: chain.verifierAddress ?? null,
    issuer: issuer ? await chain.registry.issuerInfo(issuer) : null,
  };
}

/** `crossproof chain <sub-command>`. */
export async function runChain(args: string[], json: boolean): Promise<void> {
  const [sub, ...rest] = args;
  const out = (line: string): void => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  const { positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {},
    strict: true,
  });
  switch (sub) {
    case "build": {
      if (positionals.length > 0) usageError("chain build takes no arguments");
      // solc (a large WebAssembly compiler) is loaded only for this command.
      const { buildContracts } = await import("../../chain/build-contracts.js");
      const artifacts = await buildContracts();
      if (json)
        printJson(artifacts.map((a) => ({ name: a.contractName, compiler: a.compiler.version })));
      for (const a of artifacts) {
        out(
          `${a.contractName}: ${(a.deployedBytecode.length - 2) / 2} bytes of runtime code (solc ${a.compiler.version})`,
        );
      }
      return;
    }
    case "status": {
      if (positionals.length > 0) usageError("chain status takes no arguments");
      const result = await withChain(status, out);
      if (json) printJson(result);
      else out(`block ${result.blockNumber}; issuer ${JSON.stringify(result.issuer)}`);
      return;
    }
    case "node": {
      if (positionals.length > 0) usageError("chain node takes no arguments");
      if (chainConfigFromEnv().mode !== "local")
        usageError("chain node runs the local node: unset CROSSPROOF_RPC_URL");
      const stopped = untilStopSignal(); // from the start: a signal during start-up stops cleanly
      const chain = await openChain({ log: out });
      const summary = await status(chain);
      if (json) printJson(summary);
      out(
        `RPC ${chain.rpcUrl} (chain ${chain.chainId}); Ctrl-C stops the node and saves its state`,
      );
      await stopped;
      await chain.close();
      out("chain: stopped, state saved");
      return;
    }
    case "deploy": {
      if (positionals.length > 0) usageError("chain deploy takes no arguments");
      const config = chainConfigFromEnv();
      if (config.mode !== "remote") {
        usageError(
          "chain deploy is for a real chain (set CROSSPROOF_RPC_URL); the local node deploys by itself",
        );
      }
      const admin = await signerFromEnv("CROSSPROOF_ADMIN_KEY");
      if (!admin) {
        throw new ChainError(
          ErrorCode.CHAIN_CONFIG,
          "set CROSSPROOF_ADMIN_KEY or CROSSPROOF_ADMIN_KEY_FILE: the deployer becomes the admin",
        );
      }
      const deployment = await deployContracts({
        rpcUrl: config.rpcUrl,
        chainId: config.chainId,
        admin: admin.account,
        transactionType: config.transactionType,
      });
      if (json) printJson(deployment);
      out(`CROSSPROOF_REGISTRY_ADDRESS=${deployment.registry}`);
      out(`CROSSPROOF_VERIFIER_ADDRESS=${deployment.verifier}`);
      out(
        `# admin ${deployment.admin}; deployed from block ${deployment.deployedAtBlock} of chain ${deployment.chainId}`,
      );
      return;
    }
    case "register-issuer": {
      if (positionals.length !== 2) usageError("chain register-issuer ADDRESS NAME");
      const issuer = address(positionals[0]);
      const name = positionals[1] as string;
      const position = await withChain(
        async (chain) => (await chain.admin()).registerIssuer(issuer, name),
        out,
      );
      if (json) printJson({ issuer, name, ...position });
      out(`registered ${issuer} as "${name}" in block ${position.blockNumber}`);
      return;
    }
    case "remove-issuer": {
      if (positionals.length !== 1) usageError("chain remove-issuer ADDRESS");
      const issuer = address(positionals[0]);
      const position = await withChain(
        async (chain) => (await chain.admin()).removeIssuer(issuer),
        out,
      );
      if (json) printJson({ issuer, ...position });
      out(`removed ${issuer} in block ${position.blockNumber}`);
      return;
    }
    default:
      usageError(
        `unknown chain command "${sub ?? ""}"; one of: node, status, build, deploy, register-issuer, remove-issuer`,
      );
  }
}
