/**
 * Soundness of the `query_v2` circuit's additions, at the witness level (as
 * query-circuit.test.ts does for `query`): the set operators IN and NIN at their edges (x equal
 * to each member, the zero padding of the table, duplicates, masks wider than the table, values
 * of r or more), the refused operator codes 14 and 15, and the link output. Each false statement
 * is refused by the witness generator, and forged witnesses — the honest computation with the
 * decisive signals edited, as a cheating prover would — still violate the constraint system.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { computeLeaf } from "../../core/commitment.js";
import { poseidonChain } from "../../core/poseidon.js";
import { Op } from "../../core/query.js";
import { buildQueryV2, computeLink, OpV2, type PredicateV2 } from "../../core/query-v2.js";
import { encodeRecord } from "../../core/record.js";
import { CircuitHarness } from "../helpers/circuit.js";
import { type Committed, commit, GOOD_REPORT, K, R, R_MINUS_1, SLOT } from "../helpers/fixtures.js";
import { predicateSignal as sig } from "../helpers/predicate-forgery.js";
import { queryV2Input, rawQueryV2Input, TEST_NONCE } from "../helpers/query-v2.js";

const T = 16;
/** A hash-like value (a field element well above 2^64). */
const HASHED = 0x2b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfn;
/** Members of the set under test: the edges of the field and a hash-like value. */
const MEMBERS = [0n, 1n, 720n, HASHED, R_MINUS_1];
/** Slots 12..15 of the test record: three members and one non-member. */
const X_SLOT = { zero: 13, hashed: 12, top: 14, other: 15 } as const;

let h: CircuitHarness;
let rec: Committed;

beforeAll(async () => {
  h = await CircuitHarness.load("query_v2");
  const slots = [...encodeRecord(commit().schema, GOOD_REPORT)];
  slots[X_SLOT.hashed] = HASHED;
  slots[X_SLOT.zero] = 0n;
  slots[X_SLOT.top] = R_MINUS_1;
  slots[X_SLOT.other] = HASHED + 1n;
  rec = commit({ slots });
});

const IN = OpV2.IN;
const NIN = OpV2.NIN;

/** The one constraint an unchecked witness violates, asserting that it is exactly one. */
function singleViolation(w: bigint[]): number {
  const violated = h.violated(w);
  expect(violated).toHaveLength(1);
  return violated[0] as number;
}

const mod = (v: bigint) => ((v % R) + R) % R;

/** queryHash of raw parts (no range checks): predicates padded with NOOP, table with 0. */
function hashRaw(predicates: readonly PredicateV2[], table: readonly bigint[], linkPacked = 0n) {
  const noop: PredicateV2 = { op: 0, i: 0, j: 0, a: 0n, b: 0n };
  const padded = [...predicates, ...new Array<PredicateV2>(K - predicates.length).fill(noop)];
  return poseidonChain([
    ...padded.flatMap((x) => [
      BigInt(x.op) + 16n * BigInt(x.i) + 256n * BigInt(x.j) + 4096n * x.b,
      x.a,
    ]),
    ...table,
    ...new Array<bigint>(T - table.length).fill(0n),
    linkPacked,
  ]);
}

/**
 * Forge predicate slot `k` into claiming membership `member` (1 or 0): IsZero's output and
 * inverse, the IN/NIN terms and the verdict recomputed from them, plus any `extra` edits.
 */
function forgeMembership(
  w: readonly bigint[],
  k: number,
  member: bigint,
  extra: Record<string, bigint> = {},
): bigint[] {
  const isIn = h.read(w, sig(k, "is[12]"));
  const isNin = h.read(w, sig(k, "is[13]"));
  const edits: Record<string, bigint> = {
    member,
    "isMember.out": member,
    "isMember.inv": 0n,
    "terms[7]": isIn * member,
    "terms[8]": mod(isNin * (1n - member)),
    ok: 1n,
  };
  const named: Record<string, bigint> = {};
  for (const [name, v] of Object.entries(edits)) {
    if (h.has(sig(k, name))) named[sig(k, name)] = v;
  }
  for (const [name, v] of Object.entries(extra)) {
    // The optimiser merges some signals (product[0] is factor[0]): edit those kept.
    if (h.has(name)) named[name] = v;
  }
  return h.forge(w, named);
}

