import { buildPoseidon } from "circomlibjs";
import { beforeAll, describe, expect, it } from "vitest";
import { FIELD_ORDER } from "../../core/field.js";
import { poseidon, poseidonChain } from "../../core/poseidon.js";

type CircomlibPoseidon = Awaited<ReturnType<typeof buildPoseidon>>;

describe("poseidon (poseidon-lite) against circomlibjs", () => {
  let reference: CircomlibPoseidon;
  beforeAll(async () => {
    reference = await buildPoseidon();
  });

  const hashRef = (inputs: bigint[]): bigint => reference.F.toObject(reference(inputs)) as bigint;

  it("agrees on every arity from 1 to 16, including the field's edges", () => {
    const edges = [0n, 1n, (1n << 64n) - 1n, 1n << 64n, FIELD_ORDER - 1n];
    for (let n = 1; n <= 16; n++) {
      const inputs = Array.from({ length: n }, (_, i) => edges[i % edges.length] as bigint);
      expect(poseidon(inputs)).toBe(hashRef(inputs));
      const other = Array.from({ length: n }, (_, i) => BigInt(i * 7919 + n) ** 5n % FIELD_ORDER);
      expect(poseidon(other)).toBe(hashRef(other));
    }
  });

  it("refuses 0 or more than 16 inputs", () => {
    expect(() => poseidon([])).toThrow(RangeError);
    expect(() => poseidon(new Array(17).fill(1n))).toThrow(RangeError);
  });

  it("chains beyond 16 inputs: the first 16, then the running hash with up to 15 more", () => {
    const inputs = Array.from({ length: 33 }, (_, i) => BigInt(i + 1));
    const first = hashRef(inputs.slice(0, 16));
    const second = hashRef([first, ...inputs.slice(16, 31)]);
    expect(poseidonChain(inputs)).toBe(hashRef([second, ...inputs.slice(31)]));
    expect(poseidonChain(inputs.slice(0, 16))).toBe(hashRef(inputs.slice(0, 16)));
  });
});

describe("the fast leaf hasher used for imports", () => {
  it("computes the same leaves as computeLeaf, and checks its inputs the same way", async () => {
    const { computeLeaf, leafHasher } = await import("../../core/commitment.js");
    const { randomFieldElement } = await import("../../core/field.js");
    // The expected leaves first, with poseidon-lite: once the fast hasher is loaded,
    // computeLeaf uses it too.
    const cases = Array.from({ length: 20 }, (_, n) => {
      const slots = Array.from({ length: 16 }, (_, i) =>
        i === n % 16 ? FIELD_ORDER - 1n : randomFieldElement(),
      );
      const salt = randomFieldElement();
      return { slots, salt, leaf: computeLeaf(123456789n, slots, salt) };
    });
    const fast = await leafHasher();
    for (const { slots, salt, leaf } of cases) {
      expect(fast(123456789n, slots, salt)).toBe(leaf);
      expect(computeLeaf(123456789n, slots, salt)).toBe(leaf);
    }
    expect(() => fast(1n, new Array(15).fill(0n), 1n)).toThrow(RangeError);
    expect(() => fast(1n, new Array(16).fill(0n), FIELD_ORDER)).toThrow(RangeError);
  });
});

describe("poseidon() once the fast hasher is loaded", () => {
  it("gives the same results on every arity", async () => {
    const { loadFastPoseidon } = await import("../../core/poseidon.js");
    const inputsByArity = Array.from({ length: 16 }, (_, n) =>
      Array.from({ length: n + 1 }, (_, i) => BigInt(i * 7919 + n) ** 5n % FIELD_ORDER),
    );
    const lite = inputsByArity.map((inputs) => poseidon(inputs));
    await loadFastPoseidon();
    expect(inputsByArity.map((inputs) => poseidon(inputs))).toEqual(lite);
  });
});
