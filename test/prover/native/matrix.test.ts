/**
 * Every circuit of the benchmark matrix (bench/matrix.ts: `query` at depth 10/20/32 × K 1/4/8/16,
 * and `commitment`) proved by the native engine on the benchmark's own input, each proof verified
 * by `snarkjs.groth16.verify` and by the batch verifier. The releases (`query`, `commitment`) are
 * committed and always proved; a benchmark variant is proved when `npm run bench:circuits` has
 * built it (build/bench/artifacts/, about 15 min for all eleven on this machine) and skipped,
 * saying so, otherwise. (`npm run bench:circuits` itself proves every cell natively too.)
 */
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import * as snarkjs from "snarkjs";
import { describe, expect, it } from "vitest";
import { benchRecords, circuitInput, loadVariant, matrixInstances } from "../../../bench/matrix.js";
import { type CircuitRelease, loadCircuitRelease } from "../../../infra/artifacts.js";
import { NativeProver } from "../../../prover/native/engine.js";
import { PreparedKey, verifyBatch } from "../../../verifier/batch-verify.js";
import { nativeStatus, nativeSuite } from "./helpers.js";

const cells = await Promise.all(
  matrixInstances().map(async (instance) => ({
    instance,
    release: instance.release
      ? await loadCircuitRelease(instance.name)
      : await loadVariant(instance),
  })),
);

describe.skipIf(!nativeStatus.available)(
  nativeSuite("native proofs of the benchmark matrix"),
  () => {
    const records = benchRecords();
    for (const { instance, release } of cells) {
      const title = `${instance.name} (${instance.template}(${instance.params.join(", ")}))`;
      it.skipIf(release === undefined)(
        release ? title : `${title} (skipped: not built; npm run bench:circuits builds it)`,
        async () => {
          const rel = release as CircuitRelease;
          const [wasm, zkey] = await Promise.all([
            readFile(rel.paths.wasm),
            readFile(rel.paths.zkey),
          ]);
          const prover = await NativeProver.open({ wasm, zkey });
          const { bundle } = await prover.prove(circuitInput(rel, records), availableParallelism());
          expect(
            await snarkjs.groth16.verify(
              rel.verificationKey as never,
              bundle.publicSignals as never,
              bundle.proof as never,
            ),
          ).toBe(true);
          const key = await PreparedKey.from(rel.verificationKey);
          expect(verifyBatch(key, [bundle]).outcomes).toEqual([{ valid: true }]);
        },
        120_000,
      );
    }
  },
);
