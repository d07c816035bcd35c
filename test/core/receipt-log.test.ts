import { describe, expect, it } from "vitest";
import {
  checkLog,
  EMPTY_LOG_HEAD,
  entryHash,
  entryLine,
  LOG_GENESIS,
  type LogAnchor,
  type LogEntry,
  type LogHead,
  type LogReceipt,
  nextEntry,
  parseLog,
} from "../../core/receipt-log.js";

function receipt(i: number): LogReceipt {
  return {
    id: `rcpt_${i}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    policyId: i % 2 === 0 ? "kyc-basic" : "credit",
    challengeId: `chal_${i}`,
    root: String(1000 + i),
    issuer: "0x0000000000000000000000000000000000000001",
    verified: i % 3 !== 0,
    reasons: i % 3 === 0 ? ["ROOT_UNKNOWN"] : [],
    clientId: "key_client",
  };
}

/** An honest log of `n` entries. */
function honest(n: number): LogEntry[] {
  const out: LogEntry[] = [];
  let head: LogHead = EMPTY_LOG_HEAD;
  for (let i = 1; i <= n; i++) {
    const e = nextEntry(head, receipt(i));
    out.push(e);
    head = { count: e.seq, head: e.hash };
  }
  return out;
}

const anchorOf = (log: readonly LogEntry[], count: number): LogAnchor => ({
  count,
  head: (log[count - 1] as LogEntry).hash,
});

const text = (log: readonly LogEntry[]) => `${log.map(entryLine).join("\n")}\n`;

function check(lines: string, anchors: LogAnchor[]) {
  const { entries, problems } = parseLog(lines);
  return checkLog(entries, anchors, problems);
}

const kinds = (r: ReturnType<typeof check>) => r.problems.map((p) => [p.kind, p.seqs]);

describe("the receipt log's chain", () => {
  const log = honest(10);
  const anchors = [anchorOf(log, 4), anchorOf(log, 8)];

  it("links each entry to its predecessor, the first to 32 zero bytes", () => {
    expect(log[0]?.prev).toBe(LOG_GENESIS);
    for (let i = 1; i < log.length; i++) expect(log[i]?.prev).toBe(log[i - 1]?.hash);
    const first = log[0] as LogEntry;
    expect(entryHash(1, LOG_GENESIS, first.receipt)).toBe(first.hash);
    // The hash is of canonical JSON: key order does not matter, content does.
    const reordered = { ...first.receipt, id: first.receipt.id } as LogReceipt;
    expect(entryHash(1, LOG_GENESIS, reordered)).toBe(first.hash);
    expect(entryHash(2, LOG_GENESIS, first.receipt)).not.toBe(first.hash);
  });

  it("passes an honest export, naming the unanchored tail", () => {
    const r = check(text(log), anchors);
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.verifiedUpTo).toBe(8);
    expect(r.unanchored).toEqual({ from: 9, to: 10 });
    expect(r.head).toEqual({ count: 10, head: log[9]?.hash });
  });

  it("passes an empty log with no anchors", () => {
    const r = check("", []);
    expect(r).toMatchObject({ ok: true, verifiedUpTo: 0, unanchored: null, head: EMPTY_LOG_HEAD });
  });

  it("names a removed entry", () => {
    const r = check(text(log.filter((e) => e.seq !== 3)), anchors);
    expect(r.ok).toBe(false);
    expect(kinds(r)).toEqual([["removed", [3, 3]]]);
    expect(r.verifiedUpTo).toBe(0);
  });

  it("names several removed entries as one range", () => {
    const r = check(text(log.filter((e) => e.seq < 5 || e.seq > 7)), anchors);
    expect(kinds(r)).toEqual([["removed", [5, 7]]]);
    expect(r.verifiedUpTo).toBe(4);
  });

  it("names an entry altered in place", () => {
    const altered = log.map((e) =>
      e.seq === 6 ? { ...e, receipt: { ...e.receipt, verified: !e.receipt.verified } } : e,
    );
    const r = check(text(altered), anchors);
    expect(kinds(r)).toEqual([["altered", [6]]]);
    expect(r.problems[0]?.lines).toEqual([6]);
    expect(r.verifiedUpTo).toBe(4);
  });

  it("names an entry altered with its hash recomputed (the next link breaks)", () => {
    const altered = log.map((e) => {
      if (e.seq !== 2) return e;
      const changed = { ...e.receipt, reasons: ["POLICY_MISMATCH"] };
      return { ...e, receipt: changed, hash: entryHash(2, e.prev, changed) };
    });
    const r = check(text(altered), anchors);
    expect(kinds(r)).toEqual([["altered", [2]]]);
  });

  it("names reordered entries", () => {
    const swapped = [...log];
    [swapped[4], swapped[5]] = [swapped[5] as LogEntry, swapped[4] as LogEntry];
    const r = check(text(swapped), anchors);
    expect(r.problems.map((p) => p.kind)).toEqual(["reordered"]);
    expect([5, 6]).toContain(r.problems[0]?.seqs[0]);
  });

  it("names one entry moved far as the one out of place", () => {
    const moved = [log[6] as LogEntry, ...log.filter((e) => e.seq !== 7)];
    const r = check(text(moved), anchors);
    expect(kinds(r)).toEqual([["reordered", [7]]]);
    expect(r.problems[0]?.lines).toEqual([1]);
  });

  it("names an inserted entry that takes an existing number", () => {
    const base = log[3] as LogEntry; // seq 4
    const fake = nextEntry({ count: 3, head: base.prev }, { ...receipt(99), id: "rcpt_fake" });
    const withFake = [...log.slice(0, 4), fake, ...log.slice(4)];
    const r = check(text(withFake), anchors);
    expect(kinds(r)).toEqual([["inserted", [4]]]);
    expect(r.problems[0]?.lines).toEqual([5]);
  });

  it("names an export truncated before the last anchor", () => {
    const r = check(text(log.slice(0, 6)), anchors);
    expect(kinds(r)).toEqual([["truncated", [7, 8]]]);
    expect(r.verifiedUpTo).toBe(4);
  });

  it("names a chain rewritten consistently by the anchor it no longer matches", () => {
    // Entry 6 changed and every hash from it on recomputed: links hold, the anchor at 8 does not.
    const rewritten: LogEntry[] = log.slice(0, 5);
    let head: LogHead = { count: 5, head: (log[4] as LogEntry).hash };
    for (const e of log.slice(5)) {
      const r = e.seq === 6 ? { ...e.receipt, verified: true, reasons: [] } : e.receipt;
      const next = nextEntry(head, r);
      rewritten.push(next);
      head = { count: next.seq, head: next.hash };
    }
    const r = check(text(rewritten), anchors);
    expect(kinds(r)).toEqual([["anchor-mismatch", [5, 8]]]);
    expect(r.verifiedUpTo).toBe(4);
  });

  it("names malformed lines and proves nothing then", () => {
    const lines = text(log).replace(entryLine(log[2] as LogEntry), "{not json");
    const r = check(lines, anchors);
    expect(r.problems.map((p) => [p.kind, p.lines])).toEqual([
      ["malformed", [3]],
      ["removed", []],
    ]);
    expect(r.verifiedUpTo).toBe(0);
  });

  it("names every problem of an export tampered several ways at once", () => {
    const t = [...log];
    t.splice(1, 1); // remove 2
    const four = t[2] as LogEntry;
    t[2] = { ...four, receipt: { ...four.receipt, policyId: "other" } }; // alter 4
    const r = check(text(t.slice(0, 6)), anchors); // ends at 7, before the anchor at 8
    expect(kinds(r)).toEqual([
      ["removed", [2, 2]],
      ["altered", [4]],
      ["truncated", [8, 8]],
    ]);
  });
});
