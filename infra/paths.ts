/**
 * Every file location crossproof reads or writes comes from this module, so that the layout is
 * defined in one place (after circomkit's `pathing.ts`).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/**
 * The package root: the folder holding `package.json`, `artifacts/` and `circuits/`. This module
 * is `infra/paths.ts` in a checkout and `dist/infra/paths.js` once built: the nearest folder
 * upwards with a `package.json`.
 */
export const PROJECT_ROOT = ownRoot(dirname(fileURLToPath(import.meta.url)));

function ownRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return resolve(from, "..");
  }
}

/** Folder of the circom sources and `circuits.json`. */
export const CIRCUITS_DIR = join(PROJECT_ROOT, "circuits");

/** Folder of the record schemas. */
export const SCHEMAS_DIR = join(PROJECT_ROOT, "schemas");

/** Folder of the committed circuit release (wasm, zkey, verification key, manifest). */
export const ARTIFACTS_DIR = join(PROJECT_ROOT, "artifacts");

/** The web console's built assets (`npm run build` writes them; the verifier serves them at /console). */
export const CONSOLE_DIR = join(PROJECT_ROOT, "dist", "console");

/** Scratch build folder (compiled r1cs, generated main wrappers); never committed. */
export const BUILD_DIR = join(PROJECT_ROOT, "build");

/**
 * Cache for large, slow-to-make files kept outside git (the prepared Powers of Tau).
 * `CROSSPROOF_CACHE` overrides the default `~/.cache/crossproof`.
 */
export function cacheDir(): string {
  return process.env.CROSSPROOF_CACHE ?? join(homedir(), ".cache", "crossproof");
}

/** The files of one circuit's release under `artifacts/<circuit>/`. */
export interface CircuitArtifactPaths {
  readonly dir: string;
  readonly wasm: string;
  readonly zkey: string;
  readonly verificationKey: string;
  readonly solidityVerifier: string;
  readonly manifest: string;
  /** The ceremony transcript of a production release (absent from development ones). */
  readonly transcript: string;
}

/** Paths of a circuit's release files, under `root` (default: the committed `artifacts/`). */
export function circuitArtifactPaths(circuit: string, root = ARTIFACTS_DIR): CircuitArtifactPaths {
  const dir = join(root, circuit);
  return {
    dir,
    wasm: join(dir, `${circuit}.wasm`),
    zkey: join(dir, `${circuit}.zkey`),
    verificationKey: join(dir, "verification_key.json"),
    solidityVerifier: join(dir, "Verifier.sol"),
    manifest: join(dir, "manifest.json"),
    transcript: join(dir, "transcript.json"),
  };
}

/** The compiler's outputs for one circuit under `outDir`. */
export interface CompiledCircuitPaths {
  readonly dir: string;
  readonly main: string;
  readonly r1cs: string;
  readonly sym: string;
  readonly wasm: string;
}

/** Paths of the compiler's outputs for `circuit` (default under `build/circuits/`). */
export function compiledCircuitPaths(
  circuit: string,
  outDir = join(BUILD_DIR, "circuits"),
): CompiledCircuitPaths {
  const dir = join(outDir, circuit);
  return {
    dir,
    main: join(dir, `${circuit}.circom`),
    r1cs: join(dir, `${circuit}.r1cs`),
    sym: join(dir, `${circuit}.sym`),
    wasm: join(dir, `${circuit}_js`, `${circuit}.wasm`),
  };
}

/** The prepared (phase 2 ready) development Powers of Tau of the given power, in the cache. */
export function devPtauPath(power: number): string {
  return join(cacheDir(), "ptau", `crossproof-dev-${power}.ptau`);
}

/**
 * The folder of an installed npm package: from its `package.json` where the package exports it,
 * else found upwards from its main entry point (snarkjs does not export its `package.json`).
 */
export function packageRoot(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // not exported: walk up from the main entry point below
  }
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === name) return dir;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = parent;
  }
}

