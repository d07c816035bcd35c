/**
 * Soundness and agreement of the `query` circuit, at the witness level: an honest witness
 * satisfies every constraint; for a false statement the witness generator refuses; and a forged
 * witness — the honest computation with the decisive signals edited, as a cheating prover would —
 * still violates the constraint system. Where a forgery aims at one check, the test also shows
 * that the check it aimed at now holds, so the failure comes from the constraint that protects it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { computeLeaf } from "../../core/commitment.js";
import { digestToField, documentFingerprint, FIELD_ORDER, textToField } from "../../core/field.js";
import { poseidonChain } from "../../core/poseidon.js";
import {
  compileQuery,
  computeQueryHash,
  Op,
  type Predicate,
  packPredicate,
} from "../../core/query.js";
import { getSchema } from "../../core/schema.js";
import { CommitmentTree } from "../../core/tree.js";
import { buildQueryInput } from "../../prover/query-input.js";
import { CircuitHarness } from "../helpers/circuit.js";
import {
  type Committed,
  commit,
  DEPTH,
  K,
  queryInput,
  queryWitness,
  R_MINUS_1,
  rawQueryInput,
  SLOT,
  U64_LIMIT,
  U64_MAX,
} from "../helpers/fixtures.js";
import { forgeVerdict, predicateSignal as sig } from "../helpers/predicate-forgery.js";

let h: CircuitHarness;
let good: Committed;

beforeAll(async () => {
  h = await CircuitHarness.load("query");
  good = commit();
});

const p = (op: number, i: number, a: bigint, b = 0n, j = 0): Predicate => ({
  op: op as Predicate["op"],
  i,
  j,
  a,
  b,
});
/** The one constraint an unchecked witness violates, asserting that it is exactly one. */
function singleViolation(w: bigint[]): number {
  const violated = h.violated(w);
  expect(violated).toHaveLength(1);
  return violated[0] as number;
}

interface OperatorCase {
  readonly name: string;
  readonly holds: Predicate;
  readonly fails: Predicate;
  readonly forge: { lt1?: bigint; lt2?: bigint; eq?: bigint };
}

// The good report: score 720, debt 15,000,000, income 60,000,000, no default, 1 late payment,
// jurisdiction HK (344).
const OPERATORS: OperatorCase[] = [
  {
    name: "EQ",
    holds: p(Op.EQ, SLOT.subjectId, textToField("HK-A123456(7)")),
    fails: p(Op.EQ, SLOT.subjectId, textToField("HK-Z999999(9)")),
    forge: { eq: 1n },
  },
  {
    name: "NE",
    holds: p(Op.NE, SLOT.jurisdiction, 156n),
    fails: p(Op.NE, SLOT.jurisdiction, 344n),
    forge: { eq: 0n },
  },
  {
    name: "LT",
    holds: p(Op.LT, SLOT.latePayments12m, 2n),
    fails: p(Op.LT, SLOT.latePayments12m, 1n),
    forge: { lt1: 1n },
  },
  {
    name: "LTE",
    holds: p(Op.LTE, SLOT.latePayments12m, 1n),
    fails: p(Op.LTE, SLOT.latePayments12m, 0n),
    forge: { lt1: 0n },
  },
  {
    name: "GT",
    holds: p(Op.GT, SLOT.creditScore, 719n),
    fails: p(Op.GT, SLOT.creditScore, 720n),
    forge: { lt1: 1n },
  },
  {
    name: "GTE",
    holds: p(Op.GTE, SLOT.creditScore, 720n),
    fails: p(Op.GTE, SLOT.creditScore, 721n),
    forge: { lt1: 0n },
  },
  {
    name: "BETWEEN (below)",
    holds: p(Op.BETWEEN, SLOT.creditScore, 650n, 720n),
    fails: p(Op.BETWEEN, SLOT.creditScore, 721n, 850n),
    forge: { lt1: 0n },
  },
  {
    name: "BETWEEN (above)",
    holds: p(Op.BETWEEN, SLOT.creditScore, 720n, 720n),
    fails: p(Op.BETWEEN, SLOT.creditScore, 300n, 719n),
    forge: { lt2: 0n },
  },
  {
    name: "OUTSIDE",
    holds: p(Op.OUTSIDE, SLOT.defaults24m, 1n, 100n),
    fails: p(Op.OUTSIDE, SLOT.defaults24m, 0n, 5n),
    forge: { lt1: 1n },
  },
  {
    name: "RATIO_LTE",
    holds: p(Op.RATIO_LTE, SLOT.totalDebt, 100n, 25n, SLOT.annualIncome),
    fails: p(Op.RATIO_LTE, SLOT.totalDebt, 100n, 24n, SLOT.annualIncome),
    forge: { lt2: 0n },
  },
  {
    name: "RATIO_GTE",
    holds: p(Op.RATIO_GTE, SLOT.annualIncome, 1n, 4n, SLOT.totalDebt),
    fails: p(Op.RATIO_GTE, SLOT.annualIncome, 1n, 5n, SLOT.totalDebt),
    forge: { lt2: 0n },
  },
];

