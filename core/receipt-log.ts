/**
 * The receipt log: every receipt, in the order the store recorded it, in a hash chain. Entry
 * `seq` (1, 2, …) commits to its predecessor's hash (`prev`; entry 1's is 32 zero bytes) and to
 * the receipt's fields, so changing, removing, inserting or moving an entry breaks a link, and
 * rewriting the chain from some entry on changes every later hash: the chain's head (its count
 * and last hash) anchored on chain from time to time then no longer matches.
 *
 * This module is the log's pure logic, with no I/O: hashing an entry, parsing an export (JSON
 * Lines) and checking one against the anchors, naming every problem with its sequence numbers.
 * The stores (`verifier/`) sequence entries, the anchorer writes heads on chain, and
 * `crossproof audit verify` checks an export.
 *
 * An entry holds what a receipt holds (ids, time, policy, root, issuer, verdict, reason codes,
 * the API key's id) and nothing of a subject: no subject hash, no nonce, no disclosed value.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import canonicalize from "canonicalize";
import { z } from "zod";

/** A 32-byte hash, 0x-prefixed lowercase hex (a `bytes32` on chain). */
export type LogHash = `0x${string}`;

/** The `prev` of entry 1: 32 zero bytes. */
export const LOG_GENESIS: LogHash = `0x${"0".repeat(64)}`;

const HASH = /^0x[0-9a-f]{64}$/;

/** A receipt as the log holds it (wire form: times ISO-8601, the root a decimal string). */
export interface LogReceipt {
  readonly id: string;
  readonly createdAt: string;
  readonly policyId: string;
  readonly challengeId: string | null;
  readonly root: string | null;
  readonly issuer: string | null;
  readonly verified: boolean;
  readonly reasons: readonly string[];
  readonly clientId: string;
  /** A linked verification's further records: each one's root and issuer (absent otherwise). */
  readonly linked?: readonly { readonly root: string; readonly issuer: string | null }[];
}

/** One line of the log. */
export interface LogEntry {
  readonly seq: number;
  readonly prev: LogHash;
  readonly hash: LogHash;
  readonly receipt: LogReceipt;
}

/** The log's head: how many entries it has and the last one's hash (`LOG_GENESIS` if none). */
export interface LogHead {
  readonly count: number;
  readonly head: LogHash;
}

/** The head of an empty log. */
export const EMPTY_LOG_HEAD: LogHead = { count: 0, head: LOG_GENESIS };

/** A head written on chain. */
export interface LogAnchor extends LogHead {
  readonly txHash?: string;
  readonly blockNumber?: string;
  readonly anchoredAt?: string;
}

const hashSchema = z.string().regex(HASH, "a 0x-prefixed 32-byte lowercase hex hash");

/** The schema of one exported line. */
export const logEntrySchema = z.strictObject({
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  prev: hashSchema,
  hash: hashSchema,
  receipt: z.strictObject({
    id: z.string(),
    createdAt: z.string(),
    policyId: z.string(),
    challengeId: z.string().nullable(),
    root: z.string().nullable(),
    issuer: z.string().nullable(),
    verified: z.boolean(),
    reasons: z.array(z.string()),
    clientId: z.string(),
    linked: z
      .array(z.strictObject({ root: z.string(), issuer: z.string().nullable() }))
      .min(1)
      .optional(),
  }),
});

/** sha256 of the RFC 8785 canonical JSON of `{seq, prev, receipt}`. */
export function entryHash(seq: number, prev: LogHash, receipt: LogReceipt): LogHash {
  const canonical = canonicalize({ seq, prev, receipt }) as string;
  return `0x${bytesToHex(sha256(new TextEncoder().encode(canonical)))}`;
}

/** The entry that follows `head` for `receipt`. */
export function nextEntry(head: LogHead, receipt: LogReceipt): LogEntry {
  const seq = head.count + 1;
  return { seq, prev: head.head, hash: entryHash(seq, head.head, receipt), receipt };
}

/** An entry as one line of an export (no newline). */
export function entryLine(entry: LogEntry): string {
  return JSON.stringify({
    seq: entry.seq,
    prev: entry.prev,
    hash: entry.hash,
    receipt: entry.receipt,
  });
}

/** An entry read from an export, with the line it was on (1-based). */
export interface ParsedEntry extends LogEntry {
  readonly line: number;
}

/** Kinds of problem `checkLog` names. */
export type LogProblemKind =
  /** A line is not a log entry (not JSON, or not the entry's shape). */
  | "malformed"
  /** Entries missing inside the log (their sequence numbers absent). */
  | "removed"
  /** An entry's content no longer matches its hash, or its hash no longer matches the next link. */
  | "altered"
  /** An entry is out of its place (moved before an entry it follows). */
  | "reordered"
  /** An entry that is not in the chain: a second entry for a number, linked to nothing after. */
  | "inserted"
  /** Entries an anchor counts are missing at the end: the log was cut before the last anchor. */
  | "truncated"
  /** The log's hash at an anchored count is not the anchored head: the chain was rewritten. */
  | "anchor-mismatch";