describe("query_v2 circuit: TypeScript and circuit agree", () => {
  it("computes the same leaf, root, queryHash (with table and link) and link as core/", async () => {
    const q = buildQueryV2(
      [
        { op: IN, i: X_SLOT.hashed, values: [HASHED, 5n] },
        { op: NIN, i: SLOT.jurisdiction, values: [1n, 2n, 3n] },
        { op: Op.GTE, i: SLOT.creditScore, j: 0, a: 650n, b: 0n },
      ],
      { link: { index: SLOT.subjectId } },
    );
    const w = await h.witness(rawQueryV2Input(rec, q.predicates, q.table, q.link, q.queryHash));
    expect(await h.satisfies(w)).toBe(true);
    expect(h.read(w, "main.leaf")).toBe(computeLeaf(rec.schema.schemaId, rec.slots, rec.salt));
    expect(h.read(w, "main.queryHash")).toBe(q.queryHash);
    expect(h.read(w, "main.link")).toBe(
      computeLink(rec.slots, { index: SLOT.subjectId }, TEST_NONCE),
    );
    // Public signals: disclosed[K], link, then root, schemaId, challenge, queryHash.
    expect(h.index("main.link")).toBe(K + 1);
    expect(h.index("main.root")).toBe(K + 2);
    expect(h.index("main.queryHash")).toBe(K + 5);
  });

  it("the table is in queryHash: one entry changed is refused at exactly the hash check", async () => {
    const q = buildQueryV2([{ op: IN, i: X_SLOT.hashed, values: [HASHED, 5n] }]);
    const table = [...q.table];
    table[0] = 6n; // in place of 5, still not x: the predicate holds, only the hash differs
    const input = rawQueryV2Input(rec, q.predicates, table, null, q.queryHash);
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    singleViolation(await h.uncheckedWitness(input));
  });
});

