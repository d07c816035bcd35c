/**
 * The holder's side of a presentation request: each item's witness is built from its bureau's
 * vault and checked against its challenge (or its part of a linked one), the valid ones are
 * proved as one request of the pool, and each outcome (a presentation, or that item's error) is
 * counted and logged without any record data and without the link nonce.
 */
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { newLinkNonce } from "../core/link-nonce.js";
import type { ProofBundle } from "../core/proof.js";
import {
  type ProofRequest,
  parseProofRequest,
  parseProofRequestParts,
} from "../core/proof-request.js";
import { ID_PATTERN } from "../core/wire/common.js";
import type { LinkedPresentation } from "../core/wire/prover.js";
import type { CrossproofLogger } from "../infra/log.js";
import type { Vault } from "../issuer/vault.js";
import { type Presentation, toPresentation, witnessFor } from "../prover/present-record.js";
import type { ProverWitness } from "../prover/query-v2-input.js";
import type { ProverBackend, ProverMetrics } from "./prover-backend.js";

/**
 * One item of a presentation request: a record of a vault (by bureau name: default the first)
 * and the verifier's challenge, with the part to prove and the presentation's link nonce for a
 * part of a linked `query_v2` challenge.
 */
export interface PresentationItem {
  readonly recordId: string;
  readonly challenge?: unknown;
  readonly bureau?: string | undefined;
  readonly part?: number | undefined;
  readonly linkNonce?: bigint | undefined;
}

/** One record of a linked presentation request (one per part of the challenge, in order). */
export interface LinkedRecord {
  readonly recordId: string;
  readonly bureau?: string | undefined;
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
  /**
   * Every part of a linked challenge, one record each, with one fresh link nonce drawn here
   * (it never leaves this process), proved as one request of the pool; the first error is
   * thrown.
   */
  linked(
    challenge: unknown,
    records: readonly LinkedRecord[],
    requestId: string,
  ): Promise<LinkedPresentation>;
}

/** An item the holder can prove: its record, bureau, request and witness. */
interface Ready {
  readonly recordId: string;
  readonly bureau: string;
  readonly request: ProofRequest;
  readonly witness: ProverWitness;
}

/** An item the holder can prove, or why it cannot. */
type Prepared = Ready | CrossproofError;

const settled = (promise: Promise<ProofBundle>): Promise<PromiseSettledResult<ProofBundle>> =>
  promise.then(
    (value): PromiseSettledResult<ProofBundle> => ({ status: "fulfilled", value }),
    (reason: unknown): PromiseSettledResult<ProofBundle> => ({ status: "rejected", reason }),
  );

/** The name the vault of the `vault` option goes by (a service with one vault). */
export const DEFAULT_BUREAU = "default";

/**
 * The vaults of a prover, by bureau name, in order (the first is the default): a map or an
 * object of them. Refuses none, or a name that is not 1–128 id characters.
 */
export function vaultsByBureau(
  vaults: ReadonlyMap<string, Vault> | Readonly<Record<string, Vault>>,
): ReadonlyMap<string, Vault> {
  const map = new Map(vaults instanceof Map ? vaults : Object.entries(vaults));
  if (map.size === 0) throw new RangeError("a prover needs at least one vault");
  for (const name of map.keys()) {
    if (!ID_PATTERN.test(name)) {
      throw new RangeError(
        `a bureau name must be 1-128 letters, digits and . _ : -, not "${name}"`,
      );
    }
  }
  return map;
}

