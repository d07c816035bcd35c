/**
 * `crossproof chain …`: the local node, the contracts, the registry's issuers and the circuit
 * releases verifiers accept.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { getAddress, isAddress } from "viem";
import { chainConfigFromEnv } from "../../chain/config.js";
import { type ChainConnection, openChain } from "../../chain/connect.js";
import { deployContracts } from "../../chain/deployment.js";
import { signerFromEnv } from "../../chain/keys.js";
import { type ReleaseStatus, redactUrl } from "../../chain/registry.js";
import {
  CIRCUIT_NAME_PATTERN,
  type KeyHash,
  RELEASE_VERSION_PATTERN,
  type ReleaseKind,
  verificationKeyHash,
} from "../../core/circuit-release.js";
import { ChainError, CrossproofError, ErrorCode } from "../../core/errors.js";
import { loadCircuitRelease, type VerificationKey } from "../../infra/artifacts.js";
import { ARTIFACTS_DIR } from "../../infra/paths.js";
import { checkVerificationKey } from "../../verifier/key-checks.js";
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
    receiptLog: chain.receiptLogAddress ?? null,
    issuer: issuer ? await chain.registry.issuerInfo(issuer) : null,
  };
}

function releaseJson(r: ReleaseStatus): Record<string, unknown> {
  return {
    name: r.name,
    version: r.version,
    kind: r.kind,
    keyHash: r.keyHash,
    registeredAt: r.registeredAt.toISOString(),
    retiredAt: r.retiredAt?.toISOString() ?? null,
    acceptedUntil: r.acceptedUntil?.toISOString() ?? null,
  };
}

/**
 * The key hash and kind of a release to register: one of ours from an artifacts folder (checked
 * against its manifest, then its key checked), or an external circuit's verification key file
 * (its key checked: γ ≠ δ, IC count, points on their curves and in their subgroups).
 */
async function releaseToRegister(
  name: string,
  options: { artifacts?: string | undefined; vkey?: string | undefined },
): Promise<{ keyHash: KeyHash; kind: ReleaseKind }> {
  if (options.vkey !== undefined) {
    let key: VerificationKey;
    try {
      key = JSON.parse(await readFile(options.vkey, "utf8")) as VerificationKey;
    } catch (err) {
      throw new CrossproofError(
        ErrorCode.KEY_INVALID,
        `${options.vkey} is not a readable verification key (JSON)`,
        { details: { file: options.vkey, check: "shape" }, cause: err },
      );
    }
    if (typeof key !== "object" || key === null || !Number.isInteger(key.nPublic)) {
      throw new CrossproofError(ErrorCode.KEY_INVALID, `${options.vkey} has no nPublic`, {
        details: { file: options.vkey, check: "shape" },
      });
    }
    await checkVerificationKey(key, name, key.nPublic);
    return { keyHash: verificationKeyHash(key), kind: "external" };
  }
  const release = await loadCircuitRelease(name, options.artifacts ?? ARTIFACTS_DIR);
  await checkVerificationKey(release.verificationKey, name, release.manifest.nPublic);
  return {
    keyHash: verificationKeyHash(release.verificationKey),
    kind: release.manifest.setup.kind,
  };
}

/** `crossproof chain release register|retire|list`. */
async function runRelease(args: string[], json: boolean, out: (line: string) => void) {
  const [sub, ...rest] = args;
  const { positionals, values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      artifacts: { type: "string" },
      vkey: { type: "string" },
      grace: { type: "string" },
    },
    strict: true,
  });
  const nameAndVersion = (usage: string): [string, string] => {
    const [name, version] = positionals;
    if (positionals.length !== 2 || !name || !version) usageError(usage);
    if (!CIRCUIT_NAME_PATTERN.test(name)) usageError(`not a circuit name: ${name}`);
    if (!RELEASE_VERSION_PATTERN.test(version)) usageError(`not a release version: ${version}`);
    return [name, version];
  };
  switch (sub) {
    case "register": {
      const usage = "chain release register NAME VERSION [--artifacts DIR | --vkey FILE]";
      const [name, version] = nameAndVersion(usage);
      if (values.grace !== undefined) usageError(usage);
      if (values.vkey !== undefined && values.artifacts !== undefined) usageError(usage);
      const { keyHash, kind } = await releaseToRegister(name, values);
      const position = await withChain(
        async (chain) => (await chain.admin()).registerRelease(name, version, keyHash, kind),
        out,
      );
      if (json) printJson({ name, version, kind, keyHash, ...position });
      out(
        `registered ${name} ${version} (${kind}, key ${keyHash}) in block ${position.blockNumber}`,
      );
      return;
    }
    case "retire": {
      const usage = "chain release retire NAME VERSION --grace SECONDS";
      const [name, version] = nameAndVersion(usage);
      const grace = Number(values.grace);
      if (values.grace === undefined || !Number.isSafeInteger(grace) || grace < 0) {
        usageError(`${usage} (a whole number of seconds ≥ 0)`);
      }
      const position = await withChain(
        async (chain) => (await chain.admin()).retireRelease(name, version, grace),
        out,
      );
      if (json) printJson({ name, version, graceSeconds: grace, ...position });
      out(
        `retired ${name} ${version} in block ${position.blockNumber}: accepted for ${grace} s more`,
      );
      return;
    }
    case "list": {
      if (positionals.length > 0) usageError("chain release list takes no arguments");
      const releases = await withChain((chain) => chain.registry.listReleases(), out);
      if (json) printJson(releases.map(releaseJson));
      for (const r of releases) {
        const state =
          r.acceptedUntil === null
            ? "current"
            : `retired, accepted until ${r.acceptedUntil.toISOString()}`;
        out(`${r.name} ${r.version} (${r.kind}) key ${r.keyHash}: ${state}`);
      }
      return;
    }
    default:
      usageError(`unknown chain release command "${sub ?? ""}"; one of: register, retire, list`);
  }
}

/** `crossproof chain <sub-command>`. */
export async function runChain(args: string[], json: boolean): Promise<void> {
  const [sub, ...rest] = args;
  const out = (line: string): void => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  if (sub === "release") return runRelease(rest, json, out);
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
      if (deployment.receiptLog) out(`CROSSPROOF_RECEIPT_LOG_ADDRESS=${deployment.receiptLog}`);
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
        `unknown chain command "${sub ?? ""}"; one of: node, status, build, deploy, register-issuer, remove-issuer, release`,
      );
  }
}
