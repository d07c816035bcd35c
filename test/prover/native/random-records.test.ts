/**
 * Hundreds of native `query` proofs about random records, every operator among their predicates,
 * each one verified: all of them by the project's batch verifier and by `snarkjs.groth16.verify`.
 * Records take values from the edges (0, 1, 2^64 − 1, …) as often as from the middle, trees
 * differ in size and position, and each proof has 1 to K predicates that hold (drawn at random,
 * kept when `evaluatePredicate` says they hold), so that the witnesses differ widely. The seed is
 * fixed and printed; CROSSPROOF_NATIVE_RANDOM_PROOFS sets the count (default 200).
 */
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import * as snarkjs from "snarkjs";
import { describe, expect, it } from "vitest";
import type { ProofBundle } from "../../../core/proof.js";
import { evaluatePredicate, Op, type Predicate } from "../../../core/query.js";
import { NativeProver } from "../../../prover/native/engine.js";
import { PreparedKey, verifyBatch } from "../../../verifier/batch-verify.js";
import { edgeRandom } from "../../helpers/edge-random.js";
import { commit, K, queryInput, U64_MAX } from "../../helpers/fixtures.js";
import { nativeStatus, nativeSuite, release } from "./helpers.js";

const SEED = 20261203;
const PROOFS = Number(process.env.CROSSPROOF_NATIVE_RANDOM_PROOFS ?? 200);
/** Every operator a predicate can have (NOOP pads every proof up to K). */
const OPERATORS = Object.values(Op).filter((op) => op !== Op.NOOP);

describe.skipIf(!nativeStatus.available)(nativeSuite("native proofs of random records"), () => {
  it(`${PROOFS} query proofs, every operator, all verified by the batch verifier and snarkjs (seed ${SEED})`, async () => {
    const rel = await release("query");
    const [wasm, zkey] = await Promise.all([readFile(rel.paths.wasm), readFile(rel.paths.zkey)]);
    const prover = await NativeProver.open({ wasm, zkey });
    const key = await PreparedKey.from(rel.verificationKey);
    const { int, u64, nearSlots } = edgeRandom(SEED);
    const clamp = (v: bigint) => (v < 0n ? 0n : v > U64_MAX ? U64_MAX : v);

    /** A predicate with operator `op` on `slots` that holds (a few draws, then a sure one). */
    const holding = (op: Predicate["op"], slots: readonly bigint[]): Predicate => {
      for (let attempt = 0; attempt < 40; attempt++) {
        const i = int(2, 7);
        const ratio = op === Op.RATIO_LTE || op === Op.RATIO_GTE;
        const near = () => clamp((slots[i] as bigint) + BigInt(int(-2, 2)));
        let a = ratio ? BigInt(int(0, 200)) : int(0, 2) === 0 ? u64() : near();
        let b = ratio ? BigInt(int(0, 200)) : int(0, 2) === 0 ? u64() : near();
        if ((op === Op.BETWEEN || op === Op.OUTSIDE) && a > b) [a, b] = [b, a];
        const usesB = op === Op.BETWEEN || op === Op.OUTSIDE || ratio;
        const p: Predicate = {
          op,
          i,
          j: ratio ? int(2, 7) : 0,
          a: op === Op.DISCLOSE ? 0n : a,
          b: usesB ? b : 0n,
        };
        if (evaluatePredicate(p, slots)) return p;
      }
      return { op: Op.DISCLOSE, i: int(0, 15), j: 0, a: 0n, b: 0n };
    };

    const bundles: ProofBundle[] = [];
    const used = new Set<number>();
    const threads = availableParallelism();
    for (let n = 0; n < PROOFS; n++) {
      const { slots } = nearSlots(u64);
      // The first predicate walks through the operators in turn; the others are random.
      const count = int(1, K);
      const predicates = Array.from({ length: count }, (_, m) => {
        const op = (
          m === 0 ? OPERATORS[n % OPERATORS.length] : OPERATORS[int(0, OPERATORS.length - 1)]
        ) as Predicate["op"];
        return holding(op, slots);
      });
      for (const p of predicates) used.add(p.op);
      const size = int(1, 12);
      const c = commit({ slots, size, index: int(0, size - 1) });
      const challenge = (BigInt(int(0, 2 ** 31 - 1)) << 64n) ^ BigInt(int(0, 2 ** 31 - 1));
      bundles.push((await prover.prove(queryInput(c, predicates, challenge), threads)).bundle);
    }
    expect([...used].sort((a, b) => a - b)).toEqual([...OPERATORS].sort((a, b) => a - b));

    const { outcomes } = verifyBatch(key, bundles);
    expect(outcomes.filter((o) => !("valid" in o && o.valid))).toEqual([]);
    expect(outcomes).toHaveLength(PROOFS);
    const refused: number[] = [];
    for (const [i, b] of bundles.entries()) {
      const ok = await snarkjs.groth16.verify(
        rel.verificationKey as never,
        b.publicSignals as never,
        b.proof as never,
      );
      if (!ok) refused.push(i);
    }
    expect(refused).toEqual([]);

    // The verifiers can fail here: two proofs with their public signals swapped are refused.
    const [first, second] = bundles as [ProofBundle, ProofBundle];
    const swapped = [
      { proof: first.proof, publicSignals: second.publicSignals },
      { proof: second.proof, publicSignals: first.publicSignals },
    ];
    expect(verifyBatch(key, swapped).outcomes).toEqual([{ valid: false }, { valid: false }]);
  }, 900_000);
});
