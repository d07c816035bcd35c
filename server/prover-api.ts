/**
 * The prover API's wire shapes, as zod schemas, and its OpenAPI description: requests are
 * validated with these schemas and `/openapi.json` and `/docs` are generated from them.
 */
import { z } from "zod";
import { errorResponse, MAX_BATCH } from "../core/wire/common.js";
import {
  batchPresentationResponse,
  presentationRequestDoc,
  proverHealthResponse,
} from "../core/wire/prover.js";
import { presentationSchema } from "../core/wire/verifier.js";
import { type ApiDescription, DOCUMENT_OPERATIONS } from "./api-doc.js";

const QUEUE_NOTE =
  "The proving queue is bounded in requests, not proofs: a batch takes one place, and once accepted every item is proved (requests take turns at the workers). QUEUE_FULL (503, Retry-After) means every worker is busy and the queue is full.";

/** The prover API. */
export const PROVER_API: ApiDescription = {
  info: {
    title: "crossproof prover API",
    version: "1.0.0",
    description:
      "The holder's side: prove that a record in this vault meets a verifier's challenge. It runs inside the holder's boundary (it listens on 127.0.0.1 by default) and needs no key; what it returns is the presentation alone: the challenge id, the Groth16 proof and its public signals, never a record field, salt or Merkle path.",
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
    BatchPresentation: [batchPresentationResponse, "output"],
    Health: [proverHealthResponse, "output"],
  },
  operations: {
    "/v1/presentations": {
      post: {
        summary: "Prove that a record meets a challenge",
        description: `The answer is the presentation itself, to forward to the verifier as it is. ${QUEUE_NOTE}`,
        tag: "presentations",
        body: "PresentationRequest",
        ok: ["200", "Presentation", "The presentation: {challengeId, proof, publicSignals}"],
        errors: {
          "404": "No such record (UNKNOWN_RECORD)",
          "409": "The record is not in an anchored tree yet (RECORD_NOT_IN_TREE, ROOT_PENDING)",
          "410": "The record was revoked (RECORD_REVOKED)",
          "422": "The record does not meet the challenge (PREDICATE_UNSATISFIED)",
          "500": "A proving worker failed (PROVER_FAILED); the request can be sent again",
          "504": "The proof took too long and was abandoned (PROVE_TIMEOUT)",
        },
      },
    },
    "/v1/presentations/batch": {
      post: {
        summary: `Prove up to ${MAX_BATCH} presentations`,
        description: `One result per item, in order: {presentation} or an error body. ${QUEUE_NOTE}`,
        tag: "presentations",
        body: "BatchPresentationRequest",
        ok: ["200", "BatchPresentation", "One result per item"],
      },
    },
    "/healthz": {
      get: {
        summary: "Liveness and the proving pool's state",
        tag: "operations",
        public: true,
        ok: ["200", "Health", "Workers are up"],
        errors: { "503": "No worker is up" },
        errorSchemas: { "503": "Health" },
      },
    },
    ...DOCUMENT_OPERATIONS,
  },
  commonErrors: {
    "400":
      "Malformed request (INVALID_REQUEST), or a challenge that is malformed, for another schema, or whose predicates do not hash to its queryHash (INVALID_CHALLENGE)",
    "413": "Body over the limit (BODY_TOO_LARGE)",
    "415": "Body not application/json (UNSUPPORTED_MEDIA_TYPE)",
    "503":
      "Nothing proved; retry after Retry-After (QUEUE_FULL, REQUEST_TIMEOUT, POOL_CLOSED, VAULT_UNAVAILABLE)",
  },
};
