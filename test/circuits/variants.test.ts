/**
 * The benchmark variants of circuits/circuits.json (no compile): every cell of the circuit matrix
 * (bench/matrix.ts) is declared as a `Query` instance with the release's public inputs, and its
 * ptau power fits the constraint count estimated from BENCHMARKS.md: the smallest power that
 * holds it, but not below the release's 14 (the development ptau every machine has cached).
 */
import { describe, expect, it } from "vitest";
import { MATRIX_DEPTHS, MATRIX_KS, matrixInstances } from "../../bench/matrix.js";
import { getCircuitInstance, loadCircuitInstances } from "../../circuits/instances.js";

/** Partial rounds of circomlib's Poseidon by number of inputs (t − 1). */
const PARTIAL_ROUNDS = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

/** circomlib Poseidon(n): 3 constraints per S-box, t S-boxes in 8 full rounds, 1 per partial. */
function poseidonConstraints(n: number): number {
  return 3 * (8 * (n + 1) + (PARTIAL_ROUNDS[n - 1] as number));
}

/** hashing.circom PoseidonChain(n): Poseidon(16) first, then Poseidon(1 + m ≤ 16) links. */
function chainConstraints(n: number): number {
  if (n <= 16) return poseidonConstraints(n);
  let total = poseidonConstraints(16);
  for (let offset = 16; offset < n; offset += 15) {
    total += poseidonConstraints(1 + Math.min(15, n - offset));
  }
  return total;
}

/** BENCHMARKS.md: constraints ≈ 872 + 246·depth + 528·K + hash(2K). */
function estimatedConstraints(depth: number, k: number): number {
  return 872 + 246 * depth + 528 * k + chainConstraints(2 * k);
}

describe("benchmark variants in circuits.json", () => {
  it("agrees with the measured constraint counts of BENCHMARKS.md", () => {
    expect(estimatedConstraints(20, 1)).toBe(6563);
    expect(estimatedConstraints(20, 2)).toBe(7148);
    expect(estimatedConstraints(10, 1)).toBe(4103);
    expect(Math.abs(estimatedConstraints(20, 8) - 10628)).toBeLessThan(10);
  });

  it("declares the 12 query cells and commitment, in table order", () => {
    const matrix = matrixInstances();
    expect(matrix.map((c) => c.name)).toEqual([
      ...MATRIX_DEPTHS.flatMap((d) =>
        MATRIX_KS.map((k) => (d === 20 && k === 8 ? "query" : `query_d${d}_k${k}`)),
      ),
      "commitment",
    ]);
    const query = getCircuitInstance("query");
    for (const c of matrix.filter((i) => i.name.startsWith("query_"))) {
      const [, d, k] = /^query_d(\d+)_k(\d+)$/.exec(c.name) ?? [];
      expect(c).toMatchObject({
        file: "query",
        template: "Query",
        params: [Number(d), Number(k)],
        publicInputs: query.publicInputs,
        release: false,
      });
    }
  });

  it("gives each variant the smallest ptau power from 14 up that holds it", () => {
    const variants = loadCircuitInstances().filter((c) => c.template === "Query");
    expect(variants).toHaveLength(12);
    for (const c of variants) {
      const [depth, k] = c.params as [number, number];
      // 2^power ≥ constraints + public signals (4 inputs, K outputs) + 1
      const needed = estimatedConstraints(depth, k) + 4 + k + 1;
      const smallest = Math.max(14, Math.ceil(Math.log2(needed)));
      expect(c.ptauPower, c.name).toBe(smallest);
    }
  });
});
