import { describe, expect, it } from "vitest";
import { computeLeaf } from "../../core/commitment.js";
import { FIELD_ORDER, textToField } from "../../core/field.js";
import { poseidon, poseidonChain } from "../../core/poseidon.js";
import { Op, packPredicate } from "../../core/query.js";
import {
  buildQueryV2,
  checkPredicateV2,
  compileQueryV2,
  computeLink,
  computeQueryHashV2,
  evaluatePredicateV2,
  newLinkNonce,
  OpV2,
  type PredicateSpecV2,
  packLink,
  QUERY_V2_TABLE_SIZE,
  type SlotPredicateV2,
} from "../../core/query-v2.js";
import { encodeRecord } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import { GOOD_REPORT, SLOT } from "../helpers/fixtures.js";
import { RESIDENCY_SAMPLE } from "../helpers/query-v2.js";

const schema = getSchema("credit-report-v1");
const slots = encodeRecord(schema, GOOD_REPORT);
const R = FIELD_ORDER;

function refused(work: () => unknown): string {
  try {
    work();
  } catch (err) {
    expect((err as { code: string }).code).toBe("INVALID_QUERY");
    return (err as Error).message;
  }
  throw new Error("accepted");
}

const set = (op: 12 | 13, i: number, values: bigint[]): SlotPredicateV2 => ({ op, i, values });

describe("query_v2 queries: sets", () => {
  it("builds one canonical table (distinct, ascending, 0-padded) and a mask per set", () => {
    const q = buildQueryV2([
      set(OpV2.IN, SLOT.jurisdiction, [840n, 344n]),
      set(OpV2.NIN, SLOT.currency, [156n, 344n]),
    ]);
    expect(q.table).toEqual([156n, 344n, 840n, ...new Array(13).fill(0n)]);
    expect(q.predicates[0]).toEqual({ op: 12, i: SLOT.jurisdiction, j: 0, a: 0n, b: 0b110n });
    expect(q.predicates[1]).toEqual({ op: 13, i: SLOT.currency, j: 0, a: 0n, b: 0b011n });
    expect(q.predicates.slice(2).every((p) => p.op === Op.NOOP)).toBe(true);
    expect(q.queryHash).toBe(
      poseidonChain([
        ...q.predicates.flatMap((p) => [packPredicate(p as never), p.a]),
        ...q.table,
        0n,
      ]),
    );
  });

  it("normalizes sets: order and duplicates do not change the hash", () => {
    const a = buildQueryV2([set(OpV2.IN, 2, [3n, 1n, 2n])]);
    const b = buildQueryV2([set(OpV2.IN, 2, [2n, 3n, 3n, 1n, 1n])]);
    expect(b.queryHash).toBe(a.queryHash);
    expect(b.predicates).toEqual(a.predicates);
    // but a different set does
    expect(buildQueryV2([set(OpV2.IN, 2, [1n, 2n])]).queryHash).not.toBe(a.queryHash);
    expect(buildQueryV2([set(OpV2.NIN, 2, [1n, 2n, 3n])]).queryHash).not.toBe(a.queryHash);
  });

  it("takes 16 distinct values per query, refuses 17, and refuses empty sets", () => {
    const sixteen = Array.from({ length: 16 }, (_, n) => BigInt(n));
    expect(buildQueryV2([set(OpV2.IN, 2, sixteen)]).predicates[0]?.b).toBe(0xffffn);
    // shared across predicates: 10 + 6 new + 4 shared = 16
    const ten = sixteen.slice(0, 10);
    const overlap = [...sixteen.slice(6, 16)];
    expect(buildQueryV2([set(OpV2.IN, 2, ten), set(OpV2.NIN, 3, overlap)]).table).toEqual(sixteen);
    expect(refused(() => buildQueryV2([set(OpV2.IN, 2, [...sixteen, 16n])]))).toMatch(
      /at most 16 distinct set values/,
    );
    expect(
      refused(() => buildQueryV2([set(OpV2.IN, 2, ten), set(OpV2.IN, 3, [99n, ...overlap])])),
    ).toMatch(/at most 16/);
    expect(refused(() => buildQueryV2([set(OpV2.IN, 2, [])]))).toMatch(/must not be empty/);
  });

  it("refuses set values that are not field elements (r, r + 1, −1), never reducing them", () => {
    for (const v of [R, R + 1n, -1n, 1n << 256n]) {
      expect(refused(() => buildQueryV2([set(OpV2.IN, 2, [v])]))).toMatch(/field element/);
    }
    expect(buildQueryV2([set(OpV2.IN, 2, [R - 1n])]).table[0]).toBe(R - 1n);
    expect(refused(() => computeQueryHashV2([], [R, ...new Array(15).fill(0n)], null))).toMatch(
      /table entry/,
    );
  });

  it("checks raw predicates: mask in [1, 2^16), j = a = 0, ops 14 and 15 unknown", () => {
    const ok = { op: OpV2.IN, i: 2, j: 0, a: 0n, b: 0xffffn } as const;
    checkPredicateV2(ok);
    expect(refused(() => checkPredicateV2({ ...ok, b: 0x10000n }))).toMatch(/mask/);
    expect(refused(() => checkPredicateV2({ ...ok, b: 0n }))).toMatch(/mask/);
    expect(refused(() => checkPredicateV2({ ...ok, a: 1n }))).toMatch(/must be 0/);
    expect(refused(() => checkPredicateV2({ ...ok, j: 1 }))).toMatch(/must be 0/);
    expect(refused(() => checkPredicateV2({ ...ok, i: 16 }))).toMatch(/slot index/);
    for (const op of [14, 15]) {
      expect(refused(() => checkPredicateV2({ ...ok, op: op as 12 }))).toMatch(/unknown operator/);
    }
    expect(refused(() => buildQueryV2([set(14 as 12, 2, [1n])]))).toMatch(/unknown operator/);
  });

  it("evaluates IN and NIN on the table, padding never matching", () => {
    const q = buildQueryV2([set(OpV2.IN, SLOT.jurisdiction, [344n, 446n])]);
    const p = q.predicates[0] as never;
    expect(evaluatePredicateV2(p, slots, q.table)).toBe(true);
    expect(evaluatePredicateV2({ ...(p as object), op: 13 } as never, slots, q.table)).toBe(false);
    const zero = [...slots];
    zero[SLOT.jurisdiction] = 0n; // the padding entries are 0 but not in the mask
    expect(evaluatePredicateV2(p, zero, q.table)).toBe(false);
    // x outside [0, r) is refused, never reduced (and such a record cannot be committed)
    const wrapped = [...slots];
    wrapped[SLOT.jurisdiction] = 344n + R;
    expect(refused(() => evaluatePredicateV2(p, wrapped, q.table))).toMatch(/field element/);
    expect(() => computeLeaf(schema.schemaId, wrapped, 1n)).toThrow(/field elements/);
    // the old operators evaluate as in `query`
    const gte = { op: Op.GTE, i: SLOT.creditScore, j: 0, a: 720n, b: 0n } as const;
    expect(evaluatePredicateV2(gte, slots, q.table)).toBe(true);
  });
});