describe("query circuit: TypeScript and circuit agree", () => {
  it("computes the same leaf, root and queryHash as core/ (no constraint is violated with them)", async () => {
    const predicates = [p(Op.GTE, SLOT.creditScore, 650n), p(Op.DISCLOSE, SLOT.jurisdiction, 0n)];
    const w = await h.witness(queryInput(good, predicates));
    expect(h.violated(w)).toEqual([]);
    expect(await h.satisfies(w)).toBe(true);
    expect(h.read(w, "main.leaf")).toBe(computeLeaf(good.schema.schemaId, good.slots, good.salt));
    expect(h.read(w, "main.root")).toBe(good.tree.root);
    expect(h.read(w, "main.queryHash")).toBe(computeQueryHash(predicates, K));
    expect(h.read(w, "main.challengeSquare")).toBe(77n * 77n);
  });

  it("refuses a root or queryHash one off from TypeScript's, at exactly one constraint", async () => {
    const w = queryWitness(good, [p(Op.GTE, SLOT.creditScore, 650n)]);
    const offRoot = buildQueryInput({ ...w, path: { ...w.path, root: w.path.root + 1n } }, DEPTH);
    await expect(h.witness(offRoot)).rejects.toThrow(/Assert Failed/);
    singleViolation(await h.uncheckedWitness(offRoot));
    const offHash = buildQueryInput({ ...w, queryHash: w.queryHash + 1n }, DEPTH);
    await expect(h.witness(offHash)).rejects.toThrow(/Assert Failed/);
    singleViolation(await h.uncheckedWitness(offHash));
  });

  it("puts the disclosed values first in the public signals, 0 where nothing is disclosed", async () => {
    const predicates = [
      p(Op.GTE, SLOT.creditScore, 650n),
      p(Op.DISCLOSE, SLOT.jurisdiction, 0n),
      p(Op.DISCLOSE, SLOT.subjectId, 0n),
    ];
    const w = await h.witness(queryInput(good, predicates));
    expect(w.slice(1, 1 + K)).toEqual([0n, 344n, good.slots[SLOT.subjectId], 0n, 0n, 0n, 0n, 0n]);
    expect(h.index("main.disclosed[0]")).toBe(1);
    expect(h.index("main.root")).toBe(K + 1);
    expect(h.index("main.queryHash")).toBe(K + 4);
  });

  it("a forged disclosed value violates the constraint system", async () => {
    const w = await h.witness(queryInput(good, [p(Op.DISCLOSE, SLOT.creditScore, 0n)]));
    const forged = h.forge(w, { "main.disclosed[0]": 800n });
    expect(await h.satisfies(forged)).toBe(false);
  });
});

describe.each(OPERATORS)("query circuit: operator $name", ({ holds, fails, forge }) => {
  it("a true predicate satisfies every constraint", async () => {
    const w = await h.witness(queryInput(good, [holds]));
    expect(await h.satisfies(w)).toBe(true);
  });

  it("a false predicate is refused by the witness generator", async () => {
    await expect(h.witness(queryInput(good, [fails]))).rejects.toThrow(/Assert Failed/);
  });

  it("a forged witness that flips the result still fails the constraint check", async () => {
    const unchecked = await h.uncheckedWitness(queryInput(good, [fails]));
    const verdict = singleViolation(unchecked);
    const forged = forgeVerdict(h, unchecked, 0, forge);
    const violated = h.violated(forged);
    expect(violated).not.toContain(verdict); // the forgery did repair the verdict…
    expect(violated.length).toBeGreaterThan(0); // …and the gadget behind it objects
    expect(await h.satisfies(forged)).toBe(false);
  });
});

describe("query circuit: NOOP, DISCLOSE and unknown operators", () => {
  it("NOOP and DISCLOSE always hold", async () => {
    const w = await h.witness(
      queryInput(good, [p(Op.NOOP, 0, 0n), p(Op.DISCLOSE, SLOT.creditScore, 0n)]),
    );
    expect(await h.satisfies(w)).toBe(true);
  });

  it.each([12, 13, 15])("operator code %i is refused, even posing as NOOP", async (op) => {
    const predicates = [p(op, 0, 0n)];
    const input = rawQueryInput(
      good,
      predicates,
      poseidonChain(
        predicates.flatMap((q) => [packPredicate(q), q.a]).concat(new Array(2 * K - 2).fill(0n)),
      ),
    );
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    const unchecked = await h.uncheckedWitness(input);
    expect(h.violated(unchecked).length).toBeGreaterThan(0);
    const posing = h.forge(unchecked, { [sig(0, "is[0]")]: 1n });
    expect(await h.satisfies(posing)).toBe(false);
  });
});

