/**
 * Native proofs verify with the deployed Solidity verifier (the `query` release's Verifier.sol
 * on the local chain), as snarkjs's proofs do.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NativeProver } from "../../../prover/native/engine.js";
import { startTestChain, type TestChain } from "../../helpers/chain.js";
import { nativeStatus, nativeSuite, queryInputs, release } from "./helpers.js";

describe.skipIf(!nativeStatus.available)(nativeSuite("native proofs on chain"), () => {
  let t: TestChain | undefined;
  beforeAll(async () => {
    t = await startTestChain();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("the query verifier contract accepts native proofs of distinct records, and refuses one altered", async () => {
    const chain = t as TestChain;
    const rel = await release("query");
    const [wasm, zkey] = await Promise.all([readFile(rel.paths.wasm), readFile(rel.paths.zkey)]);
    const prover = await NativeProver.open({ wasm, zkey });
    for (const input of queryInputs(rel, 4)) {
      const { bundle } = await prover.prove(input);
      expect(await chain.chain.verifyOnChain(bundle.proof, bundle.publicSignals)).toBe(true);
      const altered = [...bundle.publicSignals];
      altered[3] = (BigInt(altered[3] ?? "0") + 1n).toString();
      expect(await chain.chain.verifyOnChain(bundle.proof, altered)).toBe(false);
    }
  }, 240_000);
});
