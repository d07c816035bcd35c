/**
 * Batched Groth16 verification (`verifier/batch-verify.ts`) against crossproof's single
 * verification (`verifyProof`: the shape and range checks, the point checks, then
 * `snarkjs.groth16.verify`), on genuine `query` proofs, distinct valid proofs made from them by
 * re-randomisation, and many kinds of bad ones, in hundreds of random batches (fast-check, fixed
 * seed).
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { CrossproofError } from "../../core/errors.js";
import { FIELD_ORDER } from "../../core/field.js";
import type { ProofBundle } from "../../core/proof.js";
import type { CircuitRelease } from "../../infra/artifacts.js";
import { verifyProof } from "../../support/verify-proof.js";
import { PreparedKey, verifyBatch } from "../../verifier/batch-verify.js";
import { g1FromJson, g1Json, g2Json, mcl } from "../../verifier/bn254.js";
import {
  genuineQueryProofs,
  randomG1,
  randomG2,
  randomTwistPointOutsideG2,
  rerandomize,
} from "../helpers/groth16.js";

const SEED = 20261122;

/** What single verification says of an item: valid, invalid, or malformed. */
type Reference = "valid" | "invalid" | "malformed";

interface Case {
  readonly name: string;
  readonly item: unknown;
  readonly expected: Reference;
}

let release: CircuitRelease;
let key: PreparedKey;
let genuine: ProofBundle[];
const cases: Case[] = [];

async function reference(item: unknown): Promise<Reference> {
  try {
    return (await verifyProof(release, item)) ? "valid" : "invalid";
  } catch (err) {
    if (err instanceof CrossproofError && err.code === "INVALID_PROOF") return "malformed";
    throw err;
  }
}

function withSignal(bundle: ProofBundle, index: number, value: string): ProofBundle {
  const publicSignals = [...bundle.publicSignals];
  publicSignals[index] = value;
  return { ...bundle, publicSignals };
}

function withProof(bundle: ProofBundle, proof: Partial<ProofBundle["proof"]>): ProofBundle {
  return { ...bundle, proof: { ...bundle.proof, ...proof } };
}

