/**
 * Verifier policies: validation of what an administrator writes, resolution of a policy into the
 * query of one challenge (relative dates, subject binding, disclosures last), and decoding of
 * disclosed values.
 */
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors.js";
import { FIELD_ORDER } from "../../core/field.js";
import { NOOP_PREDICATE, Op, type Predicate } from "../../core/query.js";
import { getSchema, parseSchema } from "../../core/schema.js";
import {
  decodeDisclosed,
  type PolicyDefinition,
  parsePolicyDefinition,
  policyCircuit,
  resolveQuery,
  resolveStatement,
} from "../../verifier/policy.js";
import { policyInWords } from "../../verifier/policy-words.js";
import { caught } from "../helpers/errors.js";

/** The query circuit's predicate slots. */
const K = 8;
const schema = getSchema("credit-report-v1");
const slot = (name: string): number => {
  const i = schema.slotOf.get(name);
  if (i === undefined) throw new Error(`no field ${name}`);
  return i;
};

// EIP-55's own test vectors: lower-case in, checksummed out.
const ISSUER_A = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const ISSUER_B = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";

/** As `crossproof start`'s sample (deploy/local.ts), without the fields that default. */
function sample(): Record<string, unknown> {
  return {
    id: "pilot-credit-v1",
    description: "Cross-boundary credit check",
    schema: "credit-report-v1",
    issuers: [ISSUER_A.toLowerCase(), ISSUER_B.toUpperCase().replace("0X", "0x")],
    subject: { field: "subjectId" },
    predicates: [
      { op: "GTE", field: "creditScore", value: 650 },
      { op: "RATIO_LTE", field: "totalDebt", per: "annualIncome", numerator: 40, denominator: 100 },
      { op: "EQ", field: "defaults24m", value: 0 },
      { op: "GTE", field: "reportDate", value: { daysAgo: 90 } },
    ],
    disclose: ["jurisdiction"],
  };
}

/** The UTC day `YYYY-MM-DD` of a day number, computed apart from the code under test. */
const dayOf = (isoDate: string): bigint => BigInt(Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000);

