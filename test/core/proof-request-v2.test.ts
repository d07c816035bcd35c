/**
 * Reading `query_v2` challenges on the holder's side (core/proof-request.ts): each part of a
 * linked challenge is selected and its predicates, table and link are checked against its own
 * queryHash; a part out of range, a tampered table or link, and v2 fields on a `query` challenge
 * are refused with INVALID_CHALLENGE; `query` challenges read as before.
 */
import { describe, expect, it } from "vitest";
import { CrossproofError } from "../../core/errors.js";
import {
  parseProofRequest,
  parseProofRequestParts,
  proofRequestToJson,
} from "../../core/proof-request.js";
import { compileQuery } from "../../core/query.js";
import { compileQueryV2, OpV2 } from "../../core/query-v2.js";
import { caught } from "../helpers/errors.js";
import {
  CREDIT,
  CREDIT_SPECS,
  linkedChallenge,
  RESIDENCY,
  RESIDENCY_SPECS,
} from "../helpers/linked-challenge.js";

const K = 8;

/** The INVALID_CHALLENGE message of reading `json`'s part `part` (fails if it reads). */
function refusal(json: unknown, part = 0): string {
  try {
    parseProofRequest(json, K, part);
  } catch (err) {
    expect(err).toBeInstanceOf(CrossproofError);
    expect((err as CrossproofError).code).toBe("INVALID_CHALLENGE");
    return (err as CrossproofError).message;
  }
  return expect.fail("the request was accepted");
}

/** A copy of a challenge with `linked[0]` changed by `edit`. */
function editLinked(
  challenge: Record<string, unknown>,
  edit: (part: Record<string, unknown>) => Record<string, unknown>,
): Record<string, unknown> {
  const [first] = challenge.linked as Record<string, unknown>[];
  return { ...challenge, linked: [edit(first as Record<string, unknown>)] };
}

