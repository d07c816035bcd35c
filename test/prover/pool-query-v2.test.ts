/**
 * The proving pool with the `query_v2` release beside `query`, on both engines: the two parts of
 * a linked challenge (a credit report and a residency attestation of one subject) proved with
 * the same link nonce verify with snarkjs against artifacts/query_v2/verification_key.json and
 * output the same non-zero link, the one computed independently in TypeScript; another nonce
 * gives another link; a `query` witness still proves in the same pool; a record outside an IN
 * set or inside a NIN set is refused before any worker is used; and a pool without the release
 * refuses `query_v2` witnesses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProofBundle } from "../../core/proof.js";
import { parseProofRequest, type QueryV2ProofRequest } from "../../core/proof-request.js";
import { Op } from "../../core/query.js";
import { computeLink } from "../../core/query-v2.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import { loadNativeAddon } from "../../prover/native/addon.js";
import { ProverPool } from "../../prover/pool.js";
import type { TaggedQueryV2Witness } from "../../prover/query-v2-input.js";
import { verifyProof } from "../../support/verify-proof.js";
import { caught } from "../helpers/errors.js";
import { type Committed, commit, queryWitness, SLOT } from "../helpers/fixtures.js";
import {
  commitRecord,
  linkedChallenge,
  RESIDENCY,
  V2_SIGNAL,
  verifiesV2,
} from "../helpers/linked-challenge.js";
import { RESIDENCY_SAMPLE } from "../helpers/query-v2.js";

const native = loadNativeAddon();

/** Both proving engines; the native one only where its addon is built (and says so otherwise). */
const ENGINES = [
  { engine: "native", skip: native.available ? "" : ` (skipped: ${native.reason})` },
  { engine: "snarkjs", skip: "" },
] as const;

const NONCE_A = 0x1111_2222_3333_4444_5555n;
const NONCE_B = 0x9999_8888_7777n;

/** The pool's witness of `c` for part `part` of `challenge`, with link nonce `linkNonce`. */
function v2Witness(
  c: Committed,
  challenge: Record<string, unknown>,
  part: number,
  linkNonce: bigint,
): TaggedQueryV2Witness {
  const request = parseProofRequest(challenge, 8, part) as QueryV2ProofRequest;
  return {
    circuit: "query_v2",
    schemaId: c.schema.schemaId,
    slots: c.slots,
    salt: c.salt,
    path: c.tree.path(c.index),
    predicates: request.predicates,
    table: request.table,
    link: request.link,
    linkNonce,
    queryHash: request.queryHash,
    challenge: request.nonce,
  };
}

/** Checks a `query_v2` proof with snarkjs and its public inputs against its witness. */
async function expectV2Proof(bundle: ProofBundle, w: TaggedQueryV2Witness): Promise<void> {
  expect(bundle.publicSignals).toHaveLength(13);
  expect(await verifiesV2(bundle)).toBe(true);
  expect(bundle.publicSignals[V2_SIGNAL.root]).toBe(w.path.root.toString());
  expect(bundle.publicSignals[V2_SIGNAL.schemaId]).toBe(w.schemaId.toString());
  expect(bundle.publicSignals[V2_SIGNAL.challenge]).toBe(w.challenge.toString());
  expect(bundle.publicSignals[V2_SIGNAL.queryHash]).toBe(w.queryHash.toString());
}

const pools: ProverPool[] = [];

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await releaseSnarkjsCurve();
});

