import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  ABI_MODULE,
  abiModuleSource,
  artifactFileSource,
  compileContracts,
  EVM_VERSION,
} from "../../chain/build-contracts.js";
import { contractArtifactPath } from "../../infra/paths.js";

describe("the committed contract artifacts", () => {
  const compiled = compileContracts();

  it("are what solc makes of the sources today (run `crossproof chain build` after a change)", async () => {
    expect(compiled.map((c) => c.contractName)).toEqual([
      "CommitmentRegistry",
      "QueryVerifier",
      "ReceiptLog",
    ]);
    for (const artifact of compiled) {
      const committed = await readFile(contractArtifactPath(artifact.contractName), "utf8");
      expect(committed, artifact.contractName).toBe(artifactFileSource(artifact));
    }
    expect(await readFile(ABI_MODULE, "utf8")).toBe(abiModuleSource(compiled));
  });

  it("record the compiler, the EVM version and a hash of every source", () => {
    const registry = compiled[0];
    expect(registry?.compiler.version).toMatch(/^0\.8\.37\+commit\./);
    expect(registry?.compiler.settings).toMatchObject({ evmVersion: EVM_VERSION });
    expect(Object.keys(registry?.sources ?? {})).toEqual([
      "@openzeppelin/contracts/access/Ownable.sol",
      "@openzeppelin/contracts/access/Ownable2Step.sol",
      "@openzeppelin/contracts/utils/Context.sol",
      "chain/contracts/CommitmentRegistry.sol",
    ]);
    expect(Object.keys(compiled[1]?.sources ?? {})).toEqual(["artifacts/query/Verifier.sol"]);
  });

  it("contain no PUSH0, so they run on chains before Shanghai (FISCO BCOS, older Besu)", () => {
    // Walk the opcodes, skipping PUSH data, and look for 0x5f.
    for (const artifact of compiled) {
      const code = Buffer.from(artifact.deployedBytecode.slice(2), "hex");
      for (let pc = 0; pc < code.length; pc++) {
        const op = code[pc] ?? 0;
        if (op === 0xfe) break; // INVALID marks the start of the metadata section
        expect(op, `${artifact.contractName} at ${pc}`).not.toBe(0x5f);
        if (op >= 0x60 && op <= 0x7f) pc += op - 0x5f;
      }
    }
  });
});
