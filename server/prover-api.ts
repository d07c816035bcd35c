/**
 * The prover API's OpenAPI description, from its route table (`prover-routes.ts`) and the zod
 * schemas it validates and answers with (`core/wire/`); `/openapi.json` and `/docs` are
 * generated from it.
 */
import { z } from "zod";
import { errorResponse, MAX_BATCH } from "../core/wire/common.js";
import {
  batchPresentationResponse,
  linkedPresentationRequestDoc,
  linkedPresentationResponse,
  presentationRequestDoc,
  proverHealthResponse,
} from "../core/wire/prover.js";
import { presentationSchema } from "../core/wire/verifier.js";
import type { ApiDescription } from "./api-doc.js";
import { PROVER_ROUTES } from "./prover-routes.js";
import { operationsOf } from "./routes.js";

/** The prover API. */
export const PROVER_API: ApiDescription = {
  info: {
    title: "crossproof prover API",
    version: "1.0.0",
    description:
      "The holder's side: prove that a record in this service's vault (or one of its vaults, by bureau) meets a verifier's challenge, or that several records meet the parts of a linked challenge. It runs inside the holder's boundary (it listens on 127.0.0.1 by default) and needs no key; what it returns is the presentation alone: the challenge id, the Groth16 proofs and their public signals, never a record field, salt, Merkle path or link nonce.",
  },
  tags: ["presentations", "operations"],
  components: {
    Error: [errorResponse, "output"],
    PresentationRequest: [presentationRequestDoc, "input"],
    BatchPresentationRequest: [
      z.strictObject({ items: z.array(presentationRequestDoc).min(1).max(MAX_BATCH) }),
      "input",
    ],
    Presentation: [presentationSchema, "output"],
    LinkedPresentationRequest: [linkedPresentationRequestDoc, "input"],
    LinkedPresentation: [linkedPresentationResponse, "output"],
    BatchPresentation: [batchPresentationResponse, "output"],
    Health: [proverHealthResponse, "output"],
  },
  operations: operationsOf(PROVER_ROUTES),
  commonErrors: {
    "400":
      "Malformed request (INVALID_REQUEST), or a challenge that is malformed, for another schema, whose predicates (and for query_v2 table and link) do not hash to its queryHash, with no such part, or with a linkNonce missing for a part with a link or given for one without (INVALID_CHALLENGE)",
    "413": "Body over the limit (BODY_TOO_LARGE)",
    "415": "Body not application/json (UNSUPPORTED_MEDIA_TYPE)",
    "503":
      "Nothing proved; retry after Retry-After (QUEUE_FULL, REQUEST_TIMEOUT, POOL_CLOSED, VAULT_UNAVAILABLE)",
  },
};
