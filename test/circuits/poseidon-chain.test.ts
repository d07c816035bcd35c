import { beforeAll, describe, expect, it } from "vitest";
import type { CircuitInstance } from "../../circuits/instances.js";
import { poseidonChain } from "../../core/poseidon.js";
import { CircuitHarness } from "../helpers/circuit.js";

/** An ad-hoc instance of the hashing gadget: 33 inputs take three Poseidon calls. */
const CHAIN_33: CircuitInstance = {
  name: "test_poseidon_chain_33",
  file: "hashing",
  template: "PoseidonChain",
  params: [33],
  publicInputs: [],
  ptauPower: 14,
  release: false,
  description: "test only",
};

describe("PoseidonChain circuit against core/poseidon.ts", () => {
  let h: CircuitHarness;
  beforeAll(async () => {
    h = await CircuitHarness.load(CHAIN_33);
  });

  it("hashes 33 elements as poseidonChain does (used by query instances with K > 8)", async () => {
    const inputs = Array.from({ length: 33 }, (_, i) => BigInt(i) * 1_000_003n + 5n);
    const w = await h.witness({ in: inputs.map(String) });
    expect(h.read(w, "main.out")).toBe(poseidonChain(inputs));
    expect(await h.satisfies(w)).toBe(true);
  });
});