/** One problem of an export. */
export interface LogProblem {
  readonly kind: LogProblemKind;
  /** The sequence numbers concerned (for `removed` and `truncated`, the first and last missing). */
  readonly seqs: readonly number[];
  /** The export's lines concerned (1-based), when they exist. */
  readonly lines: readonly number[];
  readonly message: string;
}

/** What `checkLog` found. */
export interface LogCheck {
  /** True when no problem was found (an unanchored tail is not a problem: it is not yet provable). */
  readonly ok: boolean;
  /** Entries in the export (well-formed lines). */
  readonly entries: number;
  /** The export's head (its highest sequence number and that entry's hash). */
  readonly head: LogHead;
  /** The last anchor, if any. */
  readonly lastAnchor: LogAnchor | null;
  /** The highest anchored count up to which the export is proven intact (0: none). */
  readonly verifiedUpTo: number;
  /** Entries after the last anchor: present, intact as a chain, not yet provable. */
  readonly unanchored: { readonly from: number; readonly to: number } | null;
  readonly problems: readonly LogProblem[];
}

/** Parses an export (JSON Lines; blank lines ignored). Malformed lines are returned as problems. */
export function parseLog(text: string): { entries: ParsedEntry[]; problems: LogProblem[] } {
  const entries: ParsedEntry[] = [];
  const problems: LogProblem[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      problems.push({ kind: "malformed", seqs: [], lines: [i + 1], message: "not JSON" });
      continue;
    }
    const parsed = logEntrySchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      problems.push({
        kind: "malformed",
        seqs: [],
        lines: [i + 1],
        message: `not a log entry (${issue ? `${issue.path.join(".") || "line"}: ${issue.message}` : "invalid"})`,
      });
      continue;
    }
    entries.push({ ...(parsed.data as LogEntry), line: i + 1 });
  }
  return { entries, problems };
}

