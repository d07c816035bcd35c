/**
 * The two pieces of `verifier/bn254.ts` that reach past mcl-wasm's JavaScript API: the fast G2
 * subgroup check (against mcl's own `isValidOrder`, which multiplies by r) and the multi-Miller
 * loop (against a product of mcl's single Miller loops).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initBn254, isInG2Subgroup, mcl, millerLoopVec } from "../../verifier/bn254.js";
import { randomG1, randomG2, randomTwistPointOutsideG2 } from "../helpers/groth16.js";

beforeAll(async () => {
  await initBn254();
});

describe("the G2 subgroup check", () => {
  it("agrees with mcl's [r]Q = O on 100 points of G2 and 100 points of the twist outside it", async () => {
    for (let i = 0; i < 100; i++) {
      const inside = await randomG2();
      expect(inside.isValidOrder()).toBe(true);
      expect(isInG2Subgroup(inside)).toBe(true);
      const outside = await randomTwistPointOutsideG2();
      expect(outside.isValidOrder()).toBe(false);
      expect(isInG2Subgroup(outside)).toBe(false);
      // the same points in Jacobian coordinates with Z ≠ 1 (a sum not normalised)
      expect(isInG2Subgroup(mcl.add(inside, await randomG2()))).toBe(true);
      expect(isInG2Subgroup(mcl.add(outside, inside))).toBe(false);
    }
  });
});

describe("millerLoopVec", () => {
  it("equals the product of single Miller loops, for 1 to 40 pairs", async () => {
    for (const n of [1, 2, 7, 40]) {
      const xs = await Promise.all(Array.from({ length: n }, () => randomG1()));
      const ys = await Promise.all(Array.from({ length: n }, () => randomG2()));
      const product = xs
        .map((x, i) => mcl.millerLoop(x, ys[i] as mcl.G2))
        .reduce((acc, f) => mcl.mul(acc, f));
      expect(mcl.finalExp(millerLoopVec(xs, ys)).isEqual(mcl.finalExp(product))).toBe(true);
    }
  });

  it("refuses lists of different lengths", async () => {
    expect(() => millerLoopVec([], [])).toThrow(RangeError);
    const x = await randomG1();
    expect(() => millerLoopVec([x], [])).toThrow(RangeError);
  });
});
