/**
 * `presentRecord(recordId, request)`: the holder's answer to a verifier's challenge. It finds
 * the record in the vault, checks it can be proven against the anchored root, checks the request
 * (its predicates hash to its `queryHash`, for the record's schema), and has a proof made.
 *
 * The presentation is all that leaves the holder: the challenge id, the Groth16 proof and its
 * public signals. The record's fields, salt and Merkle path stay here.
 */
import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { ProofBundle } from "../core/proof.js";
import type { ProofRequest } from "../core/proof-request.js";
import { padPredicates } from "../core/query.js";
import { getSchema } from "../core/schema.js";
import type { Presentation } from "../core/wire/common.js";
import type { Vault } from "../issuer/vault.js";
import type { QueryWitness } from "./query-input.js";

export type { Presentation } from "../core/wire/common.js";

/** Makes a proof from a witness: the worker pool's `prove`, or `proveQuery` in process. */
export type ProveFunction = (witness: QueryWitness) => Promise<ProofBundle>;

/**
 * The witness for `recordId` answering `request`, against the vault's current tree. Refuses a
 * record that is unknown (`UNKNOWN_RECORD`), revoked (`RECORD_REVOKED`), not yet in an anchored
 * tree (`RECORD_NOT_IN_TREE`, `ROOT_PENDING`), or of another schema (`INVALID_CHALLENGE`).
 */
export function witnessFor(
  vault: Vault,
  recordId: string,
  request: ProofRequest,
  k: number,
): QueryWitness {
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
  return {
    schemaId: schema.schemaId,
    slots: record.slots,
    salt: record.salt,
    path: tree.path(record.leafIndex),
    predicates: padPredicates(request.predicates, k),
    queryHash: request.queryHash,
    challenge: request.nonce,
  };
}

/** Proves that `recordId` meets `request`; the presentation carries nothing but the proof. */
export async function presentRecord(
  vault: Vault,
  prove: ProveFunction,
  recordId: string,
  request: ProofRequest,
  k: number,
): Promise<Presentation> {
  return toPresentation(request, await prove(witnessFor(vault, recordId, request, k)));
}

/** The presentation of a proof made for `request`: the challenge id, the proof and its signals. */
export function toPresentation(request: ProofRequest, bundle: ProofBundle): Presentation {
  return {
    challengeId: request.challengeId,
    proof: bundle.proof,
    publicSignals: bundle.publicSignals,
  };
}