/** Consecutive numbers as `[first, last]` ranges. */
function ranges(numbers: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const n of numbers) {
    const last = out[out.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

const span = (a: number, b: number) => (a === b ? `seq ${a}` : `seqs ${a}–${b}`);

/** Indices (into `values`) of one longest strictly increasing subsequence. */
function longestIncreasing(values: readonly number[]): Set<number> {
  const tails: number[] = []; // index of the last element of the best run of each length
  const before: number[] = new Array(values.length).fill(-1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((values[tails[mid] as number] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) before[i] = tails[lo - 1] as number;
    tails[lo] = i;
  }
  const kept = new Set<number>();
  for (let i = tails[tails.length - 1] ?? -1; i >= 0; i = before[i] as number) kept.add(i);
  return kept;
}

/**
 * Checks an export against the anchors read from the chain and names every problem:
 *
 * - `malformed` lines (from `parseLog`, passed in `parseProblems`);
 * - `altered`: an entry whose fields no longer hash to its hash, or whose hash was recomputed
 *   (the next entry no longer links to it);
 * - `inserted`: a second entry for a sequence number, that no later entry links to and no anchor
 *   names;
 * - `removed`: sequence numbers missing inside the export;
 * - `reordered`: entries out of their place;
 * - `truncated`: entries an anchor counts that are missing at the end;
 * - `anchor-mismatch`: the hash at an anchored count is not the anchored head (the chain was
 *   rewritten consistently since the previous matching anchor).
 *
 * What it cannot see: changes to the unanchored tail made consistently (recomputing the hashes),
 * including entries appended to it or removed from its end; it reports the tail's extent.
 */
export function checkLog(
  entries: readonly ParsedEntry[],
  anchors: readonly LogAnchor[],
  parseProblems: readonly LogProblem[] = [],
): LogCheck {
  const problems: LogProblem[] = [...parseProblems];
  const sortedAnchors = [...anchors].sort((a, b) => a.count - b.count);
  const anchorAt = new Map<number, LogHash>();
  for (const a of sortedAnchors) anchorAt.set(a.count, a.head);

  // Which entry of each sequence number is the chain's: the one the next entry links to, or
  // the one an anchor names, or else the first in the file. Any other is inserted.
  const bySeq = new Map<number, ParsedEntry[]>();
  for (const e of entries) bySeq.set(e.seq, [...(bySeq.get(e.seq) ?? []), e]);
  const linkedTo = new Set<string>();
  for (const e of entries) linkedTo.add(`${e.seq - 1}:${e.prev}`);
  const chain = new Map<number, ParsedEntry>();
  for (const [seq, candidates] of bySeq) {
    const genuine =
      candidates.find((e) => linkedTo.has(`${seq}:${e.hash}`)) ??
      candidates.find((e) => anchorAt.get(seq) === e.hash) ??
      (candidates[0] as ParsedEntry);
    chain.set(seq, genuine);
    for (const e of candidates) {
      if (e === genuine) continue;
      problems.push({
        kind: "inserted",
        seqs: [seq],
        lines: [e.line],
        message: `line ${e.line} is a second entry numbered ${seq}, linked to by no entry after it: inserted`,
      });
    }
  }

  // Removed: numbers missing between 1 and the highest present.
  const maxSeq = Math.max(0, ...chain.keys());
  const missing: number[] = [];
  for (let s = 1; s <= maxSeq; s++) if (!chain.has(s)) missing.push(s);
  for (const [a, b] of ranges(missing)) {
    problems.push({
      kind: "removed",
      seqs: [a, b],
      lines: [],
      message: `${span(a, b)} ${a === b ? "is" : "are"} missing: removed`,
    });
  }

  // Reordered: the chain's entries in file order should have increasing numbers; those outside
  // one longest increasing run are out of place.
  const inFileOrder = entries.filter((e) => chain.get(e.seq) === e);
  const kept = longestIncreasing(inFileOrder.map((e) => e.seq));
  inFileOrder.forEach((e, i) => {
    if (kept.has(i)) return;
    problems.push({
      kind: "reordered",
      seqs: [e.seq],
      lines: [e.line],
      message: `seq ${e.seq} is out of place (line ${e.line}): reordered`,
    });
  });

  // Altered: content that does not hash to the entry's hash, or a hash recomputed after a change
  // (the next entry's link no longer matches it).
  for (let s = 1; s <= maxSeq; s++) {
    const e = chain.get(s);
    if (!e) continue;
    if (entryHash(e.seq, e.prev, e.receipt) !== e.hash) {
      problems.push({
        kind: "altered",
        seqs: [s],
        lines: [e.line],
        message: `seq ${s} (line ${e.line}) does not match its hash: altered`,
      });
      continue;
    }
    const prevEntry = s === 1 ? undefined : chain.get(s - 1);
    const expectedPrev = s === 1 ? LOG_GENESIS : prevEntry?.hash;
    if (expectedPrev !== undefined && e.prev !== expectedPrev) {
      const culprit = s === 1 ? e : (prevEntry as ParsedEntry);
      problems.push({
        kind: "altered",
        seqs: [culprit.seq],
        lines: [culprit.line],
        message:
          s === 1
            ? `seq 1 (line ${e.line}) does not start the chain: altered`
            : `seq ${s} does not link to seq ${s - 1} (line ${culprit.line}): seq ${s - 1} was altered and its hash recomputed`,
      });
    }
  }

  // Anchors: each anchored count's entry must carry the anchored head; the last anchor's count
  // must be present.
  let lastGood = 0;
  const matched: number[] = [];
  const lastAnchor = sortedAnchors[sortedAnchors.length - 1] ?? null;
  for (const a of sortedAnchors) {
    if (a.count > maxSeq) continue;
    const e = chain.get(a.count);
    if (!e) continue; // reported as removed
    if (e.hash !== a.head) {
      problems.push({
        kind: "anchor-mismatch",
        seqs: [lastGood + 1, a.count],
        lines: [e.line],
        message: `the head anchored at count ${a.count} is not seq ${a.count}'s hash: the log was rewritten within ${span(lastGood + 1, a.count)}`,
      });
      continue;
    }
    lastGood = a.count;
    matched.push(a.count);
  }
  if (lastAnchor && lastAnchor.count > maxSeq) {
    problems.push({
      kind: "truncated",
      seqs: [maxSeq + 1, lastAnchor.count],
      lines: [],
      message: `the last anchor counts ${lastAnchor.count} entries, the export ends at seq ${maxSeq}: ${span(maxSeq + 1, lastAnchor.count)} cut off (truncated)`,
    });
  }
  // Proven intact up to the highest matching anchor below every problem (a malformed line, of
  // no known number, leaves nothing proven).
  const firstProblem = Math.min(
    Number.POSITIVE_INFINITY,
    ...problems.map((p) => (p.seqs.length > 0 ? (p.seqs[0] as number) : 0)),
  );
  const verifiedUpTo = Math.max(0, ...matched.filter((c) => c < firstProblem));

  const anchoredCount = lastAnchor?.count ?? 0;
  const headEntry = chain.get(maxSeq);
  return {
    ok: problems.length === 0,
    entries: entries.length,
    head: { count: maxSeq, head: headEntry?.hash ?? LOG_GENESIS },
    lastAnchor,
    verifiedUpTo,
    unanchored: maxSeq > anchoredCount ? { from: anchoredCount + 1, to: maxSeq } : null,
    problems: problems.sort(
      (a, b) => (a.seqs[0] ?? 0) - (b.seqs[0] ?? 0) || (a.lines[0] ?? 0) - (b.lines[0] ?? 0),
    ),
  };
}
