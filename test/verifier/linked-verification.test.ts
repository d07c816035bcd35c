/**
 * Verification of `query_v2` presentations (issue 19): a policy with a set predicate, and a
 * policy linking a mainland credit report and a Hong Kong residency record about the same
 * subject. The verifier runs as the service runs it (SQLite store, the worker pool behind the
 * micro-batcher), against an in-memory registry the test changes (a root revoked, replaced, or
 * anchored by an issuer the policy does not accept). Proofs are made honestly from committed
 * records (the native engine where it is built, else snarkjs), then combined as a dishonest
 * holder would: a record of another subject, a proof of another presentation, a link output
 * copied from another proof. Each is refused with its stable reason, naming the record.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReleaseStatus, RootStatus } from "../../chain/registry.js";
import { type KeyHash, verificationKeyHash } from "../../core/circuit-release.js";
import { computeLeaf } from "../../core/commitment.js";
import type { ProofBundle } from "../../core/proof.js";
import { buildQueryV2, padPredicatesV2 } from "../../core/query-v2.js";
import { encodeRecord } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import { CommitmentTree } from "../../core/tree.js";
import { type CircuitRelease, loadCircuitRelease } from "../../infra/artifacts.js";
import { loadNativeAddon, NativeProver } from "../../prover/native/index.js";
import { buildQueryV2Input } from "../../prover/query-v2-input.js";
import { MicroBatcher } from "../../verifier/micro-batch.js";
import { VerifierPool } from "../../verifier/pool.js";
import { SqliteVerifierStore } from "../../verifier/sqlite-store.js";
import type { ChallengeRecord } from "../../verifier/store.js";
import { Verifier } from "../../verifier/verifier.js";
import { DEPTH, GOOD_REPORT } from "../helpers/fixtures.js";
import { RESIDENCY_SAMPLE } from "../helpers/query-v2.js";

const MAINLAND = "0x1111111111111111111111111111111111111111";
const HONG_KONG = "0x2222222222222222222222222222222222222222";
const ELSEWHERE = "0x3333333333333333333333333333333333333333";
const CLIENT = "client";

/** A record committed in its bureau's tree. */
interface Held {
  readonly schema: ReturnType<typeof getSchema>;
  readonly slots: bigint[];
  readonly salt: bigint;
  readonly tree: CommitmentTree;
  readonly index: number;
}

/** A tree of `records` (each at its own leaf) for one schema, as a bureau anchors it. */
function bureauTree(schemaId: string, records: readonly Record<string, unknown>[]): Held[] {
  const schema = getSchema(schemaId);
  const committed = records.map((r, i) => ({
    slots: [...encodeRecord(schema, r as Parameters<typeof encodeRecord>[1])],
    salt: 0xfeedn + BigInt(i) * 0x1000n,
  }));
  const tree = new CommitmentTree(
    committed.map((c) => computeLeaf(schema.schemaId, c.slots, c.salt)),
  );
  return committed.map((c, index) => ({ schema, ...c, tree, index }));
}

const LINKED_POLICY = {
  id: "cross-border-linked",
  schema: "credit-report-v1",
  issuers: [MAINLAND],
  subject: { field: "subjectId" },
  predicates: [{ op: "GTE", field: "creditScore", value: 650 }],
  disclose: ["jurisdiction"],
  link: { field: "subjectId" },
  linked: [
    {
      schema: "residency-v1",
      issuers: [HONG_KONG],
      link: { field: "subjectId" },
      predicates: [{ op: "IN", field: "residencyStatus", values: ["permanent", "work-permit"] }],
      disclose: ["employmentStatus"],
    },
  ],
};