describe("parsePolicyDefinition", () => {
  it("accepts the sample policy, applies the defaults and checksums the issuers", () => {
    const policy = parsePolicyDefinition(sample(), K);
    expect(policy).toEqual({
      ...sample(),
      issuers: [ISSUER_A, ISSUER_B],
      challengeTtlSeconds: 300,
      rootGraceSeconds: 3_600,
    });
  });

  it("keeps explicit lifetimes, and defaults predicates and disclosures to none", () => {
    const policy = parsePolicyDefinition(
      {
        id: "minimal",
        schema: "credit-report-v1",
        issuers: [ISSUER_A],
        challengeTtlSeconds: 60,
        rootGraceSeconds: 0,
      },
      K,
    );
    expect(policy).toEqual({
      id: "minimal",
      schema: "credit-report-v1",
      issuers: [ISSUER_A],
      predicates: [],
      disclose: [],
      challengeTtlSeconds: 60,
      rootGraceSeconds: 0,
    });
  });

  it("accepts exactly k slots: subject, predicates and disclosures together", () => {
    const policy = parsePolicyDefinition(
      {
        ...sample(),
        disclose: ["jurisdiction", "currency", "reportDate"], // 1 + 4 + 3 = 8
      },
      K,
    );
    expect(policy.disclose).toHaveLength(3);
  });

  const refusals: [string, (p: Record<string, unknown>) => Record<string, unknown>, RegExp][] = [
    ["an unknown schema", (p) => ({ ...p, schema: "credit-report-v9" }), /no schema/],
    [
      "an unknown field in a predicate",
      (p) => ({ ...p, predicates: [{ op: "GTE", field: "creditScor", value: 650 }] }),
      /has no field "creditScor"/,
    ],
    ["an unknown disclosed field", (p) => ({ ...p, disclose: ["salary"] }), /no field "salary"/],
    [
      "an unknown subject field",
      (p) => ({ ...p, subject: { field: "applicant" } }),
      /no field "applicant"/,
    ],
    [
      "a comparison on a hash field",
      (p) => ({ ...p, predicates: [{ op: "GTE", field: "bureau", value: 1 }] }),
      /GTE compares integers, but bureau is a hash field/,
    ],
    [
      "a ratio over a hash field",
      (p) => ({
        ...p,
        predicates: [
          { op: "RATIO_LTE", field: "totalDebt", per: "subjectId", numerator: 1, denominator: 1 },
        ],
      }),
      /subjectId is a hash field/,
    ],
    [
      "{daysAgo} on a field that is not a date",
      (p) => ({ ...p, predicates: [{ op: "GTE", field: "creditScore", value: { daysAgo: 3 } }] }),
      /daysAgo applies to date fields/,
    ],
    [
      "more slots than k (subject + 4 predicates + 4 disclosures)",
      (p) => ({ ...p, disclose: ["jurisdiction", "currency", "reportDate", "openAccounts"] }),
      /at most 8 predicates, not 9/,
    ],
    ["a short address", (p) => ({ ...p, issuers: ["0x1234"] }), /issuers\.0/],
    ["an address that is not hex", (p) => ({ ...p, issuers: [`0x${"g".repeat(40)}`] }), /issuers/],
    ["no issuer", (p) => ({ ...p, issuers: [] }), /issuers/],
    [
      "the same issuer twice (in other letter case)",
      (p) => ({ ...p, issuers: [ISSUER_A, ISSUER_A.toLowerCase()] }),
      /issuers must be distinct/,
    ],
    ["an id in capitals", (p) => ({ ...p, id: "Pilot-Credit" }), /^invalid policy: id:/],
    ["an id with an underscore", (p) => ({ ...p, id: "pilot_credit" }), /^invalid policy: id:/],
    ["an id starting with a dash", (p) => ({ ...p, id: "-pilot" }), /^invalid policy: id:/],
    ["an id of 65 characters", (p) => ({ ...p, id: "a".repeat(65) }), /^invalid policy: id:/],
    ["an extra key", (p) => ({ ...p, owner: "bank" }), /owner/],
    [
      "an extra key in a predicate",
      (p) => ({ ...p, predicates: [{ op: "EQ", field: "defaults24m", value: 0, note: "x" }] }),
      /note/,
    ],
    [
      "an unknown operator",
      (p) => ({ ...p, predicates: [{ op: "LIKE", field: "creditScore", value: 1 }] }),
      /predicates\.0/,
    ],
    [
      "a range whose min exceeds its max",
      (p) => ({
        ...p,
        predicates: [{ op: "BETWEEN", field: "creditScore", min: 700, max: 600 }],
      }),
      /min must not exceed max/,
    ],
    [
      "an unknown code",
      (p) => ({ ...p, predicates: [{ op: "EQ", field: "jurisdiction", value: "TW" }] }),
      /unknown code "TW"/,
    ],
    ["a challenge lifetime of 0", (p) => ({ ...p, challengeTtlSeconds: 0 }), /challengeTtl/],
    [
      "a subject bound to an integer field",
      (p) => ({ ...p, subject: { field: "creditScore" } }),
      /subject field creditScore must be a hash field/,
    ],
    [
      "a relative date over ten years back",
      (p) => ({
        ...p,
        predicates: [{ op: "GTE", field: "reportDate", value: { daysAgo: 3_651 } }],
      }),
      /daysAgo/,
    ],
  ];

  it.each(refusals)("refuses %s with INVALID_POLICY", async (_, edit, message) => {
    const err = await caught(() => parsePolicyDefinition(edit(sample()), K));
    expect(err.code).toBe(ErrorCode.INVALID_POLICY);
    expect(err.message).toMatch(message);
  });

  it("refuses what is not an object", async () => {
    for (const json of [null, "pilot", [sample()]]) {
      expect((await caught(() => parsePolicyDefinition(json, K))).code).toBe(
        ErrorCode.INVALID_POLICY,
      );
    }
  });

  it("lists the schema issues in details", async () => {
    const err = await caught(() =>
      parsePolicyDefinition({ ...sample(), id: "Bad", issuers: ["0x12"] }, K),
    );
    const paths = (err.details.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["id", "issuers.0"]));
  });
});