/** Folder of the Solidity sources of the on-chain contracts. */
export const CONTRACTS_DIR = join(PROJECT_ROOT, "chain", "contracts");

/** Folder of the compiled contracts (ABI, bytecode, compiler settings), committed. */
export const CONTRACT_ARTIFACTS_DIR = join(ARTIFACTS_DIR, "contracts");

/** The compiled form of one contract, `artifacts/contracts/<name>.json`. */
export function contractArtifactPath(name: string, root = CONTRACT_ARTIFACTS_DIR): string {
  return join(root, `${name}.json`);
}

/**
 * The data folder: the local chain node's state, keys and deployment record (and later the
 * vault and the verifier's store). `CROSSPROOF_DATA_DIR` overrides the default: `data/` in the
 * crossproof folder (not the working directory, so every command finds the same chain).
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.CROSSPROOF_DATA_DIR || join(PROJECT_ROOT, "data"));
}

/** The files of the local chain node under a data folder. */
export interface LocalChainPaths {
  readonly dir: string;
  /** anvil's state (accounts, contracts, blocks), loaded at start and dumped while it runs. */
  readonly state: string;
  /** Chain id and contract addresses, written once the contracts are deployed. */
  readonly deployment: string;
  /** The local admin's and issuer's signing keys (mode 0600). */
  readonly adminKey: string;
  readonly issuerKey: string;
  /** The local Hong Kong bureau's signing key (mode 0600): the second issuer of `crossproof start`. */
  readonly hkIssuerKey: string;
  /** The node's own output, for diagnosing a failed start. */
  readonly log: string;
}

/** Where the local chain node keeps its files under `root` (default: the data folder). */
export function localChainPaths(root = dataDir()): LocalChainPaths {
  const dir = join(root, "chain");
  return {
    dir,
    state: join(dir, "anvil-state.json"),
    deployment: join(dir, "deployment.json"),
    adminKey: join(dir, "keys", "admin.key"),
    issuerKey: join(dir, "keys", "issuer.key"),
    hkIssuerKey: join(dir, "keys", "issuer-hk.key"),
    log: join(dir, "anvil.log"),
  };
}

/**
 * The operator's own record schemas in a data folder (`crossproof schemas add`), one
 * `<id>.json` each; every command and service registers them at start.
 */
export function customSchemasDir(root = dataDir()): string {
  return join(root, "schemas");
}

/** The holder's record vault (SQLite) in a data folder. */
export function vaultPath(root = dataDir()): string {
  return join(root, "vault.sqlite");
}

/**
 * The vault of a further bureau of the local deployment (`vault-<bureau>.sqlite`, e.g. the Hong
 * Kong bureau's `vault-hk.sqlite`); the first bureau's is {@link vaultPath}.
 */
export function bureauVaultPath(root: string, bureau: string): string {
  return join(root, `vault-${bureau}.sqlite`);
}

/** The verifier service's files in a data folder. */
export interface VerifierPaths {
  readonly dir: string;
  /** Policies, challenges, API key hashes and the receipt log (SQLite). */
  readonly database: string;
  /** The admin API key, made on first start unless one is configured (mode 0600). */
  readonly adminKey: string;
  /** The demo client's API key, made by `crossproof start` (mode 0600). */
  readonly clientKey: string;
  /** A local auditor's API key (role auditor), made by `crossproof start` (mode 0600). */
  readonly auditorKey: string;
}

/** Where the verifier keeps its files under `root` (default: the data folder). */
export function verifierPaths(root = dataDir()): VerifierPaths {
  const dir = join(root, "verifier");
  return {
    dir,
    database: join(dir, "verifier.sqlite"),
    adminKey: join(dir, "admin-api.key"),
    clientKey: join(dir, "client-api.key"),
    auditorKey: join(dir, "auditor-api.key"),
  };
}
