/**
 * The native engine does not leak: resident memory stays bounded over hundreds of `commitment`
 * proofs, witness included (the bound is generous: it catches a leak of the per-proof buffers,
 * not allocator noise). CROSSPROOF_NATIVE_LEAK_PROOFS sets the count (default 200; the issue's
 * 1,000 takes several minutes on this 2-core machine).
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { NativeProver } from "../../../prover/native/engine.js";
import { commitmentInput, nativeStatus, nativeSuite, release } from "./helpers.js";

const PROOFS = Number(process.env.CROSSPROOF_NATIVE_LEAK_PROOFS ?? 200);
const WARM_UP = 40;
const BOUND_MB = 48;

describe.skipIf(!nativeStatus.available)(nativeSuite("native engine memory"), () => {
  it(`keeps resident memory within ${BOUND_MB} MB over ${PROOFS} proofs after a warm-up`, async () => {
    const rel = await release("commitment");
    const [wasm, zkey] = await Promise.all([readFile(rel.paths.wasm), readFile(rel.paths.zkey)]);
    // Tables built before the first proof (not in the background during the measured proofs).
    const prover = await NativeProver.open({ wasm, zkey }, { tables: true, background: false });
    const prove = async (i: number) => {
      const { bundle } = await prover.prove(commitmentInput(BigInt(i + 1)));
      expect(bundle.publicSignals[2]).toBe(String(i + 1));
    };
    for (let i = 0; i < WARM_UP; i++) await prove(i);
    const before = process.memoryUsage().rss;
    let peak = before;
    for (let i = WARM_UP; i < WARM_UP + PROOFS; i++) {
      await prove(i);
      if (i % 20 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const after = process.memoryUsage().rss;
    peak = Math.max(peak, after);
    const growthMb = (peak - before) / 2 ** 20;
    expect(growthMb, `RSS ${before >> 20} MB → peak ${peak >> 20} MB`).toBeLessThan(BOUND_MB);
  }, 900_000);
});