/** A presenter over the vaults of one or several bureaus and a proving backend. */
export function createPresenter(
  options: {
    readonly backend: ProverBackend;
    readonly metrics: ProverMetrics;
    readonly logger: CrossproofLogger;
  } & (
    | { readonly vault: Vault; readonly vaults?: never }
    | {
        readonly vaults: ReadonlyMap<string, Vault> | Readonly<Record<string, Vault>>;
        readonly vault?: never;
      }
  ),
): Presenter {
  const { backend, metrics, logger } = options;
  const vaults =
    options.vaults === undefined
      ? new Map([[DEFAULT_BUREAU, options.vault]])
      : vaultsByBureau(options.vaults);
  const defaultBureau = [...vaults.keys()][0] as string;

  /** The bureau name and vault an item names, or `UNKNOWN_BUREAU`. */
  const vaultOf = (bureau: string | undefined): [string, Vault] => {
    const name = bureau ?? defaultBureau;
    const vault = vaults.get(name);
    if (vault === undefined) {
      throw new CrossproofError(ErrorCode.UNKNOWN_BUREAU, `this prover holds no bureau "${name}"`, {
        details: { bureau: name, known: [...vaults.keys()] },
      });
    }
    return [name, vault];
  };

  /** The witness of one part of a request, checked against its vault; errors are that item's. */
  const prepareRequest = (
    record: LinkedRecord,
    request: ProofRequest,
    linkNonce: bigint | undefined,
  ): Ready => {
    const [bureau, vault] = vaultOf(record.bureau);
    return {
      recordId: record.recordId,
      bureau,
      request,
      witness: witnessFor(vault, record.recordId, request, backend.k, {
        ...(linkNonce === undefined ? {} : { linkNonce }),
      }),
    };
  };

  /** The witness of one item; errors are that item's. */
  const prepare = (item: PresentationItem): Prepared => {
    try {
      const request = parseProofRequest(item.challenge, backend.k, item.part ?? 0);
      return prepareRequest(item, request, item.linkNonce);
    } catch (err) {
      if (err instanceof CrossproofError) return err;
      throw err;
    }
  };

  /** Logs one proved part: ids, bureau and part; never the nonce or anything of the record. */
  const logPresented = (prepared: Ready, requestId: string, event: string): void => {
    logger.info(
      {
        event,
        requestId,
        recordId: prepared.recordId,
        challengeId: prepared.request.challengeId,
        ...(vaults.size > 1 ? { bureau: prepared.bureau } : {}),
        ...(prepared.request.circuit === "query_v2" ? { part: prepared.request.part } : {}),
      },
      "presentation",
    );
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
      logPresented(prepared, requestId, "presented");
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
      const ready = prepared.filter((p): p is Ready => !(p instanceof CrossproofError));
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

    async linked(challenge, records, requestId) {
      try {
        const requests = parseProofRequestParts(challenge, backend.k);
        if (records.length !== requests.length) {
          throw new CrossproofError(
            ErrorCode.INVALID_REQUEST,
            `the challenge has ${requests.length} part${requests.length === 1 ? "" : "s"}: give one record per part, not ${records.length}`,
            { details: { parts: requests.length, records: records.length } },
          );
        }
        // One nonce for every part of this presentation, drawn here and never sent or logged.
        const linkNonce = newLinkNonce();
        const prepared = requests.map((request, i) =>
          prepareRequest(
            records[i] as LinkedRecord,
            request,
            request.circuit === "query_v2" && request.link !== null ? linkNonce : undefined,
          ),
        );
        // Every part is checked before any is proved: one part that cannot be proved makes the
        // whole presentation useless, so none is.
        for (const p of prepared) backend.check(p.witness);
        const proofs = await backend.proveAll(prepared.map((p) => p.witness));
        const bundles = proofs.map((p) => {
          if (p.status === "rejected") throw p.reason;
          return p.value;
        });
        const [first, ...rest] = bundles as [ProofBundle, ...ProofBundle[]];
        metrics.presentations.inc({ result: "ok" });
        for (const p of prepared) logPresented(p, requestId, "presented-linked");
        return {
          ...toPresentation(requests[0] as ProofRequest, first),
          ...(rest.length === 0
            ? {}
            : { linked: rest.map((b) => ({ proof: b.proof, publicSignals: b.publicSignals })) }),
        };
      } catch (err) {
        if (err instanceof CrossproofError) metrics.presentations.inc({ result: err.code });
        throw err;
      }
    },
  };
}
