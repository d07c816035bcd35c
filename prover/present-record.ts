/**
 * `presentRecord(recordId, request)`: the holder's answer to a verifier's challenge. It finds
 * the record in the vault, checks it can be proven against the anchored root, checks the request
 * (its predicates hash to its `queryHash`, for the record's schema), and has a proof made.
 *
 * The presentation is all that leaves the holder: the challenge id, the Groth16 proof and its
 * public signals. The record's fields, salt and Merkle path stay here, and so does the link
 * nonce of a linked (`query_v2`) presentation: only the link output it hides the field under
 * is public.
 */
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { isFieldElement } from "../core/field.js";
import type { ProofBundle } from "../core/proof.js";
import type { ProofRequest, QueryProofRequest } from "../core/proof-request.js";
import { padPredicates } from "../core/query.js";
import { getSchema } from "../core/schema.js";
import type { Presentation } from "../core/wire/common.js";
import type { Vault } from "../issuer/vault.js";
import type { QueryWitness } from "./query-input.js";
import type { ProverWitness } from "./query-v2-input.js";

export type { Presentation } from "../core/wire/common.js";

/** Makes a proof from a witness: the worker pool's `prove`, or `proveQuery` in process. */
export type ProveFunction = (witness: ProverWitness) => Promise<ProofBundle>;

/** What a part of a linked presentation adds to its request: the presentation's link nonce. */
export interface WitnessOptions {
  /**
   * The presentation's link nonce (a field element, one per presentation, the same for every
   * part): required when the request's part has a link, refused when it has none.
   */
  readonly linkNonce?: bigint;
}

/**
 * The witness for `recordId` answering `request` (a `query` request, or one part of a
 * `query_v2` challenge), against the vault's current tree. Refuses a record that is unknown
 * (`UNKNOWN_RECORD`), revoked (`RECORD_REVOKED`), not yet in an anchored tree
 * (`RECORD_NOT_IN_TREE`, `ROOT_PENDING`), or of another schema than the request's part; and a
 * link nonce missing for a part with a link, or given for one without (`INVALID_CHALLENGE`).
 */
export function witnessFor(
  vault: Vault,
  recordId: string,
  request: QueryProofRequest,
  k: number,
  options?: WitnessOptions,
): QueryWitness;
export function witnessFor(
  vault: Vault,
  recordId: string,
  request: ProofRequest,
  k: number,
  options?: WitnessOptions,
): ProverWitness;
export function witnessFor(
  vault: Vault,
  recordId: string,
  request: ProofRequest,
  k: number,
  options: WitnessOptions = {},
): ProverWitness {
  const linkNonce = checkLinkNonce(request, options.linkNonce);
  const record = vault.record(recordId);
  if (record.revokedAt !== null) {
    throw new CrossproofError(ErrorCode.RECORD_REVOKED, `record ${recordId} was revoked`, {
      details: { recordId },
    });
  }
  if (record.leafIndex === null) {
    throw new CrossproofError(
      ErrorCode.RECORD_NOT_IN_TREE,
      `record ${recordId} is not anchored yet: run \`crossproof issuer anchor\``,
      { details: { recordId } },
    );
  }
  const schema = getSchema(record.schema);
  if (request.schemaId !== schema.schemaId) {
    throw new CrossproofError(
      ErrorCode.INVALID_CHALLENGE,
      `the request is for another schema than record ${recordId}'s (${schema.id})`,
      { details: { recordId } },
    );
  }
  const latest = vault.latestRoot(record.schema);
  const tree = vault.tree(record.schema);
  if (latest === null || latest.state !== "anchored" || latest.root !== tree.root) {
    throw new CrossproofError(
      ErrorCode.ROOT_PENDING,
      `the ${schema.id} tree has a root the chain has not confirmed: run \`crossproof issuer anchor\``,
    );
  }
  const common = {
    schemaId: schema.schemaId,
    slots: record.slots,
    salt: record.salt,
    path: tree.path(record.leafIndex),
    queryHash: request.queryHash,
    challenge: request.nonce,
  };
  if (request.circuit !== "query_v2") {
    return { ...common, predicates: padPredicates(request.predicates, k) };
  }
  return {
    ...common,
    circuit: "query_v2",
    predicates: request.predicates,
    table: request.table,
    link: request.link,
    // Linking off: the circuit outputs 0 whatever the nonce.
    linkNonce: linkNonce ?? 0n,
  };
}

/** The link nonce a request's part takes (undefined: none), or `INVALID_CHALLENGE`. */
function checkLinkNonce(request: ProofRequest, linkNonce: bigint | undefined): bigint | undefined {
  const linked = request.circuit === "query_v2" && request.link !== null;
  const part = request.circuit === "query_v2" ? request.part : 0;
  if (linked && linkNonce === undefined) {
    throw new CrossproofError(
      ErrorCode.INVALID_CHALLENGE,
      `part ${part} of the challenge has a link: a linkNonce is required (the same for every part)`,
      { details: { part } },
    );
  }
  if (!linked && linkNonce !== undefined) {
    throw new CrossproofError(
      ErrorCode.INVALID_CHALLENGE,
      `part ${part} of the challenge has no link: it takes no linkNonce`,
      { details: { part } },
    );
  }
  if (linkNonce !== undefined && !isFieldElement(linkNonce)) {
    throw new CrossproofError(
      ErrorCode.INVALID_CHALLENGE,
      "the linkNonce must be a field element in [0, r)",
      { details: { part } },
    );
  }
  return linkNonce;
}

/**
 * Proves that `recordId` meets `request` (with the presentation's link nonce for a linked part);
 * the presentation carries nothing but the proof.
 */
export async function presentRecord(
  vault: Vault,
  prove: ProveFunction,
  recordId: string,
  request: ProofRequest,
  k: number,
  options: WitnessOptions = {},
): Promise<Presentation> {
  return toPresentation(request, await prove(witnessFor(vault, recordId, request, k, options)));
}

/** The presentation of a proof made for `request`: the challenge id, the proof and its signals. */
export function toPresentation(request: ProofRequest, bundle: ProofBundle): Presentation {
  return {
    challengeId: request.challengeId,
    proof: bundle.proof,
    publicSignals: bundle.publicSignals,
  };
}