for (const { engine, skip } of ENGINES) {
  describe.skipIf(skip !== "")(`ProverPool with query_v2 on the ${engine} engine${skip}`, () => {
    let pool: ProverPool;
    const credit = commit();
    const residency = commitRecord(RESIDENCY, RESIDENCY_SAMPLE);
    const challenge = linkedChallenge({ nonce: 4242n });

    beforeAll(async () => {
      pool = await ProverPool.start({ workers: 2, engine });
      pools.push(pool);
    });

    it("loads the committed query_v2 release beside query", () => {
      expect(pool.releaseV2?.name).toBe("query_v2");
      expect(pool.releaseV2?.manifest.nPublic).toBe(13);
      expect(pool.release.name).toBe("query");
    });

    it("proves both parts of a linked challenge with one nonce: both verify and their links are equal and non-zero; another nonce links differently", async () => {
      const before = pool.stats.completed;
      const witnesses = [
        v2Witness(credit, challenge, 0, NONCE_A),
        v2Witness(residency, challenge, 1, NONCE_A),
        v2Witness(residency, challenge, 1, NONCE_B),
      ];
      // A `query` proof in the same request: the pool serves both releases side by side.
      const v1 = queryWitness(commit(), [
        { op: Op.GTE, i: SLOT.creditScore, j: 0, a: 650n, b: 0n },
      ]);
      const [a0, a1, b1, plain] = await Promise.all([
        ...witnesses.map((w) => pool.prove(w)),
        pool.prove(v1),
      ]);
      for (const [i, bundle] of [a0, a1, b1].entries()) {
        await expectV2Proof(bundle as ProofBundle, witnesses[i] as TaggedQueryV2Witness);
      }
      const link = (b: ProofBundle | undefined) => b?.publicSignals[V2_SIGNAL.link];
      // The link is Poseidon(subjectId slot, nonce), as computed apart from the circuit.
      const expected = computeLink(credit.slots, { index: 0 }, NONCE_A);
      expect(expected).not.toBe(0n);
      expect(link(a0)).toBe(expected.toString());
      expect(link(a1)).toBe(expected.toString());
      expect(link(b1)).toBe(computeLink(residency.slots, { index: 0 }, NONCE_B).toString());
      expect(link(b1)).not.toBe(link(a1));
      expect(plain?.publicSignals).toHaveLength(12);
      expect(await verifyProof(pool.release, plain)).toBe(true);
      expect(pool.stats.completed - before).toBe(4);
    });

    it("refuses a record outside an IN set or inside a NIN set at once, without a worker", async () => {
      const before = pool.stats;
      const inOther = linkedChallenge({
        credit: [{ op: "IN", field: "jurisdiction", values: ["CN", "MO"] }],
      });
      const inErr = await caught(pool.prove(v2Witness(credit, inOther, 0, NONCE_A)));
      expect(inErr.code).toBe("PREDICATE_UNSATISFIED");
      expect(inErr.message).toBe("the record does not satisfy predicate 0 (IN)");
      // `check` finds the same without proving (the linked route checks every part first)
      expect(() => pool.check(v2Witness(credit, inOther, 0, NONCE_A))).toThrow(
        "the record does not satisfy predicate 0 (IN)",
      );
      expect(() => pool.check(v2Witness(credit, challenge, 0, NONCE_A))).not.toThrow();
      const ninOwn = linkedChallenge({
        residency: [{ op: "NIN", field: "residencyStatus", values: ["visitor", "work-permit"] }],
      });
      const ninErr = await caught(pool.prove(v2Witness(residency, ninOwn, 1, NONCE_A)));
      expect(ninErr.code).toBe("PREDICATE_UNSATISFIED");
      expect(ninErr.details).toEqual({ predicate: 0, op: "NIN" });
      // and a witness whose record is not under its path's root
      const moved = { ...v2Witness(residency, challenge, 1, NONCE_A), salt: 1n };
      expect((await caught(pool.prove(moved))).code).toBe("RECORD_NOT_IN_TREE");
      expect(pool.stats.completed).toBe(before.completed);
      expect(pool.stats.failed).toBe(before.failed);
    });
  });
}

describe("ProverPool without a query_v2 release", () => {
  it("proves query witnesses and refuses query_v2 ones with ARTIFACT_MISSING", async () => {
    const pool = await ProverPool.start({ workers: 1, releaseV2: null });
    pools.push(pool);
    expect(pool.releaseV2).toBeUndefined();
    const w = v2Witness(commit(), linkedChallenge(), 0, NONCE_A);
    const err = await caught(pool.prove(w));
    expect(err.code).toBe("ARTIFACT_MISSING");
    expect(pool.stats.completed + pool.stats.failed).toBe(0);
  });
});