describe("resolveQuery", () => {
  const policy = parsePolicyDefinition(sample(), K);
  const subject = 123_456_789_012_345_678_901_234_567_890n;
  const at = (iso: string) => new Date(iso);

  it("resolves {daysAgo: 90} on reportDate to the day 90 days before now (UTC)", () => {
    const q = resolveQuery(policy, K, at("2026-05-10T12:00:00Z"), subject);
    // [subject, creditScore, ratio, defaults, reportDate, disclose]
    expect(q.predicates[4]).toEqual({ op: "GTE", field: "reportDate", value: "2026-02-09" });
    expect(q.compiled.predicates[4]).toEqual({
      op: Op.GTE,
      i: slot("reportDate"),
      j: 0,
      a: dayOf("2026-02-09"),
      b: 0n,
    });
    expect(dayOf("2026-02-09")).toBe(20_493n);
  });

  it("gives one queryHash per UTC day: the same within a day, another the next day", () => {
    const morning = resolveQuery(policy, K, at("2026-05-10T00:00:00.000Z"), subject);
    const evening = resolveQuery(policy, K, at("2026-05-10T23:59:59.999Z"), subject);
    const nextDay = resolveQuery(policy, K, at("2026-05-11T00:00:00.000Z"), subject);
    expect(evening.compiled.queryHash).toBe(morning.compiled.queryHash);
    expect(nextDay.compiled.queryHash).not.toBe(morning.compiled.queryHash);
    expect(nextDay.predicates.find((x) => x.field === "reportDate")).toMatchObject({
      value: "2026-02-10",
    });
  });

  it("hashes a resolved relative date exactly as the same absolute date", () => {
    const absolute = parsePolicyDefinition(
      {
        ...sample(),
        predicates: (sample().predicates as Record<string, unknown>[]).map((p) =>
          p.field === "reportDate" ? { ...p, value: "2026-02-09" } : p,
        ),
      },
      K,
    );
    const now = at("2026-05-10T08:00:00Z");
    expect(resolveQuery(policy, K, now, subject).compiled.queryHash).toBe(
      resolveQuery(absolute, K, now, subject).compiled.queryHash,
    );
  });

  it("resolves both ends of a relative date range", () => {
    const range = parsePolicyDefinition(
      {
        ...sample(),
        predicates: [
          { op: "BETWEEN", field: "reportDate", min: { daysAgo: 90 }, max: { daysAgo: 0 } },
        ],
      },
      K,
    );
    const q = resolveQuery(range, K, at("2026-05-10T20:00:00Z"), subject);
    expect(q.predicates[1]).toEqual({
      op: "BETWEEN",
      field: "reportDate",
      min: "2026-02-09",
      max: "2026-05-10",
    });
    expect(q.compiled.predicates[1]).toMatchObject({ a: 20_493n, b: 20_583n });
  });

  it("binds the subject first, then the predicates, then one DISCLOSE per disclosed field", () => {
    const q = resolveQuery(policy, K, at("2026-05-10T12:00:00Z"), subject);
    expect(q.schema.id).toBe("credit-report-v1");
    expect(q.predicates).toEqual([
      { op: "EQ", field: "subjectId", value: subject.toString() },
      { op: "GTE", field: "creditScore", value: 650 },
      {
        op: "RATIO_LTE",
        field: "totalDebt",
        per: "annualIncome",
        numerator: 40,
        denominator: 100,
      },
      { op: "EQ", field: "defaults24m", value: 0 },
      { op: "GTE", field: "reportDate", value: "2026-02-09" },
      { op: "DISCLOSE", field: "jurisdiction" },
    ]);
    const expected: Predicate[] = [
      { op: Op.EQ, i: slot("subjectId"), j: 0, a: subject, b: 0n },
      { op: Op.GTE, i: slot("creditScore"), j: 0, a: 650n, b: 0n },
      // totalDebt / annualIncome ≤ 40/100  ⟺  100·totalDebt ≤ 40·annualIncome
      { op: Op.RATIO_LTE, i: slot("totalDebt"), j: slot("annualIncome"), a: 100n, b: 40n },
      { op: Op.EQ, i: slot("defaults24m"), j: 0, a: 0n, b: 0n },
      { op: Op.GTE, i: slot("reportDate"), j: 0, a: 20_493n, b: 0n },
      { op: Op.DISCLOSE, i: slot("jurisdiction"), j: 0, a: 0n, b: 0n },
      NOOP_PREDICATE,
      NOOP_PREDICATE,
    ];
    expect(q.compiled.predicates).toEqual(expected);
  });

  it("binds the challenge to the subject: another subject hash, another queryHash", () => {
    const now = at("2026-05-10T12:00:00Z");
    expect(resolveQuery(policy, K, now, subject + 1n).compiled.queryHash).not.toBe(
      resolveQuery(policy, K, now, subject).compiled.queryHash,
    );
  });

  it("refuses a subject-bound policy without a subject hash, or with one outside the field", async () => {
    for (const hash of [undefined, FIELD_ORDER, -1n]) {
      const err = await caught(() => resolveQuery(policy, K, new Date(), hash));
      expect(err.code).toBe(ErrorCode.INVALID_SUBJECT);
    }
    expect(resolveQuery(policy, K, new Date(), FIELD_ORDER - 1n).predicates[0]).toMatchObject({
      value: (FIELD_ORDER - 1n).toString(),
    });
  });

  it("adds no subject predicate to a policy without a subject", () => {
    const { subject: _, ...unbound } = sample();
    const open = parsePolicyDefinition(unbound, K);
    const q = resolveQuery(open, K, at("2026-05-10T12:00:00Z"), undefined);
    expect(q.predicates.map((p) => p.field)).toEqual([
      "creditScore",
      "totalDebt",
      "defaults24m",
      "reportDate",
      "jurisdiction",
    ]);
  });

  it("refuses, with INVALID_QUERY by default, a policy that does not compile", async () => {
    // Not through parsePolicyDefinition, which would refuse it: as a stored policy could be.
    const bad = {
      ...policy,
      predicates: [{ op: "GTE", field: "openAccounts", value: { daysAgo: 1 } }],
    } as PolicyDefinition;
    const err = await caught(() => resolveQuery(bad, K, new Date(), subject));
    expect(err.code).toBe(ErrorCode.INVALID_QUERY);
    expect(err.message).toMatch(/daysAgo/);
  });
});