beforeAll(async () => {
  ({ release, bundles: genuine } = await genuineQueryProofs(3));
  key = await PreparedKey.from(release.verificationKey);
  const [p0, p1, p2] = genuine as [ProofBundle, ProofBundle, ProofBundle];
  const add = (name: string, item: unknown) => cases.push({ name, item, expected: "valid" });

  // Valid: the genuine proofs and re-randomised ones (distinct points, same statements).
  for (const [i, g] of genuine.entries()) {
    add(`genuine ${i}`, g);
    for (let j = 0; j < 5; j++) add(`re-randomised ${i}.${j}`, await rerandomize(release, g));
  }
  // Invalid: well-formed, but the pairing check fails.
  const negY = (p: readonly string[]) => {
    const point = g1FromJson(p) as mcl.G1;
    return g1Json(mcl.neg(point));
  };
  const invalid: [string, ProofBundle][] = [
    [
      "a signal changed",
      withSignal(p0, 3, ((BigInt(p0.publicSignals[3] as string) + 1n) % FIELD_ORDER).toString()),
    ],
    ["the challenge changed", withSignal(p1, 10, "12345")],
    ["a disclosed slot set", withSignal(p2, 0, "1")],
    ["another proof's signals", { proof: p0.proof, publicSignals: p1.publicSignals }],
    ["A replaced by a random point", withProof(p0, { pi_a: g1Json(await randomG1()) })],
    ["C replaced by a random point", withProof(p1, { pi_c: g1Json(await randomG1()) })],
    ["B replaced by a random point of G2", withProof(p2, { pi_b: g2Json(await randomG2()) })],
    ["A and C swapped", withProof(p0, { pi_a: p0.proof.pi_c, pi_c: p0.proof.pi_a })],
    ["A negated", withProof(p1, { pi_a: negY(p1.proof.pi_a) })],
    ["C negated", withProof(p2, { pi_c: negY(p2.proof.pi_c) })],
    ["B of another proof", withProof(p0, { pi_b: p1.proof.pi_b })],
    ["re-randomised, then a signal changed", withSignal(await rerandomize(release, p1), 11, "7")],
  ];
  for (const [name, item] of invalid) cases.push({ name, item, expected: "invalid" });

  // Malformed: refused before any pairing work.
  const offCurve = [...p0.proof.pi_a];
  offCurve[1] = (BigInt(offCurve[1] as string) + 1n).toString();
  const malformed: [string, unknown][] = [
    ["a signal = r", withSignal(p0, 2, FIELD_ORDER.toString())],
    ["a signal = r + 5", withSignal(p1, 11, (FIELD_ORDER + 5n).toString())],
    ["a signal = 2²⁵⁶ − 1", withSignal(p2, 4, (2n ** 256n - 1n).toString())],
    ["A off the curve", withProof(p0, { pi_a: offCurve as never })],
    ["B outside G2", withProof(p1, { pi_b: g2Json(await randomTwistPointOutsideG2()) })],
    ["B off the twist", withProof(p2, { pi_b: [p2.proof.pi_b[1], p2.proof.pi_b[0], ["1", "0"]] })],
    [
      "A in projective form (z = 2)",
      withProof(p0, { pi_a: [p0.proof.pi_a[0], p0.proof.pi_a[1], "2"] as never }),
    ],
    ["A at infinity", withProof(p1, { pi_a: ["0", "1", "0"] as never })],
    ["11 signals", { proof: p0.proof, publicSignals: p0.publicSignals.slice(1) }],
    ["13 signals", { proof: p0.proof, publicSignals: [...p0.publicSignals, "1"] }],
    ["a hex signal", withSignal(p1, 1, "0x10")],
    ["no proof", { publicSignals: p0.publicSignals }],
    ["an extra field", { ...p2, extra: 1 }],
    ["not an object", "proof"],
  ];
  for (const [name, item] of malformed) cases.push({ name, item, expected: "malformed" });

  // Every case is what single verification says it is.
  for (const c of cases) {
    expect({ name: c.name, says: await reference(c.item) }).toEqual({
      name: c.name,
      says: c.expected,
    });
  }
}, 240_000);

function summary(outcome: ReturnType<typeof verifyBatch>["outcomes"][number]): Reference {
  if ("malformed" in outcome) return "malformed";
  return outcome.valid ? "valid" : "invalid";
}

