/**
 * A worker thread terminated while the addon proves (as piscina does when a job passes its time
 * limit, or when the pool closes) ends alone: the process goes on. Every throw of the addon while
 * its thread is being terminated is swallowed instead of aborting the process.
 */
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { NativeProver } from "../../../prover/native/engine.js";
import { commitmentInput, nativeStatus, nativeSuite, release } from "./helpers.js";

describe.skipIf(!nativeStatus.available)(
  nativeSuite("native proofs in a terminated worker"),
  () => {
    it("a worker terminated mid-proof, again and again, never takes the process down", async () => {
      if (!nativeStatus.available) return;
      const rel = await release("commitment");
      const [wasm, zkey] = await Promise.all([readFile(rel.paths.wasm), readFile(rel.paths.zkey)]);
      const witness = await (await NativeProver.open({ wasm, zkey })).witness(commitmentInput(3n));
      for (let round = 0; round < 6; round++) {
        const worker = new Worker(new URL("./workers/prove-forever.js", import.meta.url), {
          workerData: { addonPath: nativeStatus.path, zkey, witness, threads: 1 + (round % 2) },
        });
        const [first] = await once(worker, "message");
        expect(first).toBe("ready");
        // Proofs are under way: terminate at a different moment of one each round.
        await new Promise((resolve) => setTimeout(resolve, 5 + round * 17));
        const exited = once(worker, "exit");
        await worker.terminate();
        const [code] = await exited;
        expect(code).toBe(1);
      }
      // Still here, and the engine still proves in this thread.
      const prover = await NativeProver.open({ wasm, zkey });
      expect(prover.proveWitness(witness).bundle.proof.protocol).toBe("groth16");
    }, 120_000);
  },
);