describe("linked and set-predicate verification (query_v2)", () => {
  let dir: string;
  let store: SqliteVerifierStore;
  let pool: VerifierPool;
  let verifier: Verifier;
  let v2: CircuitRelease;
  let native: NativeProver | undefined;
  const roots = new Map<bigint, RootStatus>();
  let releaseStatus: ReleaseStatus;
  let credit: Held;
  let residency: Held;
  let otherResidency: Held;

  /** Proves part `part` of `challenge` about `held` with the link nonce `nonce`. */
  const prove = async (
    challenge: ChallengeRecord,
    part: number,
    held: Held,
    nonce: bigint,
  ): Promise<ProofBundle> => {
    const p =
      part === 0
        ? { predicates: challenge.predicates, table: challenge.table ?? [], link: challenge.link }
        : (challenge.linked[part - 1] as ChallengeRecord["linked"][number]);
    const input = buildQueryV2Input(
      {
        schemaId: held.schema.schemaId,
        slots: held.slots,
        salt: held.salt,
        path: held.tree.path(held.index),
        predicates: padPredicatesV2(p.predicates),
        table: p.table,
        link: p.link === null ? null : { index: p.link },
        linkNonce: nonce,
        queryHash: part === 0 ? challenge.queryHash : (challenge.linked[part - 1]?.queryHash ?? 0n),
        challenge: challenge.nonce,
      },
      DEPTH,
    );
    if (native) return (await native.prove(input)).bundle;
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      input,
      v2.paths.wasm,
      v2.paths.zkey,
    );
    return { proof: proof as unknown as ProofBundle["proof"], publicSignals };
  };

  /** The applicant's subject hash, as the bank computes it (the record's subjectId slot). */
  const subject = () =>
    (credit.slots[credit.schema.slotOf.get("subjectId") as number] as bigint).toString();
  const challengeFor = (policyId = LINKED_POLICY.id) =>
    verifier.issueChallenge(policyId, subject(), CLIENT);
  /** A linked presentation: the credit report and `second` proved with one nonce. */
  const linkedPresentation = async (
    challenge: ChallengeRecord,
    second: Held = residency,
    nonces: [bigint, bigint] = [101n, 101n],
  ) => {
    // Both at once on one prover: its witness calculator takes them in turn.
    const [a, b] = await Promise.all([
      prove(challenge, 0, credit, nonces[0]),
      prove(challenge, 1, second, nonces[1]),
    ]);
    return { challengeId: challenge.id, ...a, linked: [{ ...b }] };
  };
  const reasons = async (presentation: unknown, policyId = LINKED_POLICY.id) => {
    const verdict = await verifier.verify(policyId, presentation, CLIENT);
    return verdict.reasons.map((r) => (r.record === undefined ? r.code : `${r.code}@${r.record}`));
  };
  const anchor = (held: Held, issuer: string) => {
    const root = held.tree.root;
    roots.set(root, {
      root,
      issuer: issuer as RootStatus["issuer"],
      schemaId: held.schema.schemaId,
      anchoredAt: new Date(),
      replacedAt: null,
      revokedAt: null,
      issuerActive: true,
    });
    return root;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-linked-"));
    store = SqliteVerifierStore.open(join(dir, "verifier.db"));
    pool = await VerifierPool.start({ workers: 1 });
    const query = await loadCircuitRelease("query");
    v2 = await loadCircuitRelease("query_v2");
    const v2Key: KeyHash = verificationKeyHash(v2.verificationKey);
    releaseStatus = {
      keyHash: v2Key,
      name: "query_v2",
      version: "1.0.0",
      kind: "development",
      registeredAt: new Date(),
      retiredAt: null,
      graceSeconds: 0,
      acceptedUntil: null,
    } as ReleaseStatus;
    const lookup = {
      lookupRoot: async (root: bigint) => roots.get(root) ?? null,
      lookupRelease: async (hash: KeyHash) => (hash === v2Key ? releaseStatus : null),
      releaseKey: async (name: string, version: string) =>
        name === "query_v2" && version === "1.0.0" ? v2Key : null,
    };
    verifier = new Verifier({
      store,
      roots: lookup,
      releases: lookup,
      checker: new MicroBatcher(pool, { maxDelayMs: 2, maxBatch: 16 }),
      circuits: new Map([
        ["query", query],
        ["query_v2", v2],
      ]),
    });
    [credit] = bureauTree("credit-report-v1", [GOOD_REPORT]) as [Held];
    [residency, otherResidency] = bureauTree("residency-v1", [
      RESIDENCY_SAMPLE,
      { ...RESIDENCY_SAMPLE, subjectId: "someone-else", residencyStatus: "permanent" },
    ]) as [Held, Held];
    anchor(credit, MAINLAND);
    anchor(residency, HONG_KONG);
    if (loadNativeAddon().available) {
      native = await NativeProver.open({
        wasm: await readFile(v2.paths.wasm),
        zkey: await readFile(v2.paths.zkey),
      });
    }
    await verifier.createPolicy(LINKED_POLICY);
  }, 120_000);

  afterAll(async () => {
    await pool?.close();
    store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("issues one challenge with a part per record, each with its table and link", async () => {
    const challenge = await challengeFor();
    expect(challenge.circuit).toBe("query_v2");
    expect(challenge.link).toBe(getSchema("credit-report-v1").slotOf.get("subjectId"));
    expect(challenge.linked).toHaveLength(1);
    const part = challenge.linked[0];
    expect(part?.schemaId).toBe(getSchema("residency-v1").schemaId);
    expect(part?.link).toBe(getSchema("residency-v1").slotOf.get("subjectId"));
    // The residency part's set is the canonical table of its values, hashed as the circuit does.
    const expected = buildQueryV2(
      [
        {
          op: 12,
          i: getSchema("residency-v1").slotOf.get("residencyStatus") as number,
          values: ["permanent", "work-permit"].map(
            (v) =>
              encodeRecord(getSchema("residency-v1"), { ...RESIDENCY_SAMPLE, residencyStatus: v })[
                getSchema("residency-v1").slotOf.get("residencyStatus") as number
              ] as bigint,
          ),
        },
        {
          op: 11,
          i: getSchema("residency-v1").slotOf.get("employmentStatus") as number,
          j: 0,
          a: 0n,
          b: 0n,
        },
      ],
      { link: { index: part?.link as number } },
    );
    expect(part?.table).toEqual(expected.table);
    expect(part?.queryHash).toBe(expected.queryHash);
    // Stored and read back whole.
    expect(await store.getChallenge(challenge.id)).toEqual(challenge);
  });

  it("verifies two records about one subject, from two bureaus, and discloses from each", async () => {
    const challenge = await challengeFor();
    const verdict = await verifier.verify(
      LINKED_POLICY.id,
      await linkedPresentation(challenge),
      CLIENT,
    );
    expect(verdict.reasons).toEqual([]);
    expect(verdict.verified).toBe(true);
    expect(verdict.disclosed).toEqual({ jurisdiction: GOOD_REPORT.jurisdiction });
    expect(verdict.linked).toEqual([
      {
        schema: "residency-v1",
        disclosed: { employmentStatus: RESIDENCY_SAMPLE.employmentStatus },
      },
    ]);
    // The receipt names every record's root and issuer; the flows count both bureaus.
    expect(verdict.receipt.issuer).toBe(MAINLAND);
    expect(verdict.receipt.linked).toEqual([{ root: residency.tree.root, issuer: HONG_KONG }]);
    expect(await store.getReceipt(verdict.receipt.id)).toEqual(verdict.receipt);
    const flows = await store.flows({
      by: "issuer",
      bucket: "day",
      from: new Date(Date.now() - 60_000),
      to: new Date(Date.now() + 60_000),
    });
    expect(flows.map((f) => f.key)).toEqual(expect.arrayContaining([MAINLAND, HONG_KONG]));
  });

  it("refuses a record about another subject (LINK_MISMATCH)", async () => {
    anchor(otherResidency, HONG_KONG);
    const challenge = await challengeFor();
    expect(await reasons(await linkedPresentation(challenge, otherResidency))).toEqual([
      "LINK_MISMATCH",
    ]);
  });

  it("refuses links made with two nonces, though the records share the subject", async () => {
    const challenge = await challengeFor();
    expect(await reasons(await linkedPresentation(challenge, residency, [5n, 6n]))).toEqual([
      "LINK_MISMATCH",
    ]);
  });

  it("refuses a record's proof replayed from another presentation (CHALLENGE_MISMATCH)", async () => {
    const first = await linkedPresentation(await challengeFor());
    const challenge = await challengeFor();
    const own = await prove(challenge, 0, credit, 101n);
    // Same subject, same nonce, same query: only the challenge tells the replayed proof apart.
    const replayed = { challengeId: challenge.id, ...own, linked: first.linked };
    expect(await reasons(replayed)).toEqual(["CHALLENGE_MISMATCH@1"]);
  });

  it("refuses a link output copied from another proof (PROOF_INVALID)", async () => {
    const challenge = await challengeFor();
    const presentation = await linkedPresentation(challenge, otherResidency);
    const link = presentation.publicSignals[8] as string;
    const [second] = presentation.linked;
    if (!second) throw new Error("a linked presentation has its second proof");
    const forged = [...second.publicSignals];
    forged[8] = link; // the other subject's record, claiming the applicant's link
    const verdict = await verifier.verify(
      LINKED_POLICY.id,
      { ...presentation, linked: [{ ...second, publicSignals: forged }] },
      CLIENT,
    );
    expect(verdict.reasons.map((r) => r.code)).toEqual(["PROOF_INVALID"]);
  });

  it("refuses a revoked root and one replaced past its grace, naming each record", async () => {
    const challenge = await challengeFor();
    const presentation = await linkedPresentation(challenge);
    const creditRoot = credit.tree.root;
    const residencyRoot = residency.tree.root;
    const before = { credit: roots.get(creditRoot), residency: roots.get(residencyRoot) };
    try {
      roots.set(creditRoot, {
        ...(before.credit as RootStatus),
        replacedAt: new Date(Date.now() - 2 * 3_600_000),
      });
      roots.set(residencyRoot, { ...(before.residency as RootStatus), revokedAt: new Date() });
      expect(await reasons(presentation)).toEqual(["ROOT_REPLACED@0", "ROOT_REVOKED@1"]);
    } finally {
      roots.set(creditRoot, before.credit as RootStatus);
      roots.set(residencyRoot, before.residency as RootStatus);
    }
  });

  it("refuses a record whose issuer the policy does not accept for it", async () => {
    await verifier.createPolicy({
      ...LINKED_POLICY,
      id: "cross-border-swapped",
      linked: [{ ...LINKED_POLICY.linked[0], issuers: [ELSEWHERE] }],
    });
    const challenge = await challengeFor("cross-border-swapped");
    expect(await reasons(await linkedPresentation(challenge), "cross-border-swapped")).toEqual([
      "ISSUER_NOT_ACCEPTED@1",
    ]);
  });

  it("refuses a presentation without the linked record's proof, consuming nothing", async () => {
    const challenge = await challengeFor();
    const own = await prove(challenge, 0, credit, 101n);
    const verdict = await verifier.verify(
      LINKED_POLICY.id,
      { challengeId: challenge.id, ...own },
      CLIENT,
    );
    expect(verdict.reasons.map((r) => r.code)).toEqual(["MALFORMED"]);
    expect((await store.getChallenge(challenge.id))?.consumedAt).toBeNull();
  });

  it("refuses policies whose link fields are missing or encoded differently", async () => {
    const { link: _, ...noLink } = LINKED_POLICY;
    await expect(verifier.createPolicy({ ...noLink, id: "no-link" })).rejects.toMatchObject({
      code: "INVALID_POLICY",
      details: { field: "link" },
    });
    await expect(
      verifier.createPolicy({
        ...LINKED_POLICY,
        id: "mismatched-link",
        linked: [{ ...LINKED_POLICY.linked[0], link: { field: "monthlyIncome" } }],
      }),
    ).rejects.toMatchObject({ code: "INVALID_POLICY", details: { record: 1 } });
  });

  it("verifies a single-record policy with a set predicate, and refuses a NIN the record meets", async () => {
    const policy = {
      id: "hk-residents",
      schema: "residency-v1",
      issuers: [HONG_KONG],
      predicates: [
        { op: "IN", field: "residencyStatus", values: ["permanent", "work-permit"] },
        { op: "NIN", field: "addressDistrict", values: ["Islands"] },
      ],
    };
    await verifier.createPolicy(policy);
    const challenge = await verifier.issueChallenge(policy.id, undefined, CLIENT);
    expect(challenge.circuit).toBe("query_v2");
    expect(challenge.link).toBeNull();
    const proof = await prove(challenge, 0, residency, 0n);
    const verdict = await verifier.verify(
      policy.id,
      { challengeId: challenge.id, ...proof },
      CLIENT,
    );
    expect(verdict.reasons).toEqual([]);
    expect(verdict.verified).toBe(true);
    // A record in the NIN set cannot be proven at all: its witness fails the circuit.
    const banned = bureauTree("residency-v1", [
      { ...RESIDENCY_SAMPLE, addressDistrict: "Islands" },
    ])[0] as Held;
    anchor(banned, HONG_KONG);
    const next = await verifier.issueChallenge(policy.id, undefined, CLIENT);
    await expect(prove(next, 0, banned, 0n)).rejects.toThrow();
  });
});
