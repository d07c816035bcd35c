/**
 * The auditor's views (roles admin and auditor): verifications in aggregate, the receipt log
 * and its integrity. Nothing here shows a subject hash, a challenge nonce, a key's secret or a
 * receipt's checks: the log's entries are receipts (ids, time, policy, root, issuer, verdict,
 * reason codes, the asking key's id), chained (`core/receipt-log.ts`).
 */
import { z } from "zod";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { entryLine } from "../../core/receipt-log.js";
import {
  FLOW_BUCKETS,
  FLOW_DIMENSIONS,
  type FlowBucket,
  type FlowDimension,
} from "../../verifier/store.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

const AUDIT_ROLES = ["admin", "auditor"] as const;

/** An optional query parameter, for the OpenAPI document (the handlers parse their own). */
const doc = (description: string) => z.string().optional().describe(description);

/** Longest window of `/v1/audit/flows`: 400 days. */
const MAX_FLOW_WINDOW_MS = 400 * 86_400_000;
/** Entries per `/v1/audit/log` answer, at most and by default. */
const MAX_LOG_LIMIT = 10_000;
const DEFAULT_LOG_LIMIT = 1_000;

function bad(message: string, parameter: string): never {
  throw new CrossproofError(ErrorCode.INVALID_REQUEST, message, { details: { parameter } });
}

/** A query parameter given once, or undefined. */
function param(query: Record<string, string | string[] | undefined>, name: string) {
  const value = query[name];
  if (Array.isArray(value)) bad(`${name} may be given once`, name);
  return value === undefined || value === "" ? undefined : value;
}

function integer(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,16}$/.test(text) || Number(text) > max) {
    bad(`${name} must be an integer from 0 to ${max}`, name);
  }
  return Number(text);
}

function time(text: string | undefined, name: string, fallback: Date): Date {
  if (text === undefined) return fallback;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) {
    bad(`${name} must be an ISO-8601 time`, name);
  }
  return new Date(ms);
}

export const AUDIT_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "get",
    "/v1/audit/flows",
    {
      summary: "Verifications in aggregate, by policy, issuer, verdict or reason per hour or day",
      tag: "audit",
      roles: AUDIT_ROLES,
      query: z.object({
        by: doc("policy | issuer | verdict | reason (default verdict)"),
        bucket: doc("hour | day (default day)"),
        from: doc("ISO-8601 start, inclusive (default: 7 days before `to`)"),
        to: doc("ISO-8601 end, exclusive (default: now)"),
      }),
      ok: ["200", "AuditFlows", "Counts per bucket (UTC) and key; no receipt, no subject"],
    },
    ({ store }) =>
      async (ctx) => {
        const q = ctx.query;
        const by = (param(q, "by") ?? "verdict") as FlowDimension;
        if (!FLOW_DIMENSIONS.includes(by))
          bad(`by must be one of ${FLOW_DIMENSIONS.join(", ")}`, "by");
        const bucket = (param(q, "bucket") ?? "day") as FlowBucket;
        if (!Object.hasOwn(FLOW_BUCKETS, bucket)) bad("bucket must be hour or day", "bucket");
        const to = time(param(q, "to"), "to", new Date());
        const from = time(param(q, "from"), "from", new Date(to.getTime() - 7 * 86_400_000));
        if (from.getTime() >= to.getTime()) bad("from must be before to", "from");
        if (to.getTime() - from.getTime() > MAX_FLOW_WINDOW_MS) {
          bad("the window may be at most 400 days", "from");
        }
        const rows = await store.flows({ by, bucket, from, to });
        ctx.body = {
          by,
          bucket,
          from: from.toISOString(),
          to: to.toISOString(),
          rows: rows.map((r) => ({ bucket: r.bucket.toISOString(), key: r.key, count: r.count })),
        };
      },
  ),
  verifierRoute(
    "get",
    "/v1/audit/log",
    {
      summary: "The receipt log, one entry per line (what `crossproof audit export` writes)",
      description:
        "Entries with seq above `after`, in order, at most `limit` (default 1,000, at most 10,000); page on with `after` set to the last seq received. Check an export with `crossproof audit verify`.",
      tag: "audit",
      roles: AUDIT_ROLES,
      query: z.object({
        after: doc("the last seq already read (default 0)"),
        limit: doc("entries at most (default 1,000, at most 10,000)"),
      }),
      ok: ["200", null, "JSON Lines: {seq, prev, hash, receipt}"],
      media: "application/x-ndjson",
    },
    ({ store }) =>
      async (ctx) => {
        const after = integer(param(ctx.query, "after"), "after", 0, Number.MAX_SAFE_INTEGER);
        const limit = integer(param(ctx.query, "limit"), "limit", DEFAULT_LOG_LIMIT, MAX_LOG_LIMIT);
        if (limit === 0) bad("limit must be at least 1", "limit");
        const entries = await store.logEntries(after, limit);
        ctx.type = "application/x-ndjson";
        ctx.body = entries.map((e) => `${entryLine(e)}\n`).join("");
      },
  ),
  verifierRoute(
    "get",
    "/v1/audit/status",
    {
      summary: "The receipt log's integrity: its head, the last anchor, how far it is proven",
      tag: "audit",
      roles: AUDIT_ROLES,
      ok: ["200", "AuditStatus", "The log's head and its anchoring"],
    },
    ({ store, anchorer }) =>
      async (ctx) => {
        const head = await store.logHead();
        const s = anchorer?.status();
        const anchored = s?.lastAnchor?.count ?? 0;
        ctx.body = {
          count: head.count,
          head: head.head,
          lastAnchor: s?.lastAnchor ?? null,
          verifiedUpTo: s?.verifiedUpTo ?? 0,
          unanchored: Math.max(0, head.count - anchored),
          pending: s?.pending ?? null,
          mismatch: s?.mismatch ?? null,
          contract: s?.contract ?? null,
          anchorer: s?.anchorer ?? null,
          chainId: s?.chainId ?? null,
          anchorEvery: s?.every ?? null,
          anchorSeconds: s?.seconds ?? null,
        };
      },
  ),
  verifierRoute(
    "get",
    "/v1/audit/anchors",
    {
      summary: "The receipt log's anchors on chain, newest first",
      tag: "audit",
      roles: AUDIT_ROLES,
      query: z.object({ limit: doc("anchors at most (default 50, at most 1,000)") }),
      ok: ["200", "AuditAnchors", "Anchors: count, head, transaction, block, time"],
    },
    ({ anchorer }) =>
      async (ctx) => {
        const limit = integer(param(ctx.query, "limit"), "limit", 50, 1_000);
        const anchors = anchorer ? await anchorer.anchors() : [];
        ctx.body = { anchors: [...anchors].reverse().slice(0, limit) };
      },
  ),
];