describe("decodeDisclosed", () => {
  const disclose = (field: string): Predicate => ({
    op: Op.DISCLOSE,
    i: slot(field),
    j: 0,
    a: 0n,
    b: 0n,
  });

  it("decodes each disclosed output by its field's encoding, by predicate position", () => {
    const hash = 987_654_321_987_654_321_987_654_321n;
    const predicates: Predicate[] = [
      { op: Op.GTE, i: slot("totalDebt"), j: 0, a: 1n, b: 0n },
      disclose("jurisdiction"),
      disclose("reportDate"),
      disclose("creditScore"),
      disclose("currency"),
      disclose("subjectId"),
      disclose("annualIncome"),
      NOOP_PREDICATE,
    ];
    const outputs = [
      5n,
      344n,
      dayOf("2024-02-29"),
      720n,
      156n,
      hash,
      18_446_744_073_709_551_615n, // 2^64 − 1: no precision lost
      0n,
    ];
    expect(decodeDisclosed(schema, predicates, outputs)).toEqual({
      jurisdiction: "HK",
      reportDate: "2024-02-29",
      creditScore: "720",
      currency: "CNY",
      subjectId: hash.toString(),
      annualIncome: "18446744073709551615",
    });
  });

  it("gives a code without a name as its number", () => {
    expect(decodeDisclosed(schema, [disclose("jurisdiction")], [999n])).toEqual({
      jurisdiction: "999",
    });
  });

  it("decodes booleans", () => {
    const flags = parseSchema({
      id: "flags-test",
      title: "Flags",
      description: "A schema with booleans, for this test.",
      fields: [
        { name: "sanctioned", type: "uint", encoding: "boolean", description: "a flag" },
        { name: "verified", type: "uint", encoding: "boolean", description: "a flag" },
      ],
    });
    const predicates: Predicate[] = [0, 1].map((i) => ({ op: Op.DISCLOSE, i, j: 0, a: 0n, b: 0n }));
    expect(decodeDisclosed(flags, predicates, [0n, 1n])).toEqual({
      sanctioned: false,
      verified: true,
    });
  });
});

