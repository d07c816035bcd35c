import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIELD_ORDER } from "../../core/field.js";
import type { ProofBundle } from "../../core/proof.js";
import { Op } from "../../core/query.js";
import { type CircuitRelease, loadCircuitRelease } from "../../infra/artifacts.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import { proveQuery } from "../../prover/prove-query.js";
import { verifyProof } from "../../support/verify-proof.js";
import { startTestChain, type TestChain } from "../helpers/chain.js";
import { commit, queryWitness, SLOT } from "../helpers/fixtures.js";

describe("the query verifier contract deployed beside the registry", () => {
  let t: TestChain;
  let release: CircuitRelease;
  let bundle: ProofBundle;

  beforeAll(async () => {
    t = await startTestChain();
    release = await loadCircuitRelease("query");
    const predicates = [
      { op: Op.GTE, i: SLOT.creditScore, j: 0, a: 650n, b: 0n },
      { op: Op.DISCLOSE, i: SLOT.openAccounts, j: 0, a: 0n, b: 0n },
    ];
    bundle = await proveQuery(release, queryWitness(commit(), predicates, 123_456_789n));
  });
  afterAll(async () => {
    await t?.dispose();
    await releaseSnarkjsCurve();
  });

  it("accepts a proof made with the committed query artifacts, as the off-chain verifier does", async () => {
    await expect(verifyProof(release, bundle)).resolves.toBe(true);
    expect(await t.chain.verifyOnChain(bundle.proof, bundle.publicSignals)).toBe(true);
  });

  it("refuses the same proof with any one public signal changed", async () => {
    for (let index = 0; index < bundle.publicSignals.length; index++) {
      const signals = [...bundle.publicSignals];
      signals[index] = ((BigInt(signals[index] ?? "0") + 1n) % FIELD_ORDER).toString();
      expect(await t.chain.verifyOnChain(bundle.proof, signals), `signal ${index}`).toBe(false);
    }
  });

  it("refuses a public signal of r or more (no aliasing modulo r)", async () => {
    const signals = [...bundle.publicSignals];
    signals[9] = (BigInt(signals[9] ?? "0") + FIELD_ORDER).toString();
    expect(await t.chain.verifyOnChain(bundle.proof, signals)).toBe(false);
  });

  it("refuses a proof with its points swapped", async () => {
    const proof = { ...bundle.proof, pi_a: bundle.proof.pi_c, pi_c: bundle.proof.pi_a };
    expect(await t.chain.verifyOnChain(proof, bundle.publicSignals)).toBe(false);
  });
});
