/** Receipts of decisions, and the status of a root in the on-chain registry. */
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { DECIMAL_PATTERN, isFieldElement } from "../../core/field.js";
import { ID_PATTERN, parseQuery } from "../../core/wire/common.js";
import { receiptListQuery } from "../../core/wire/verifier.js";
import type { ReceiptQuery } from "../../verifier/store.js";
import { receiptDetailJson, receiptJson } from "../verifier-api.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

/** Receipts per page unless `limit` says otherwise. */
const DEFAULT_PAGE = 50;

/** A page's cursor: the last receipt's time and id, as base64url JSON (opaque to clients). */
export function encodeCursor(last: { readonly createdAt: Date; readonly id: string }): string {
  return Buffer.from(JSON.stringify([last.createdAt.getTime(), last.id])).toString("base64url");
}

/** The cursor's receipt position, or `INVALID_REQUEST`. */
export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    Number.isSafeInteger(parsed[0]) &&
    parsed[0] >= 0 &&
    typeof parsed[1] === "string" &&
    ID_PATTERN.test(parsed[1])
  ) {
    return { createdAt: new Date(parsed[0]), id: parsed[1] };
  }
  throw new CrossproofError(
    ErrorCode.INVALID_REQUEST,
    "invalid request: cursor is not a cursor this service gave (pass the previous page's next)",
    { details: { issues: [{ path: "cursor", message: "not a cursor of this service" }] } },
  );
}

export const RECEIPT_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "get",
    "/v1/receipts",
    {
      summary: "List receipts, newest first (yours; the admin lists all)",
      description:
        "Filters: verdict, policy, reason, a time window [from, to). Pages of limit receipts (default 50, at most 200); pass a page's next as cursor for the page after it.",
      tag: "receipts",
      query: receiptListQuery,
      ok: ["200", "ReceiptList", "A page of receipts and the cursor of the next"],
    },
    ({ store }) =>
      async (ctx) => {
        const q = parseQuery(receiptListQuery, ctx.query);
        const limit = q.limit === undefined ? DEFAULT_PAGE : Number(q.limit);
        if (limit > 200) {
          throw new CrossproofError(
            ErrorCode.INVALID_REQUEST,
            "invalid request: limit must be at most 200",
            { details: { issues: [{ path: "limit", message: "at most 200" }] } },
          );
        }
        const query: ReceiptQuery = {
          // A client lists its own receipts; the admin lists all.
          ...(ctx.state.caller.role === "admin" ? {} : { clientId: ctx.state.caller.id }),
          ...(q.verdict === undefined ? {} : { verified: q.verdict === "verified" }),
          ...(q.policy === undefined ? {} : { policyId: q.policy }),
          ...(q.reason === undefined ? {} : { reason: q.reason }),
          ...(q.from === undefined ? {} : { from: new Date(q.from) }),
          ...(q.to === undefined ? {} : { to: new Date(q.to) }),
          ...(q.cursor === undefined ? {} : { before: decodeCursor(q.cursor) }),
          // One more than a page: whether there is a next page.
          limit: limit + 1,
        };
        const found = await store.listReceipts(query);
        const page = found.slice(0, limit);
        const last = page.at(-1);
        ctx.body = {
          receipts: page.map(receiptJson),
          next: found.length > limit && last ? encodeCursor(last) : null,
        };
      },
  ),
  verifierRoute(
    "get",
    "/v1/receipts/{id}",
    {
      summary: "Read a receipt and its checks (yours; the admin reads all)",
      tag: "receipts",
      ok: [
        "200",
        "Receipt",
        "The receipt: ids, time, policy, root, issuer, verdict, each check's outcome; no record data",
      ],
      errors: { "404": "No such receipt (NOT_FOUND)" },
    },
    ({ verifier }) =>
      async (ctx) => {
        const receipt = await verifier.receipt(ctx.params.id as string);
        // A client sees its own receipts; the admin sees all.
        if (ctx.state.caller.role !== "admin" && receipt.clientId !== ctx.state.caller.id) {
          throw new CrossproofError(ErrorCode.NOT_FOUND, `no receipt "${receipt.id}"`);
        }
        ctx.body = receiptDetailJson(receipt);
      },
  ),
  verifierRoute(
    "get",
    "/v1/roots/{root}",
    {
      summary: "A root's status in the on-chain registry",
      tag: "roots",
      ok: ["200", "RootStatus", "What the registry records about the root"],
    },
    ({ roots }) =>
      async (ctx) => {
        const text = ctx.params.root as string;
        const root = DECIMAL_PATTERN.test(text) ? BigInt(text) : -1n;
        if (root < 0n || !isFieldElement(root)) {
          throw new CrossproofError(
            ErrorCode.INVALID_REQUEST,
            "root must be a decimal field element",
          );
        }
        const status = await roots.lookupRoot(root);
        ctx.body = {
          root: root.toString(),
          anchored: status !== null,
          issuer: status?.issuer ?? null,
          schemaId: status?.schemaId.toString() ?? null,
          anchoredAt: status?.anchoredAt.toISOString() ?? null,
          replacedAt: status?.replacedAt?.toISOString() ?? null,
          revokedAt: status?.revokedAt?.toISOString() ?? null,
          issuerActive: status?.issuerActive ?? null,
        };
      },
  ),
];
