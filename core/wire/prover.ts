/**
 * The prover API's wire format, as zod schemas: the service validates requests with them and
 * its OpenAPI document is generated from them.
 */
import { z } from "zod";
import type { Groth16Proof } from "../proof.js";
import { MAX_LINKED_RECORDS, proofRequestSchema } from "../proof-request.js";
import {
  decimalString,
  errorResponse,
  fieldElement,
  id,
  MAX_BATCH,
  type Presentation,
} from "./common.js";
import { presentationSchema } from "./verifier.js";

const recordId = z.string().min(1).max(128).describe("The record's id in the holder's vault");

const bureau = id.describe(
  "The vault (bureau) that holds the record, when the service holds several (default: its first)",
);

const part = z
  .number()
  .int()
  .min(0)
  .describe(
    "The part (record) of a linked query_v2 challenge to prove: 0 (default) the top-level record, i its linked[i-1]",
  );

const linkNonce = fieldElement.describe(
  "The presentation's link nonce (decimal, below r), the same for every part: required when the part has a link, refused when it has none. Draw a fresh one per presentation and never send it to the verifier",
);

/**
 * `POST /v1/presentations`. The challenge is checked apart (`parseProofRequest`), so that a bad
 * one is `INVALID_CHALLENGE` rather than a generic `INVALID_REQUEST`.
 */
export const presentationRequest = z.strictObject({
  recordId,
  challenge: z.unknown(),
  bureau: bureau.optional(),
  part: part.optional(),
  linkNonce: linkNonce.optional(),
});

/** `POST /v1/presentations/batch` */
export const batchPresentationRequest = z.strictObject({
  items: z.array(presentationRequest).min(1).max(MAX_BATCH),
});

const challengeDoc = proofRequestSchema.describe(
  "The verifier's challenge, forwarded whole (or only its proof request: challengeId, nonce, schemaId, queryHash, predicates, and for query_v2 circuit, table, link and linked)",
);

/** `POST /v1/presentations` as documented: the challenge is a proof request. */
export const presentationRequestDoc = z.strictObject({
  recordId,
  challenge: challengeDoc,
  bureau: bureau.optional(),
  part: part.optional(),
  linkNonce: linkNonce.optional(),
});

const linkedRecord = z.strictObject({ recordId, bureau: bureau.optional() });

/**
 * `POST /v1/presentations/linked`: one record per part of the challenge, in order. The
 * challenge is checked apart, as for `POST /v1/presentations`.
 */
export const linkedPresentationRequest = z.strictObject({
  challenge: z.unknown(),
  records: z
    .array(linkedRecord)
    .min(1)
    .max(1 + MAX_LINKED_RECORDS),
});

/** `POST /v1/presentations/linked` as documented. */
export const linkedPresentationRequestDoc = z.strictObject({
  challenge: challengeDoc,
  records: z
    .array(linkedRecord)
    .min(1)
    .max(1 + MAX_LINKED_RECORDS)
    .describe("The record of each part of the challenge, in order (part 0 first)"),
});

const proofBundle = {
  proof: z.object({}).passthrough().describe("A Groth16 proof, as snarkjs writes it"),
  publicSignals: z.array(decimalString),
};

/** The answer of `POST /v1/presentations/linked`: part 0 at the top level, part i in `linked[i-1]`. */
export const linkedPresentationResponse = z
  .strictObject({
    challengeId: id,
    ...proofBundle,
    linked: z
      .array(z.strictObject(proofBundle))
      .max(MAX_LINKED_RECORDS)
      .optional()
      .describe("The proofs of parts 1, 2, … (left out for a challenge of one part)"),
  })
  .describe(
    "A linked presentation: every proof answers the challenge and outputs the same link; forward it whole to the verifier",
  );

/** One further record's proof of a linked presentation. */
export interface LinkedProof {
  readonly proof: Groth16Proof;
  readonly publicSignals: readonly string[];
}

/** A presentation of a (linked) `query_v2` challenge: part 0's proof, then the others'. */
export interface LinkedPresentation extends Presentation {
  readonly linked?: readonly LinkedProof[];
}

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