describe("batched Groth16 verification", () => {
  it("agrees with single verification on 300 random batches (1–64 items, duplicates allowed)", () => {
    let items = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.nat(cases.length - 1), { minLength: 1, maxLength: 8 }),
          fc.array(fc.nat(cases.length - 1), { minLength: 1, maxLength: 64 }),
          // mostly valid, with a few bad ones at random positions
          fc.array(
            fc.oneof(
              { weight: 9, arbitrary: fc.nat(17) },
              { weight: 1, arbitrary: fc.nat(cases.length - 1) },
            ),
            { minLength: 16, maxLength: 64 },
          ),
        ),
        (indices) => {
          const batch = indices.map((i) => cases[i] as Case);
          items += batch.length;
          const { outcomes } = verifyBatch(
            key,
            batch.map((c) => c.item),
          );
          expect(outcomes.map(summary)).toEqual(batch.map((c) => c.expected));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
    expect(items).toBeGreaterThan(3000);
  }, 600_000);

  it("a batch of valid proofs costs one pairing product: n + 3 Miller loops", () => {
    const valid = cases.filter((c) => c.expected === "valid");
    for (const size of [1, 2, 18]) {
      const { outcomes, stats } = verifyBatch(
        key,
        valid.slice(0, size).map((c) => c.item),
      );
      expect(outcomes).toEqual(Array(size).fill({ valid: true }));
      expect(stats).toEqual({ pairingChecks: 1, millerLoops: size + 3 });
    }
  });

  it("a batch of 64 with one bad proof names it, whatever its position", () => {
    const valid = cases.filter((c) => c.expected === "valid");
    const bad = cases.find((c) => c.name === "a signal changed") as Case;
    for (const position of [0, 17, 63]) {
      const items = Array.from({ length: 64 }, (_, i) =>
        i === position ? bad.item : (valid[i % valid.length] as Case).item,
      );
      const { outcomes, stats } = verifyBatch(key, items);
      expect(outcomes.flatMap((o, i) => ("valid" in o && !o.valid ? [i] : []))).toEqual([position]);
      // bisection: at most two checks per level of a 64-item batch, plus the first
      expect(stats.pairingChecks).toBeLessThanOrEqual(1 + 2 * 6);
    }
  });

  it("refuses a malformed point or a signal ≥ r before any pairing work", () => {
    const malformed = cases.filter((c) => c.expected === "malformed");
    const { outcomes, stats } = verifyBatch(
      key,
      malformed.map((c) => c.item),
    );
    expect(outcomes.every((o) => "malformed" in o)).toBe(true);
    expect(stats).toEqual({ pairingChecks: 0, millerLoops: 0 });
    // Beside valid proofs: they go on alone, the malformed ones never enter the product.
    const valid = cases.filter((c) => c.expected === "valid").slice(0, 4);
    const mixed = verifyBatch(
      key,
      [...valid, ...malformed].map((c) => c.item),
    );
    expect(mixed.stats).toEqual({ pairingChecks: 1, millerLoops: valid.length + 3 });
    expect(mixed.outcomes.slice(0, 4)).toEqual(Array(4).fill({ valid: true }));
  });

  it("names the problem of a malformed item as single verification does", () => {
    const byName = (name: string) => (cases.find((c) => c.name === name) as Case).item;
    const problem = (name: string) => {
      const [outcome] = verifyBatch(key, [byName(name)]).outcomes;
      return outcome && "malformed" in outcome ? outcome.malformed : "(not malformed)";
    };
    expect(problem("B outside G2")).toBe("pi_b is not in the G2 subgroup");
    expect(problem("A off the curve")).toBe("pi_a is not on the curve");
    expect(problem("a signal = r")).toMatch(/publicSignals\.2.*below the field order r/);
    expect(problem("A in projective form (z = 2)")).toMatch(/pi_a\.2.*affine/);
  });

  it("needs independent weights: two bad proofs that cancel pass with equal weights only", async () => {
    // C₁ + P and C₂ − P: each proof is bad, their sum with equal weights is the valid sum.
    const [p0, p1] = genuine as [ProofBundle, ProofBundle];
    const shift = await randomG1();
    const bad0 = withProof(p0, {
      pi_c: g1Json(mcl.add(g1FromJson(p0.proof.pi_c) as mcl.G1, shift)),
    });
    const bad1 = withProof(p1, {
      pi_c: g1Json(mcl.sub(g1FromJson(p1.proof.pi_c) as mcl.G1, shift)),
    });
    const sameWeight = (bytes: Uint8Array) => bytes.fill(7);
    expect(verifyBatch(key, [bad0, bad1], { randomBytes: sameWeight }).stats.pairingChecks).toBe(1); // the forged pair passes the product…
    expect(verifyBatch(key, [bad0, bad1], { randomBytes: sameWeight }).outcomes).toEqual([
      { valid: true },
      { valid: true },
    ]); // …which is why the weights must be independent and secret:
    expect(verifyBatch(key, [bad0, bad1]).outcomes).toEqual([{ valid: false }, { valid: false }]);
  });

  it("draws a weight again when the source gives zero", () => {
    let calls = 0;
    const zeroFirst = (bytes: Uint8Array) => {
      calls += 1;
      bytes.fill(calls === 1 ? 0 : calls);
    };
    const valid = cases.filter((c) => c.expected === "valid").slice(0, 2);
    const { outcomes } = verifyBatch(
      key,
      valid.map((c) => c.item),
      { randomBytes: zeroFirst },
    );
    expect(outcomes).toEqual([{ valid: true }, { valid: true }]);
    expect(calls).toBe(3);
  });

  it("answers an empty batch with nothing, and no pairing work", () => {
    expect(verifyBatch(key, [])).toEqual({
      outcomes: [],
      stats: { pairingChecks: 0, millerLoops: 0 },
    });
  });
});