describe("query_v2 queries: policies by field name", () => {
  it("compiles IN/NIN over encoded values, mixed with the operators of `query`", () => {
    const specs: PredicateSpecV2[] = [
      { op: "IN", field: "jurisdiction", values: ["HK", "MO"] },
      { op: "NIN", field: "bureau", values: ["bureau:blocked"] },
      { op: "GTE", field: "creditScore", value: 650 },
    ];
    const q = compileQueryV2(schema, specs);
    expect(q.table).toContain(textToField("bureau:blocked"));
    expect(q.predicates.slice(0, 3).every((p) => evaluatePredicateV2(p, slots, q.table))).toBe(
      true,
    );
    expect(q.link).toBeNull();
    expect(
      refused(() => compileQueryV2(schema, [{ op: "IN", field: "nope", values: [1] }])),
    ).toMatch(/no field/);
    expect(
      refused(() => compileQueryV2(schema, [{ op: "IN", field: "jurisdiction", values: ["XX"] }])),
    ).toBeTruthy();
  });

  it("binds the link field: on/off and the index change the hash", () => {
    const off = compileQueryV2(schema, []);
    const on = compileQueryV2(schema, [], { link: "subjectId" });
    const other = compileQueryV2(schema, [], { link: "bureau" });
    expect(on.link).toEqual({ index: SLOT.subjectId });
    expect(new Set([off.queryHash, on.queryHash, other.queryHash]).size).toBe(3);
    expect(packLink(null)).toBe(0n);
    expect(packLink({ index: 15 })).toBe(31n);
    expect(refused(() => buildQueryV2([], { link: { index: 16 } }))).toMatch(/link/);
    expect(refused(() => compileQueryV2(schema, [], { link: "nope" }))).toMatch(/no field/);
  });
});

describe("query_v2 link output", () => {
  it("is Poseidon(slot, nonce), 0 when off; nonces are fresh", () => {
    const nonce = newLinkNonce();
    expect(computeLink(slots, { index: 0 }, nonce)).toBe(poseidon([slots[0] as bigint, nonce]));
    expect(computeLink(slots, null, nonce)).toBe(0n);
    expect(newLinkNonce()).not.toBe(nonce);
    expect(refused(() => computeLink(slots, { index: 0 }, R))).toMatch(/nonce/);
  });

  it("agrees across schemas on the shared field, and only on it", () => {
    const residency = getSchema("residency-v1");
    const res = encodeRecord(residency, RESIDENCY_SAMPLE);
    const nonce = newLinkNonce();
    const a = computeLink(slots, compileQueryV2(schema, [], { link: "subjectId" }).link, nonce);
    const b = computeLink(res, compileQueryV2(residency, [], { link: "subjectId" }).link, nonce);
    expect(a).toBe(b);
    expect(computeLink(res, { index: 1 }, nonce)).not.toBe(a);
  });
});

it("the table size is 16", () => {
  expect(QUERY_V2_TABLE_SIZE).toBe(16);
});
