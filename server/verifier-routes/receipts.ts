/** Receipts of decisions, and the status of a root in the on-chain registry. */
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { DECIMAL_PATTERN, isFieldElement } from "../../core/field.js";
import { receiptJson } from "../verifier-api.js";
import { type VerifierRoute, verifierRoute } from "./context.js";

export const RECEIPT_ROUTES: VerifierRoute[] = [
  verifierRoute(
    "get",
    "/v1/receipts/{id}",
    {
      summary: "Read a receipt (yours; the admin reads all)",
      tag: "receipts",
      ok: [
        "200",
        "Receipt",
        "The receipt: ids, time, policy, root, issuer, verdict; no record data",
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
        ctx.body = receiptJson(receipt);
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