describe("set predicates and linked records (query_v2)", () => {
  const HK = "0x2222222222222222222222222222222222222222";
  const residency = getSchema("residency-v1");
  const linked = () => ({
    ...sample(),
    id: "linked",
    link: { field: "subjectId" },
    linked: [
      {
        schema: "residency-v1",
        issuers: [HK],
        link: { field: "subjectId" },
        predicates: [{ op: "IN", field: "residencyStatus", values: ["permanent", "work-permit"] }],
        disclose: ["employmentStatus"],
      },
    ],
  });

  it("keeps a policy without sets or links on query, with the same queryHash as resolveQuery", () => {
    const policy = parsePolicyDefinition(sample(), K);
    expect(policyCircuit(policy)).toBe("query");
    const now = new Date("2026-12-03T12:00:00Z");
    const statement = resolveStatement(policy, K, now, 42n);
    expect(statement.circuit).toBe("query");
    expect(statement.parts).toHaveLength(1);
    expect(statement.parts[0]?.queryHash).toBe(
      resolveQuery(policy, K, now, 42n).compiled.queryHash,
    );
    expect(statement.parts[0]?.table).toBeNull();
  });

  it("proves a policy with IN or NIN with query_v2: one canonical table, the set as a mask", () => {
    const policy = parsePolicyDefinition(
      {
        ...sample(),
        id: "sets",
        predicates: [
          { op: "IN", field: "jurisdiction", values: ["HK", "MO", "HK"] },
          { op: "NIN", field: "jurisdiction", values: ["CN"] },
        ],
      },
      K,
    );
    expect(policyCircuit(policy)).toBe("query_v2");
    const [part] = resolveStatement(policy, K, new Date(), 42n).parts;
    // Subject EQ, IN, NIN, DISCLOSE; the table holds the 3 distinct values, then zeros.
    expect(part?.predicates.map((p) => p.op)).toEqual([Op.EQ, 12, 13, Op.DISCLOSE]);
    expect(part?.table?.filter((v) => v !== 0n)).toHaveLength(3);
    expect(part?.table).toHaveLength(16);
    expect(part?.link).toBeNull();
    expect(part?.query[1]).toEqual({ op: "IN", field: "jurisdiction", values: ["HK", "MO", "HK"] });
  });

  it("resolves a linked policy into a part per record, each with its schema, issuers and link slot", () => {
    const policy = parsePolicyDefinition(linked(), K);
    expect(policy.linked?.[0]?.issuers).toEqual([HK]);
    const { circuit, parts } = resolveStatement(policy, K, new Date(), 42n);
    expect(circuit).toBe("query_v2");
    expect(parts.map((p) => p.schema.id)).toEqual(["credit-report-v1", "residency-v1"]);
    expect(parts.map((p) => p.link)).toEqual([
      slot("subjectId"),
      residency.slotOf.get("subjectId"),
    ]);
    expect(parts[1]?.issuers).toEqual([HK]);
    // Only the policy's own record binds the subject; the link carries it to the other.
    expect(parts[1]?.query.map((q) => q.op)).toEqual(["IN", "DISCLOSE"]);
  });

  const refusals: [string, (p: Record<string, unknown>) => unknown, RegExp][] = [
    ["linked records without a link field", ({ link: _, ...p }) => p, /names its own link field/],
    ["a link field without linked records", ({ linked: _, ...p }) => p, /give linked too/],
    [
      "link fields encoded differently",
      (p) => ({
        ...p,
        linked: [{ ...(p.linked as object[])[0], link: { field: "monthlyIncome" } }],
      }),
      /is not encoded as subjectId/,
    ],
    [
      "a linked record of an unknown schema",
      (p) => ({ ...p, linked: [{ ...(p.linked as object[])[0], schema: "no-such-v1" }] }),
      /no schema "no-such-v1"/,
    ],
    [
      "a set value not in the field's encoding, naming the record",
      (p) => ({
        ...p,
        linked: [
          {
            ...(p.linked as object[])[0],
            predicates: [{ op: "IN", field: "residencyStatus", values: ["astronaut"] }],
          },
        ],
      }),
      /record 1: /,
    ],
    [
      "more than 16 distinct set values in one record",
      (p) => ({
        ...p,
        predicates: [
          {
            op: "IN",
            field: "creditScore",
            values: Array.from({ length: 16 }, (_, i) => 600 + i),
          },
          { op: "NIN", field: "totalDebt", values: [1] },
        ],
      }),
      /at most 16 distinct set values/,
    ],
  ];
  it.each(refusals)("refuses %s with INVALID_POLICY", async (_, edit, message) => {
    const err = await caught(() => parsePolicyDefinition(edit(linked()), K));
    expect(err.code).toBe(ErrorCode.INVALID_POLICY);
    expect(err.message).toMatch(message);
  });

  it("writes a linked policy and its sets in words", () => {
    const phrases = policyInWords(parsePolicyDefinition(linked(), K), schema, getSchema);
    expect(phrases.slice(-3)).toEqual([
      "a residency-v1 record whose subjectId equals this record's subjectId",
      'its residencyStatus is one of "permanent", "work-permit"',
      "it discloses employmentStatus",
    ]);
  });
});
