import { beforeAll, describe, expect, it } from "vitest";
import { computeLeaf } from "../../core/commitment.js";
import { getSchema } from "../../core/schema.js";
import { CircuitHarness } from "../helpers/circuit.js";
import { commit } from "../helpers/fixtures.js";

let h: CircuitHarness;
beforeAll(async () => {
  h = await CircuitHarness.load("commitment");
});

const good = commit();
const input = (overrides: Record<string, string | string[]> = {}) => ({
  leaf: computeLeaf(good.schema.schemaId, good.slots, good.salt).toString(),
  schemaId: good.schema.schemaId.toString(),
  challenge: "99",
  slots: good.slots.map(String),
  salt: good.salt.toString(),
  ...overrides,
});

describe("commitment circuit", () => {
  it("opens a leaf computed by TypeScript", async () => {
    const w = await h.witness(input());
    expect(await h.satisfies(w)).toBe(true);
    expect(h.read(w, "main.challengeSquare")).toBe(99n * 99n);
  });

  it.each([
    ["another salt", { salt: (good.salt + 1n).toString() }],
    ["another schema", { schemaId: getSchema("corporate-credit-v1").schemaId.toString() }],
    ["another record", { slots: good.slots.map((v, i) => String(i === 2 ? v + 1n : v)) }],
  ])(
    "refuses %s, and the unchecked witness violates the leaf constraint",
    async (_what, overrides) => {
      await expect(h.witness(input(overrides))).rejects.toThrow(/Assert Failed/);
      const unchecked = await h.uncheckedWitness(input(overrides));
      expect(h.violated(unchecked)).toHaveLength(1);
      expect(await h.satisfies(unchecked)).toBe(false);
    },
  );

  it("a forged challenge square fails", async () => {
    const w = await h.witness(input());
    expect(await h.satisfies(h.forge(w, { "main.challengeSquare": 1n }))).toBe(false);
  });

  it("has the pinned number of constraints", async () => {
    const snarkjs = await import("snarkjs");
    // Poseidon16 (609) + Poseidon3 (261) + the challenge square (1), circom 2.2.3 --O2.
    expect((await snarkjs.r1cs.info(h.paths.r1cs)).nConstraints).toBe(871);
  });
});