describe("parseProofRequest on query_v2 challenges", () => {
  it("selects each part of a linked challenge, with its schema, predicates, table, link and hash", () => {
    const challenge = linkedChallenge({ challengeId: "ch-1", nonce: 99n });
    const q0 = compileQueryV2(CREDIT, CREDIT_SPECS, { link: "subjectId" });
    const q1 = compileQueryV2(RESIDENCY, RESIDENCY_SPECS, { link: "subjectId" });
    const first = parseProofRequest(challenge, K);
    expect(first).toEqual({
      circuit: "query_v2",
      challengeId: "ch-1",
      nonce: 99n,
      schemaId: CREDIT.schemaId,
      queryHash: q0.queryHash,
      predicates: q0.predicates,
      table: q0.table,
      link: { index: 0 },
      part: 0,
      parts: 2,
    });
    const second = parseProofRequest(challenge, K, 1);
    expect(second).toEqual({
      circuit: "query_v2",
      challengeId: "ch-1",
      nonce: 99n,
      schemaId: RESIDENCY.schemaId,
      queryHash: q1.queryHash,
      predicates: q1.predicates,
      table: q1.table,
      link: { index: 0 },
      part: 1,
      parts: 2,
    });
    expect(second.predicates.map((p) => p.op).slice(0, 2)).toEqual([OpV2.IN, OpV2.NIN]);
    expect(parseProofRequestParts(challenge, K)).toEqual([first, second]);
  });

  it("accepts predicates without their NOOP padding (they hash the same)", () => {
    const challenge = linkedChallenge();
    const predicates = (challenge.predicates as { op: number }[]).filter((p) => p.op !== 0);
    expect(predicates).toHaveLength(2);
    expect(parseProofRequest({ ...challenge, predicates }, K)).toEqual(
      parseProofRequest(challenge, K),
    );
  });

  it("reads back a part written by proofRequestToJson as a request of its own", () => {
    const part = parseProofRequest(linkedChallenge(), K, 1);
    const json = proofRequestToJson(part);
    expect(json).toMatchObject({ circuit: "query_v2", link: 0 });
    expect(parseProofRequest(json, K)).toEqual({ ...part, part: 0, parts: 1 });
  });

  it("reads a one-record query_v2 challenge without a link", () => {
    const challenge = linkedChallenge({ single: true, links: [null, null] });
    expect(parseProofRequest(challenge, K)).toMatchObject({ link: null, part: 0, parts: 1 });
    // an empty list of linked records is no linked record
    expect(parseProofRequestParts({ ...challenge, linked: [] }, K)).toHaveLength(1);
  });

  it("refuses a part out of range, naming how many parts there are", () => {
    const challenge = linkedChallenge();
    expect(refusal(challenge, 2)).toBe(
      "part 2 is out of range: the challenge has 2 parts (0 to 1)",
    );
    expect(refusal(challenge, -1)).toMatch(/part -1 is out of range/);
    expect(refusal(challenge, 0.5)).toMatch(/part 0.5 is out of range/);
  });

  it("refuses a tampered table or link, of the top-level record or of a linked one", () => {
    const challenge = linkedChallenge();
    const table = [...(challenge.table as string[])];
    table[0] = String(BigInt(table[0] as string) + 1n);
    expect(refusal({ ...challenge, table })).toBe(
      "the request: the predicates, table and link do not hash to its queryHash: refusing to prove a different query",
    );
    expect(refusal({ ...challenge, link: 1 })).toMatch(/do not hash to its queryHash/);
    expect(refusal({ ...challenge, link: null })).toMatch(/do not hash to its queryHash/);
    // part 0 is untouched, but the whole challenge is checked: a tampered linked part fails any part
    const tamperedLink = editLinked(challenge, (p) => ({ ...p, link: 3 }));
    expect(refusal(tamperedLink, 1)).toBe(
      "part 1 (linked[0]): the predicates, table and link do not hash to its queryHash: refusing to prove a different query",
    );
    expect(refusal(tamperedLink, 0)).toMatch(/^part 1 \(linked\[0\]\)/);
    const tamperedTable = editLinked(challenge, (p) => ({
      ...p,
      table: (p.table as string[]).map((v, m) => (m === 15 ? "5" : v)),
    }));
    expect(refusal(tamperedTable, 1)).toMatch(/do not hash to its queryHash/);
    // a set predicate's mask moved to other entries of the table
    const predicates = (challenge.predicates as { op: number; b: string }[]).map((p) =>
      p.op === OpV2.IN ? { ...p, b: "1" } : p,
    );
    expect(refusal({ ...challenge, predicates })).toMatch(/do not hash to its queryHash/);
  });

  it("refuses malformed v2 parts: missing table, a table of the wrong size, a bad mask", () => {
    const challenge = linkedChallenge();
    const { table: _table, ...noTable } = challenge;
    expect(refusal(noTable)).toBe("a query_v2 challenge needs its table and link");
    expect(refusal({ ...challenge, table: (challenge.table as string[]).slice(0, 8) })).toMatch(
      /^malformed proof request: table/,
    );
    const predicates = (challenge.predicates as { op: number; b: string }[]).map((p) =>
      p.op === OpV2.IN ? { ...p, b: String(1n << 16n) } : p,
    );
    expect(refusal({ ...challenge, predicates })).toMatch(
      /predicates do not fit the query_v2 circuit: predicate 1: a set mask must be in/,
    );
  });
});

describe("parseProofRequest on query challenges (unchanged)", () => {
  const compiled = compileQuery(CREDIT, [{ op: "GTE", field: "creditScore", value: 650 }], K);
  const v1 = {
    challengeId: "ch-v1",
    nonce: "7",
    schemaId: CREDIT.schemaId.toString(),
    queryHash: compiled.queryHash.toString(),
    predicates: [{ op: compiled.predicates[0]?.op, i: 2, j: 0, a: "650", b: "0" }],
  };

  it("reads a query request as before, with circuit query, and writes it back without a circuit", () => {
    const request = parseProofRequest(v1, K);
    expect(request).toMatchObject({ circuit: "query", challengeId: "ch-v1", nonce: 7n });
    expect(proofRequestToJson(request)).toEqual(v1);
    expect(parseProofRequest({ ...v1, circuit: "query" }, K)).toEqual(request);
    // a challenge that carries the v2 fields empty is a query challenge all the same
    expect(
      parseProofRequest({ ...v1, circuit: "query", table: null, link: null, linked: null }, K),
    ).toEqual(request);
  });

  it("has one part only, and refuses the v2 fields", async () => {
    expect(refusal(v1, 1)).toBe("part 1 is out of range: the challenge has 1 part (0 to 0)");
    expect(refusal({ ...v1, link: 0 })).toBe(
      "link is a field of query_v2 challenges: this one is for the query circuit",
    );
    const err = await caught(() => parseProofRequest({ ...v1, queryHash: "1" }, K));
    expect(err.code).toBe("INVALID_CHALLENGE");
  });
});