/** Circuit input for unchecked predicates with their true queryHash (TypeScript would refuse them). */
function uncheckedQuery(c: Committed, predicates: Predicate[]) {
  const padded = [...predicates, ...new Array(K - predicates.length).fill(p(Op.NOOP, 0, 0n))];
  return rawQueryInput(
    c,
    predicates,
    poseidonChain(padded.flatMap((q) => [packPredicate(q), q.a])),
  );
}

/** A report whose credit score slot holds `score`, committed in a tree. */
function withScore(score: bigint): Committed {
  const slots = [...good.slots];
  slots[SLOT.creditScore] = score;
  return commit({ slots });
}

describe("query circuit: range checks at the edges (0, 2^64 - 1, 2^64, r - 1, r)", () => {
  it("accepts 0 and 2^64 - 1 on both sides of a comparison", async () => {
    const zero = withScore(0n);
    expect(
      await h.satisfies(
        await h.witness(
          queryInput(zero, [p(Op.GTE, SLOT.creditScore, 0n), p(Op.LT, SLOT.creditScore, U64_MAX)]),
        ),
      ),
    ).toBe(true);
    const max = withScore(U64_MAX);
    const w = await h.witness(
      queryInput(max, [
        p(Op.LTE, SLOT.creditScore, U64_MAX),
        p(Op.BETWEEN, SLOT.creditScore, 0n, U64_MAX),
        p(Op.RATIO_LTE, SLOT.creditScore, U64_MAX, U64_MAX, SLOT.creditScore),
      ]),
    );
    expect(await h.satisfies(w)).toBe(true);
  });

  it("a slot of 2^64 + 700 cannot pass GTE 650, even with the comparison forged", async () => {
    const big = withScore(U64_LIMIT + 700n);
    const input = queryInput(big, [p(Op.GTE, SLOT.creditScore, 650n)]);
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    const unchecked = await h.uncheckedWitness(input);
    const forged = forgeVerdict(h, unchecked, 0, { lt1: 0n });
    expect(h.violated(forged).length).toBeGreaterThan(0);
    expect(await h.satisfies(forged)).toBe(false);
  });

  it("a slot of r - 1 (that is, -1) passes LT 650 in the comparator alone; its range check refuses it", async () => {
    const minusOne = withScore(R_MINUS_1);
    const input = queryInput(minusOne, [p(Op.LT, SLOT.creditScore, 650n)]);
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    const unchecked = await h.uncheckedWitness(input);
    expect(h.read(unchecked, sig(0, "lt1"))).toBe(1n); // the 65-bit comparator alone says "less"
    expect(h.violated(unchecked).length).toBeGreaterThan(0); // the 64-bit range check does not
    expect(await h.satisfies(unchecked)).toBe(false);
  });

  it("a threshold of r - 1 cannot make 720 > -1 true", async () => {
    const input = uncheckedQuery(good, [p(Op.GT, SLOT.creditScore, R_MINUS_1)]);
    const unchecked = await h.uncheckedWitness(input);
    expect(h.read(unchecked, sig(0, "lt1"))).toBe(1n);
    expect(await h.satisfies(unchecked)).toBe(false);
  });

  it("a threshold of 2^64 or a bound b of r - 1 is refused", async () => {
    for (const predicate of [
      p(Op.LT, SLOT.creditScore, U64_LIMIT),
      p(Op.BETWEEN, SLOT.creditScore, 650n, R_MINUS_1),
    ]) {
      const input = uncheckedQuery(good, [predicate]);
      await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
      expect(await h.satisfies(await h.uncheckedWitness(input))).toBe(false);
    }
  });

  it("a packing collision (NOOP with a huge b posing as the verifier's GTE) is refused", async () => {
    // The verifier's policy: GTE 800 on the score, which the good report fails.
    const policy = p(Op.GTE, SLOT.creditScore, 800n);
    // The cheat: NOOP with b chosen so that 4096·b ≡ packed(policy) (mod r), and the same a.
    const inverse4096 = modPow(4096n, FIELD_ORDER - 2n, FIELD_ORDER);
    const cheat = p(Op.NOOP, 0, 800n, (packPredicate(policy) * inverse4096) % FIELD_ORDER);
    const input = rawQueryInput(good, [cheat], computeQueryHash([policy], K));
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    expect(await h.satisfies(await h.uncheckedWitness(input))).toBe(false);
  });

  it("a value of r is the value 0 to the circuit, which is why records refuse values >= r", async () => {
    const asR = await h.witness({ ...queryInput(good, []), challenge: FIELD_ORDER.toString() });
    const asZero = await h.witness({ ...queryInput(good, []), challenge: "0" });
    expect(h.read(asR, "main.challenge")).toBe(0n);
    expect(asR).toEqual(asZero);
  });

  it("slot indices above 15 are refused", async () => {
    const input = uncheckedQuery(good, [p(Op.DISCLOSE, 16, 0n)]);
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    expect(await h.satisfies(await h.uncheckedWitness(input))).toBe(false);
  });
});

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

