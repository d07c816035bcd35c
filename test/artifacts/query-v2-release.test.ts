/**
 * The committed `query_v2` release proves and verifies: real Groth16 proofs (a handful; the bulk
 * of the soundness tests works on witnesses) with sets and the link, their public signals laid out
 * as the manifest says, a changed link refused, and two records of different schemas linked by
 * equal outputs under one nonce.
 */
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeLeaf } from "../../core/commitment.js";
import { computeLink, newLinkNonce, OpV2 } from "../../core/query-v2.js";
import { encodeRecord } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import { CommitmentTree } from "../../core/tree.js";
import { type CircuitRelease, loadCircuitRelease } from "../../infra/artifacts.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import type { CircuitInput } from "../../prover/query-input.js";
import { type Committed, commit, K, SLOT } from "../helpers/fixtures.js";
import { queryV2Input, RESIDENCY_SAMPLE } from "../helpers/query-v2.js";

let release: CircuitRelease;
beforeAll(async () => {
  release = await loadCircuitRelease("query_v2");
});
afterAll(releaseSnarkjsCurve);

async function prove(input: CircuitInput) {
  const { proof, publicSignals } = await snarkjs.groth16.fullProve(
    input,
    release.paths.wasm,
    release.paths.zkey,
  );
  return { proof, publicSignals };
}

const verify = (proof: snarkjs.Groth16Proof, publicSignals: snarkjs.PublicSignals) =>
  snarkjs.groth16.verify(release.verificationKey as never, publicSignals, proof);

describe("release of query_v2", () => {
  it("is within the budget of issue 19, with the link after the disclosed values", () => {
    expect(release.manifest.constraints).toBe(12_063);
    expect(release.manifest.constraints).toBeLessThanOrEqual(13_000);
    expect(release.manifest.publicSignals).toEqual([
      ...Array.from({ length: K }, (_, k) => `disclosed[${k}]`),
      "link",
      "root",
      "schemaId",
      "challenge",
      "queryHash",
    ]);
  });

  it("proves IN, NIN and a disclosure with the link on; a changed link does not verify", async () => {
    const c = commit();
    const nonce = newLinkNonce();
    const link = { index: SLOT.subjectId };
    const { proof, publicSignals } = await prove(
      queryV2Input(
        c,
        [
          { op: OpV2.IN, i: SLOT.jurisdiction, values: [344n, 446n] },
          { op: OpV2.NIN, i: SLOT.defaults24m, values: [1n, 2n, 3n] },
          { op: OpV2.DISCLOSE, i: SLOT.creditScore, j: 0, a: 0n, b: 0n },
        ],
        { link, nonce, challenge: 4242n },
      ),
    );
    expect(await verify(proof, publicSignals)).toBe(true);
    expect(publicSignals[2]).toBe("720");
    expect(publicSignals[K]).toBe(computeLink(c.slots, link, nonce).toString());
    expect(publicSignals[K + 3]).toBe("4242");
    const changed = [...publicSignals];
    changed[K] = (BigInt(changed[K] as string) + 1n).toString();
    expect(await verify(proof, changed)).toBe(false);
  });

  it("links two records of different schemas on subjectId under one nonce, and only under it", async () => {
    const residency = getSchema("residency-v1");
    const slots = [...encodeRecord(residency, RESIDENCY_SAMPLE)];
    // The residency record in a tree of its own.
    const salt = 0x5eedn;
    const leaves = [7n, computeLeaf(residency.schemaId, slots, salt), 9n, 10n];
    const res: Committed = {
      schema: residency,
      slots,
      salt,
      tree: new CommitmentTree(leaves),
      index: 1,
    };
    const nonce = newLinkNonce();
    const first = await prove(
      queryV2Input(commit(), [{ op: OpV2.GTE, i: SLOT.creditScore, j: 0, a: 650n, b: 0n }], {
        link: { index: SLOT.subjectId },
        nonce,
        challenge: 99n,
      }),
    );
    const other = await prove(
      queryV2Input(res, [{ op: OpV2.IN, i: 2, values: [344n] }], {
        link: { index: residency.slotOf.get("subjectId") as number },
        nonce,
        challenge: 99n,
      }),
    );
    expect(await verify(first.proof, first.publicSignals)).toBe(true);
    expect(await verify(other.proof, other.publicSignals)).toBe(true);
    expect(first.publicSignals[K]).toBe(other.publicSignals[K]);
    expect(first.publicSignals[K]).not.toBe("0");
    // Another nonce in one of them: the outputs differ.
    const fresh = computeLink(slots, { index: 0 }, newLinkNonce()).toString();
    expect(fresh).not.toBe(first.publicSignals[K]);
  });
});