describe("query_v2 circuit: IN and NIN at the edges", () => {
  it.each(MEMBERS.map((m, position) => ({ m, position })))(
    "x equal to member $m: IN holds, NIN is refused, and a forged NIN fails",
    async ({ m }) => {
      // A record whose slot 12 is the member; the set is every member.
      const slots = [...rec.slots];
      slots[X_SLOT.hashed] = m;
      const c = commit({ slots });
      const inW = await h.witness(queryV2Input(c, [{ op: IN, i: X_SLOT.hashed, values: MEMBERS }]));
      expect(h.violated(inW)).toEqual([]);
      const nin = queryV2Input(c, [{ op: NIN, i: X_SLOT.hashed, values: MEMBERS }]);
      await expect(h.witness(nin)).rejects.toThrow(/Assert Failed/);
      const unchecked = await h.uncheckedWitness(nin);
      const verdict = singleViolation(unchecked);
      const forged = forgeMembership(unchecked, 0, 0n);
      const violated = h.violated(forged);
      expect(violated).not.toContain(verdict);
      expect(violated.length).toBeGreaterThan(0);
    },
  );

  it("x not in the set: NIN holds, IN is refused, and each way of forging IN fails", async () => {
    const values = MEMBERS;
    const x = X_SLOT.other;
    const ninW = await h.witness(queryV2Input(rec, [{ op: NIN, i: x, values }]));
    expect(h.violated(ninW)).toEqual([]);
    const input = queryV2Input(rec, [{ op: IN, i: x, values }]);
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    const unchecked = await h.uncheckedWitness(input);
    const verdict = singleViolation(unchecked);
    // (1) IsZero claims 0 for a non-zero product.
    const viaIsZero = forgeMembership(unchecked, 0, 1n);
    expect(h.violated(viaIsZero)).not.toContain(verdict);
    expect(h.violated(viaIsZero).length).toBeGreaterThan(0);
    // (2) the last product claims 0.
    const viaProduct = forgeMembership(unchecked, 0, 1n, { [sig(0, `product[${T - 1}]`)]: 0n });
    expect(h.violated(viaProduct)).not.toContain(verdict);
    expect(h.violated(viaProduct).length).toBeGreaterThan(0);
    // (3) the factor of a masked entry claims 0, and every product after it follows.
    const edits: Record<string, bigint> = { [sig(0, "factor[0]")]: 0n };
    for (let m = 0; m < T; m++) edits[sig(0, `product[${m}]`)] = 0n;
    const viaFactor = forgeMembership(unchecked, 0, 1n, edits);
    const violated = h.violated(viaFactor);
    expect(violated).not.toContain(verdict);
    expect(violated).toHaveLength(1); // only the factor's own constraint objects
    expect(h.constraintSignals(violated[0] as number)).toContain(sig(0, "factor[0]"));
  });

  it("padding never matches: x = 0 with a set that lacks 0 is not IN, even with 15 zero entries", async () => {
    const q = buildQueryV2([{ op: IN, i: X_SLOT.zero, values: [5n] }]);
    expect(q.table.slice(1)).toEqual(new Array(T - 1).fill(0n));
    expect(q.predicates[0]?.b).toBe(1n);
    await expect(
      h.witness(queryV2Input(rec, [{ op: IN, i: X_SLOT.zero, values: [5n] }])),
    ).rejects.toThrow(/Assert Failed/);
    const ninW = await h.witness(queryV2Input(rec, [{ op: NIN, i: X_SLOT.zero, values: [5n] }]));
    expect(h.violated(ninW)).toEqual([]);
    // Masking a padding entry in is a different b, so a different queryHash: refused there.
    const widened: PredicateV2 = { op: IN, i: X_SLOT.zero, j: 0, a: 0n, b: 0b11n };
    const input = rawQueryV2Input(rec, [widened], q.table, null, q.queryHash);
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    singleViolation(await h.uncheckedWitness(input));
    // And with 0 a member, x = 0 is IN.
    const zeroIn = await h.witness(
      queryV2Input(rec, [{ op: IN, i: X_SLOT.zero, values: [5n, 0n] }]),
    );
    expect(h.violated(zeroIn)).toEqual([]);
  });

  it("duplicates: a table with a repeated entry (both masked) decides as the set", async () => {
    const table = [7n, 7n, HASHED];
    const dup = (op: number): PredicateV2 => ({
      op: op as 12,
      i: X_SLOT.hashed,
      j: 0,
      a: 0n,
      b: 0b111n,
    });
    const hashOf = (p: PredicateV2) => hashRaw([p], table);
    const inW = await h.witness(rawQueryV2Input(rec, [dup(IN)], table, null, hashOf(dup(IN))));
    expect(h.violated(inW)).toEqual([]);
    const other = { ...dup(IN), i: X_SLOT.other };
    await expect(
      h.witness(rawQueryV2Input(rec, [other], table, null, hashOf(other))),
    ).rejects.toThrow(/Assert Failed/);
  });

  it("mask bits at or above 2^16 are refused for IN and NIN, even with the set's bits right", async () => {
    const q = buildQueryV2([{ op: IN, i: X_SLOT.hashed, values: [HASHED] }]);
    for (const [op, b] of [
      [IN, (1n << 16n) | 1n],
      [IN, (1n << 63n) | 1n],
      [NIN, 1n << 16n], // low bits empty: would be a NIN over nothing
    ] as const) {
      const p: PredicateV2 = { op, i: X_SLOT.hashed, j: 0, a: 0n, b };
      const hash = hashRaw([p], q.table);
      const input = rawQueryV2Input(rec, [p], q.table, null, hash);
      await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
      const violated = singleViolation(await h.uncheckedWitness(input));
      expect(h.constraintSignals(violated)).toContain(sig(0, "is[12]"));
    }
  });

  it("values of r or more alias the reduced element: the witness is the member's own", async () => {
    // The witness generator reduces every input modulo r: a table entry of member + r is the
    // member, so it poses the same set, with the same queryHash; a non-member cannot pass by it.
    const q = buildQueryV2([{ op: IN, i: X_SLOT.hashed, values: [HASHED, 9n] }]);
    const aliased = q.table.map((v) => (v === HASHED ? v + R : v));
    const honest = await h.witness(rawQueryV2Input(rec, q.predicates, q.table, null, q.queryHash));
    const alias = await h.witness(rawQueryV2Input(rec, q.predicates, aliased, null, q.queryHash));
    expect(alias).toEqual(honest);
    // And for a non-member x, the alias of a near value is no help: 9 + r is 9, not x.
    const near = q.table.map((v) => (v === 9n ? 9n + R : v));
    const nonMember = buildQueryV2([{ op: IN, i: X_SLOT.other, values: [HASHED, 9n] }]);
    await expect(
      h.witness(rawQueryV2Input(rec, nonMember.predicates, near, null, nonMember.queryHash)),
    ).rejects.toThrow(/Assert Failed/);
  });
});

