/**
 * The holder's side of a presentation request: each item's witness is built from the vault and
 * checked against its challenge, the valid ones are proved as one request of the pool, and each
 * outcome (a presentation, or that item's error) is counted and logged without any record data.
 */
import { CrossproofError } from "../core/errors.js";
import type { ProofBundle } from "../core/proof.js";
import { type ProofRequest, parseProofRequest } from "../core/proof-request.js";
import type { CrossproofLogger } from "../infra/log.js";
import type { Vault } from "../issuer/vault.js";
import { type Presentation, toPresentation, witnessFor } from "../prover/present-record.js";
import type { QueryWitness } from "../prover/query-input.js";
import type { ProverBackend, ProverMetrics } from "./prover-backend.js";

/** One item of a presentation request: a record of the vault and the verifier's challenge. */
export interface PresentationItem {
  readonly recordId: string;
  readonly challenge?: unknown;
}

/** Turns presentation requests into presentations. */
export interface Presenter {
  /** One item, proved alone (the pool's `prove`); its error is thrown. */
  one(item: PresentationItem, requestId: string): Promise<Presentation>;
  /** A request's items, proved as one request of the pool; one outcome per item, in order. */
  all(
    items: readonly PresentationItem[],
    requestId: string,
  ): Promise<(Presentation | CrossproofError)[]>;
}

/** An item the holder can prove, or why it cannot. */
type Prepared =
  | { readonly recordId: string; readonly request: ProofRequest; readonly witness: QueryWitness }
  | CrossproofError;

const settled = (promise: Promise<ProofBundle>): Promise<PromiseSettledResult<ProofBundle>> =>
  promise.then(
    (value): PromiseSettledResult<ProofBundle> => ({ status: "fulfilled", value }),
    (reason: unknown): PromiseSettledResult<ProofBundle> => ({ status: "rejected", reason }),
  );

/** A presenter over a vault and a proving backend. */
export function createPresenter(options: {
  readonly vault: Vault;
  readonly backend: ProverBackend;
  readonly metrics: ProverMetrics;
  readonly logger: CrossproofLogger;
}): Presenter {
  const { vault, backend, metrics, logger } = options;

  /** The witness of one item, checked against the vault; errors are that item's. */
  const prepare = (item: PresentationItem): Prepared => {
    try {
      const request = parseProofRequest(item.challenge, backend.k);
      return {
        recordId: item.recordId,
        request,
        witness: witnessFor(vault, item.recordId, request, backend.k),
      };
    } catch (err) {
      if (err instanceof CrossproofError) return err;
      throw err;
    }
  };

  /** Counts and logs one item's outcome; the presentation, or the error to answer with. */
  const settle = (
    prepared: Prepared,
    proof: PromiseSettledResult<ProofBundle> | undefined,
    requestId: string,
  ): Presentation | CrossproofError => {
    let outcome: Presentation | CrossproofError;
    if (prepared instanceof CrossproofError) outcome = prepared;
    else if (proof?.status === "fulfilled") outcome = toPresentation(prepared.request, proof.value);
    else if (proof?.reason instanceof CrossproofError) outcome = proof.reason;
    else throw proof?.reason ?? new Error("no proof for a prepared item");
    metrics.presentations.inc({ result: outcome instanceof CrossproofError ? outcome.code : "ok" });
    if (!(outcome instanceof CrossproofError) && !(prepared instanceof CrossproofError)) {
      logger.info(
        {
          event: "presented",
          requestId,
          recordId: prepared.recordId,
          challengeId: prepared.request.challengeId,
        },
        "presentation",
      );
    }
    return outcome;
  };

  return {
    async one(item, requestId) {
      const prepared = prepare(item);
      const proof =
        prepared instanceof CrossproofError
          ? undefined
          : await settled(backend.prove(prepared.witness));
      const outcome = settle(prepared, proof, requestId);
      if (outcome instanceof CrossproofError) throw outcome;
      return outcome;
    },

    async all(items, requestId) {
      const prepared = items.map(prepare);
      const ready = prepared.filter(
        (p): p is Exclude<Prepared, CrossproofError> => !(p instanceof CrossproofError),
      );
      let proofs: PromiseSettledResult<ProofBundle>[];
      try {
        proofs = ready.length === 0 ? [] : await backend.proveAll(ready.map((p) => p.witness));
      } catch (err) {
        if (err instanceof CrossproofError)
          metrics.presentations.inc({ result: err.code }, items.length);
        throw err;
      }
      return prepared.map((p) =>
        settle(p, p instanceof CrossproofError ? undefined : proofs[ready.indexOf(p)], requestId),
      );
    },
  };
}
