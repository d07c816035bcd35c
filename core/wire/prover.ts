/**
 * The prover API's wire format, as zod schemas: the service validates requests with them and
 * its OpenAPI document is generated from them.
 */
import { z } from "zod";
import { proofRequestSchema } from "../proof-request.js";
import { errorResponse, MAX_BATCH } from "./common.js";
import { presentationSchema } from "./verifier.js";

const recordId = z.string().min(1).max(128).describe("The record's id in the holder's vault");

/**
 * `POST /v1/presentations`. The challenge is checked apart (`parseProofRequest`), so that a bad
 * one is `INVALID_CHALLENGE` rather than a generic `INVALID_REQUEST`.
 */
export const presentationRequest = z.strictObject({
  recordId,
  challenge: z.unknown(),
});

/** `POST /v1/presentations/batch` */
export const batchPresentationRequest = z.strictObject({
  items: z.array(presentationRequest).min(1).max(MAX_BATCH),
});

/** `POST /v1/presentations` as documented: the challenge is a proof request. */
export const presentationRequestDoc = z.strictObject({
  recordId,
  challenge: proofRequestSchema.describe(
    "The verifier's challenge, forwarded whole (or only its proof request: challengeId, nonce, schemaId, queryHash, predicates)",
  ),
});

/** `POST /v1/presentations/batch`: one result per item, in order. */
export const batchPresentationResponse = z.strictObject({
  results: z.array(z.union([z.strictObject({ presentation: presentationSchema }), errorResponse])),
});

/** The pool's state, in `/healthz`. */
export const proverHealthResponse = z.strictObject({
  status: z.enum(["ok", "no workers"]),
  pool: z.strictObject({
    queued: z.number().int().describe("Proofs waiting for a worker"),
    queuedRequests: z
      .number()
      .int()
      .describe("Requests waiting for a worker: what the bound counts"),
    running: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    workers: z.number().int(),
  }),
});