describe("query_v2 circuit: operator codes 14 and 15 are refused", () => {
  it.each([14, 15])(
    "op %i, with every other parameter 0, violates the operator range check",
    async (op) => {
      const p: PredicateV2 = { op: op as 12, i: 0, j: 0, a: 0n, b: 0n };
      const hash = hashRaw([p], []);
      const input = rawQueryV2Input(rec, [p], [], null, hash);
      await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
      const unchecked = await h.uncheckedWitness(input);
      // Both the range check and the verdict (no selector is 1) object; forcing the verdict to 1
      // leaves the range check.
      const forged = h.forge(unchecked, h.has(sig(0, "ok")) ? { [sig(0, "ok")]: 1n } : {});
      const violated = h.violated(forged);
      expect(violated.length).toBeGreaterThan(0);
      expect(violated.some((c) => h.constraintSignals(c).includes(sig(0, "highBoth")))).toBe(true);
    },
  );
});

describe("query_v2 circuit: the link output", () => {
  const link = { index: SLOT.subjectId };

  it("is Poseidon(slot, nonce) when on, 0 when off, and changes with the nonce", async () => {
    const on = await h.witness(queryV2Input(rec, [], { link }));
    expect(h.read(on, "main.link")).toBe(computeLink(rec.slots, link, TEST_NONCE));
    const other = await h.witness(queryV2Input(rec, [], { link, nonce: TEST_NONCE + 1n }));
    expect(h.read(other, "main.link")).not.toBe(h.read(on, "main.link"));
    expect(h.read(other, "main.link")).toBe(computeLink(rec.slots, link, TEST_NONCE + 1n));
    const off = await h.witness(queryV2Input(rec, []));
    expect(h.read(off, "main.link")).toBe(0n);
  });

  it("two records of different schemas sharing the field give equal links under one nonce", async () => {
    // A second record: another tree, other slots, same subject in slot 5 instead of slot 0.
    const slots = new Array<bigint>(16).fill(3n);
    slots[5] = rec.slots[SLOT.subjectId] as bigint;
    const second = commit({ slots, index: 0, size: 3 });
    const a = await h.witness(queryV2Input(rec, [], { link }));
    const b = await h.witness(queryV2Input(second, [], { link: { index: 5 } }));
    expect(h.read(a, "main.link")).toBe(h.read(b, "main.link"));
    const c = await h.witness(queryV2Input(second, [], { link: { index: 4 } }));
    expect(h.read(c, "main.link")).not.toBe(h.read(a, "main.link"));
  });

  it("the link index is bound by queryHash: another index is refused at the hash check", async () => {
    const q = buildQueryV2([], { link });
    const moved = rawQueryV2Input(rec, q.predicates, q.table, { index: 1 }, q.queryHash);
    await expect(h.witness(moved)).rejects.toThrow(/Assert Failed/);
    singleViolation(await h.uncheckedWitness(moved));
    const off = rawQueryV2Input(rec, q.predicates, q.table, null, q.queryHash);
    await expect(h.witness(off)).rejects.toThrow(/Assert Failed/);
  });

  it("a forged link output, or linkOn = 2, violates the constraint system", async () => {
    const w = await h.witness(queryV2Input(rec, [], { link }));
    expect(h.violated(h.forge(w, { "main.link": 5n })).length).toBeGreaterThan(0);
    const off = await h.witness(queryV2Input(rec, []));
    expect(
      h.violated(h.forge(off, { "main.link": h.read(w, "main.link") })).length,
    ).toBeGreaterThan(0);
    // linkOn = 2 with index 0 packs to 2 = linkOn 0, index 1: the bit check refuses it.
    const input = {
      ...rawQueryV2Input(rec, [], [], null, hashRaw([], [], 2n)),
      linkOn: "2",
      linkIndex: "0",
    };
    await expect(h.witness(input)).rejects.toThrow(/Assert Failed/);
    singleViolation(await h.uncheckedWitness(input));
  });
});