describe("query circuit: membership", () => {
  const refusedAtRoot = async (input: ReturnType<typeof queryInput>) => {
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    const unchecked = await h.uncheckedWitness(input);
    singleViolation(unchecked);
    expect(await h.satisfies(unchecked)).toBe(false);
  };
  const predicates = [p(Op.GTE, SLOT.creditScore, 650n)];

  it("a wrong Merkle path fails", async () => {
    const w = queryWitness(good, predicates);
    const siblings = [...w.path.siblings];
    siblings[0] = (siblings[0] as bigint) + 1n;
    await refusedAtRoot(buildQueryInput({ ...w, path: { ...w.path, siblings } }, DEPTH));
    await refusedAtRoot(
      buildQueryInput({ ...w, path: { ...w.path, pathIndex: w.path.pathIndex ^ 1 } }, DEPTH),
    );
  });

  it("a revoked (zero) leaf fails against the new root", async () => {
    const tree = new CommitmentTree(good.tree.leaves);
    tree.revoke(good.index);
    const w = queryWitness({ ...good, tree }, predicates);
    expect(w.path.leaf).toBe(0n);
    await refusedAtRoot(buildQueryInput(w, DEPTH));
  });

  it("a different salt fails", async () => {
    const w = queryWitness(good, predicates);
    await refusedAtRoot(buildQueryInput({ ...w, salt: w.salt + 1n }, DEPTH));
  });

  it("a different schemaId fails", async () => {
    const w = queryWitness(good, predicates);
    await refusedAtRoot(
      buildQueryInput({ ...w, schemaId: getSchema("corporate-credit-v1").schemaId }, DEPTH),
    );
  });

  it("a zero root with a path longer than the circuit (where the Merkle gadget outputs 0) fails", async () => {
    const w = queryWitness(good, predicates);
    const input = { ...buildQueryInput(w, DEPTH), root: "0", pathLength: String(DEPTH + 1) };
    await refusedAtRoot(input);
  });

  it("proves membership in trees of other sizes, up to the full path of a large index", async () => {
    for (const [size, index] of [
      [1, 0],
      [2, 1],
      [7, 6],
      [1000, 777],
    ] as const) {
      const c = commit({ size, index });
      expect(await h.satisfies(await h.witness(queryInput(c, predicates)))).toBe(true);
    }
  });
});

describe("query circuit: size", () => {
  it("has the pinned number of constraints", async () => {
    const snarkjs = await import("snarkjs");
    const info = await snarkjs.r1cs.info(h.paths.r1cs);
    // circom 2.2.3 --O2. Depth-20 LeanIMT path ≈ 4,900, leaf 870 (Poseidon16 609 + Poseidon3
    // 261), queryHash 609 (Poseidon16), ≈ 530 per predicate slot × 8. A change here changes the
    // circuit: make a new release (npm run setup:dev) and update this number and BENCHMARKS.md.
    expect(info.nConstraints).toBe(10_628);
    expect(info.nOutputs).toBe(K);
    expect(info.nPubInputs).toBe(4);
  });
});

describe("query circuit: the document check of the pilot, as a predicate", () => {
  it("EQ on documentFingerprint holds for the verifier's copy of the report and fails for another", async () => {
    const document = new TextEncoder().encode("credit report HK-A123456(7), 2026-11-01, score 720");
    const fingerprint = documentFingerprint(document);
    const slots = [...good.slots];
    slots[SLOT.documentFingerprint] = digestToField(fingerprint.sha256);
    const holder = commit({ slots });
    const check = (field: bigint) =>
      compileQuery(holder.schema, [{ op: "EQ", field: "documentFingerprint", value: field }], K)
        .predicates;
    const w = await h.witness(queryInput(holder, check(fingerprint.field)));
    expect(await h.satisfies(w)).toBe(true);
    const altered = documentFingerprint(
      new TextEncoder().encode("credit report HK-A123456(7), 2026-11-01, score 820"),
    );
    await expect(h.witness(queryInput(holder, check(altered.field)))).rejects.toThrow(
      /Assert Failed/,
    );
  });
});
