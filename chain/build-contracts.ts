/**
 * Compiles crossproof's contracts with solc-js and writes their committed artifacts:
 * `artifacts/contracts/<Name>.json` (ABI, bytecode, compiler settings, source hashes) and
 * `chain/abi.ts` (the same ABIs as typed constants, so viem infers every call's types).
 *
 * The contracts are the registry (`chain/contracts/CommitmentRegistry.sol`), the receipt log's
 * anchors (`chain/contracts/ReceiptLog.sol`) and the Groth16
 * verifier that snarkjs exported for the `query` circuit (`artifacts/query/Verifier.sol`).
 * solc-js is deterministic for a given version, settings and sources, so a test recompiles and
 * compares with what is committed.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import solc from "solc";
import { ArtifactError, ErrorCode } from "../core/errors.js";
import { writeFileAtomic } from "../infra/files.js";
import {
  CONTRACTS_DIR,
  circuitArtifactPaths,
  contractArtifactPath,
  PROJECT_ROOT,
  packageRoot,
} from "../infra/paths.js";

/**
 * The EVM version compiled for. Paris is the last before PUSH0 (Shanghai): consortium chains
 * (FISCO BCOS, older Besu networks) do not all run Shanghai, and Paris code runs everywhere.
 */
export const EVM_VERSION = "paris";

/** One contract to compile: its artifact name, source file and contract name in that file. */
interface ContractSource {
  readonly name: string;
  readonly file: string;
  readonly contract: string;
}

/** The contracts crossproof deploys, by artifact name. */
export const CONTRACT_SOURCES: readonly ContractSource[] = [
  {
    name: "CommitmentRegistry",
    file: join(CONTRACTS_DIR, "CommitmentRegistry.sol"),
    contract: "CommitmentRegistry",
  },
  {
    name: "QueryVerifier",
    file: circuitArtifactPaths("query").solidityVerifier,
    contract: "Groth16Verifier",
  },
  {
    name: "ReceiptLog",
    file: join(CONTRACTS_DIR, "ReceiptLog.sol"),
    contract: "ReceiptLog",
  },
];

/** The typed-ABI module written beside the sources. */
export const ABI_MODULE = join(PROJECT_ROOT, "chain", "abi.ts");

/** A compiled contract as committed under `artifacts/contracts/`. */
export interface ContractArtifact {
  readonly contractName: string;
  readonly sourceName: string;
  readonly abi: readonly Record<string, unknown>[];
  /** Creation bytecode, 0x-prefixed. */
  readonly bytecode: `0x${string}`;
  /** Runtime bytecode, 0x-prefixed (what `eth_getCode` returns once deployed). */
  readonly deployedBytecode: `0x${string}`;
  readonly compiler: {
    readonly name: "solc";
    readonly version: string;
    readonly settings: Record<string, unknown>;
  };
  /** sha256 of every source that went into the contract, by source unit name. */
  readonly sources: Readonly<Record<string, string>>;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  sources?: Record<string, unknown>;
  contracts?: Record<
    string,
    Record<
      string,
      {
        abi: Record<string, unknown>[];
        evm: { bytecode: { object: string }; deployedBytecode: { object: string } };
      }
    >
  >;
}

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: EVM_VERSION,
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
} as const;

/** Source unit names are paths relative to the project (or `@scope/pkg/...` for imports). */
function unitName(file: string): string {
  return relative(PROJECT_ROOT, file).split("\\").join("/");
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Resolves `import "@openzeppelin/contracts/..."` from the installed package. */
function readImport(path: string): { contents: string } | { error: string } {
  const match = /^(@[^/]+\/[^/]+)\/(.+)$/.exec(path);
  if (!match?.[1] || !match[2]) return { error: `cannot resolve import ${path}` };
  try {
    return { contents: readFileSync(join(packageRoot(match[1]), match[2]), "utf8") };
  } catch (err) {
    return { error: `cannot read import ${path}: ${(err as Error).message}` };
  }
}

/** Compiles one contract on its own, so that its recorded sources are exactly what it uses. */
function compileContract(c: ContractSource): ContractArtifact {
  const sourceName = unitName(c.file);
  const read = new Map<string, string>([[sourceName, readFileSync(c.file, "utf8")]]);
  const input = {
    language: "Solidity",
    sources: { [sourceName]: { content: read.get(sourceName) } },
    settings: SETTINGS,
  };
  const findImport = (path: string): { contents: string } | { error: string } => {
    const found = readImport(path);
    if ("contents" in found) read.set(path, found.contents);
    return found;
  };
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), { import: findImport }),
  ) as SolcOutput;
  // Warnings count as errors: the committed contracts compile cleanly.
  const problems = (output.errors ?? []).filter((e) => e.severity !== "info");
  if (problems.length > 0) {
    throw new ArtifactError(ErrorCode.COMPILE_FAILED, `solc refused ${c.name}`, {
      details: { messages: problems.map((e) => e.formattedMessage) },
    });
  }
  const compiled = output.contracts?.[sourceName]?.[c.contract];
  if (!compiled) {
    throw new ArtifactError(ErrorCode.COMPILE_FAILED, `solc produced no ${c.contract}`);
  }
  const sources: Record<string, string> = {};
  for (const name of [...read.keys()].sort()) sources[name] = sha256(read.get(name) ?? "");
  return {
    contractName: c.name,
    sourceName,
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    compiler: { name: "solc", version: String(solc.version()), settings: SETTINGS },
    sources,
  };
}

/** Compiles every contract in `CONTRACT_SOURCES`; throws `COMPILE_FAILED` on any error. */
export function compileContracts(): ContractArtifact[] {
  return CONTRACT_SOURCES.map(compileContract);
}

/** The text of `chain/abi.ts` for the given artifacts. */
export function abiModuleSource(artifacts: readonly ContractArtifact[]): string {
  const lines = [
    "// Generated by `crossproof chain build` from the compiled contracts: do not edit.",
    "// The same ABIs as artifacts/contracts/*.json, typed so that viem infers each call.",
    "",
  ];
  for (const a of artifacts) {
    const constName = `${a.contractName[0]?.toLowerCase()}${a.contractName.slice(1)}Abi`;
    lines.push(`/** ABI of ${a.contractName} (${a.sourceName}). */`);
    lines.push(`export const ${constName} = ${JSON.stringify(a.abi, null, 2)} as const;`, "");
  }
  return lines.join("\n");
}

/** The text of one committed artifact file. */
export function artifactFileSource(artifact: ContractArtifact): string {
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

/** Compiles the contracts and writes `artifacts/contracts/*.json` and `chain/abi.ts`. */
export async function buildContracts(): Promise<ContractArtifact[]> {
  const artifacts = compileContracts();
  for (const a of artifacts) {
    await writeFileAtomic(contractArtifactPath(a.contractName), artifactFileSource(a));
  }
  await writeFileAtomic(ABI_MODULE, abiModuleSource(artifacts));
  return artifacts;
}
