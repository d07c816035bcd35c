/**
 * The verifier's state, behind one small interface: policies, challenges, API keys (hashed) and
 * the receipt log. The embedded implementation is SQLite (`sqlite-store.ts`); several verifier
 * instances would share a PostgreSQL implementation of the same interface. Every method is
 * async for that reason, and every one that changes state does it in one transaction.
 *
 * Nothing here holds record data: a challenge keeps its query (thresholds, and the subject's
 * identifier hash the verifier chose), a receipt keeps ids, the root, the issuer and the verdict.
 */
import type { KeyHash } from "../core/circuit-release.js";
import { predicatesToJson } from "../core/proof-request.js";
import type { OpCodeV2, PredicateV2 } from "../core/query-v2.js";
import type { LogEntry, LogHead, LogReceipt } from "../core/receipt-log.js";
import type { VerificationKey } from "../infra/artifacts.js";
import type { PolicyCircuit, PolicyDefinition, ResolvedPredicate, StoredPolicy } from "./policy.js";

/** A further record of a linked challenge: what the holder proves about it (`query_v2`). */
export interface ChallengePart {
  readonly schemaId: bigint;
  readonly queryHash: bigint;
  /** The compiled predicates (unpadded), set predicates as masks over `table`. */
  readonly predicates: readonly PredicateV2[];
  /** The same predicates by field name, relative values resolved. */
  readonly query: readonly ResolvedPredicate[];
  /** The record's set table (16 entries, 0-padded). */
  readonly table: readonly bigint[];
  /** The slot its link output commits to. */
  readonly link: number | null;
}

/** A challenge as issued. */
export interface ChallengeRecord {
  readonly id: string;
  readonly policyId: string;
  /** The one-time value bound into the proof. */
  readonly nonce: bigint;
  readonly schemaId: bigint;
  readonly queryHash: bigint;
  /** The compiled predicates (unpadded), as the holder must prove them. */
  readonly predicates: readonly PredicateV2[];
  /** The same predicates by field name, relative values resolved. */
  readonly query: readonly ResolvedPredicate[];
  /**
   * The circuit the holder proves with: `query_v2` for a policy with set predicates or linked
   * records (the fields above are then its record 0's), `query` otherwise.
   */
  readonly circuit: PolicyCircuit;
  /** `query_v2`: record 0's set table (16 entries, 0-padded); null for `query`. */
  readonly table: readonly bigint[] | null;
  /** `query_v2`: the slot record 0's link output commits to; null when it links nothing. */
  readonly link: number | null;
  /** A linked policy's further records, in policy order (empty otherwise). */
  readonly linked: readonly ChallengePart[];
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** The API key that asked for it. */
  readonly clientId: string;
  readonly consumedAt: Date | null;
  /** The receipt of the verification that consumed it. */
  readonly receiptId: string | null;
}

/** One verification, as the audit log keeps it: no record data, no disclosed values. */
export interface Receipt {
  readonly id: string;
  readonly createdAt: Date;
  readonly policyId: string;
  readonly challengeId: string | null;
  readonly root: bigint | null;
  readonly issuer: string | null;
  readonly verified: boolean;
  /** Reason codes of the failed checks (empty when verified). */
  readonly reasons: readonly string[];
  /** The API key that asked. */
  readonly clientId: string;
  /**
   * A linked policy's further records, in policy order: each proof's root and its issuer (null
   * when unknown). Left out for one record (`root` and `issuer` above are record 0's).
   */
  readonly linked?: readonly LinkedRoot[];
}

/** A linked record's root and issuer, as a receipt keeps them. */
export interface LinkedRoot {
  readonly root: bigint;
  readonly issuer: string | null;
}

/** A receipt's linked roots in their stored and logged form (decimal roots); null for none. */
export function linkedRootsToJson(
  linked: readonly LinkedRoot[] | undefined,
): { root: string; issuer: string | null }[] | null {
  if (linked === undefined || linked.length === 0) return null;
  return linked.map((l) => ({ root: l.root.toString(), issuer: l.issuer }));
}

/** A receipt's linked roots, read back (`linked` left out when there are none). */
export function linkedRootsOf(
  json: readonly { root: string; issuer: string | null }[] | null,
): Pick<Receipt, "linked"> {
  if (json === null || json.length === 0) return {};
  return { linked: json.map((l) => ({ root: BigInt(l.root), issuer: l.issuer })) };
}

/**
 * Roles of API keys: clients verify; the admin also manages policies and keys; an auditor reads
 * flows in aggregate and the receipt log, and nothing else.
 */
export type ApiKeyRole = "client" | "admin" | "auditor";

/** Every role, in order. */
export const API_KEY_ROLES: readonly ApiKeyRole[] = ["client", "admin", "auditor"];

/** An API key as stored: its secret only as a SHA-256 hash. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly role: ApiKeyRole;
  /** SHA-256 of the key's secret part, hex. */
  readonly secretHash: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

/**
 * An external circuit's verification key, registered by the admin (`POST /v1/circuits`):
 * another system's circom/snarkjs BN254 Groth16 circuit, checked like our own keys, its key hash
 * registered on chain as a release of kind `external`.
 */
export interface ExternalCircuit {
  readonly name: string;
  readonly version: string;
  readonly keyHash: KeyHash;
  readonly verificationKey: VerificationKey;
  readonly createdAt: Date;
}

/** What `consumeChallenge` did. */
export type ConsumeOutcome =
  /** Consumed now, and the receipt stored with it. */
  | "consumed"
  /** Nothing stored: the challenge was used already (perhaps a moment ago, concurrently). */
  | "already-consumed"
  /** Nothing stored: it expired. */
  | "expired"
  /** Nothing stored: no such challenge, or it belongs to another client than the receipt's. */
  | "unknown";

/**
 * Which receipts `listReceipts` returns: each filter is optional; the answer is newest first
 * (`createdAt`, then `id`, both descending), at most `limit`, after the cursor `before` (the
 * last receipt of the previous page) when given.
 */
export interface ReceiptQuery {
  /** Only this API key's receipts. */
  readonly clientId?: string;
  readonly verified?: boolean;
  readonly policyId?: string;
  /** Only receipts whose reasons include this code. */
  readonly reason?: string;
  /** Created at or after. */
  readonly from?: Date;
  /** Created before. */
  readonly to?: Date;
  /** Keyset cursor: receipts strictly older than this one (by `createdAt`, then `id`). */
  readonly before?: { readonly createdAt: Date; readonly id: string };
  readonly limit: number;
}

/** Counts of receipts in a window (`receiptStats`). */
export interface ReceiptStats {
  /** Minutes that have receipts, oldest first (`minute`: the minute's start, UTC). */
  readonly perMinute: readonly {
    readonly minute: Date;
    readonly verified: number;
    readonly refused: number;
  }[];
  /** The most frequent reason codes of refusals, most frequent first (then by code). */
  readonly topReasons: readonly { readonly reason: string; readonly count: number }[];
}

/** A receipt as the receipt log holds and hashes it (`core/receipt-log.ts`). */
export function logReceipt(r: Receipt): LogReceipt {
  return {
    id: r.id,
    createdAt: r.createdAt.toISOString(),
    policyId: r.policyId,
    challengeId: r.challengeId,
    root: r.root === null ? null : r.root.toString(),
    issuer: r.issuer,
    verified: r.verified,
    reasons: [...r.reasons],
    clientId: r.clientId,
    // Only for linked receipts: every other entry hashes exactly as before.
    ...(r.linked === undefined || r.linked.length === 0
      ? {}
      : { linked: linkedRootsToJson(r.linked) ?? [] }),
  };
}

/** What verifications are counted by in `flows`. */
export type FlowDimension = "policy" | "issuer" | "verdict" | "reason";

/** Every flow dimension. */
export const FLOW_DIMENSIONS: readonly FlowDimension[] = ["policy", "issuer", "verdict", "reason"];

/** The time buckets of `flows`, by their length in ms. */
export const FLOW_BUCKETS = { hour: 3_600_000, day: 86_400_000 } as const;

/** A flow bucket's name. */
export type FlowBucket = keyof typeof FLOW_BUCKETS;

/** The key of receipts with no issuer (refused before one was known) in `flows` by issuer. */
export const NO_ISSUER = "(none)";

/** What `flows` counts: receipts created in `[from, to)`, by bucket (UTC) and one dimension. */
export interface FlowQuery {
  readonly by: FlowDimension;
  readonly bucket: FlowBucket;
  readonly from: Date;
  readonly to: Date;
}

/**
 * One count of `flows`: the bucket's start, the key (a policy id, an issuer address or
 * `NO_ISSUER`, `verified` or `refused`, a reason code) and how many receipts. A refused receipt
 * counts once for each of its reasons when counted by reason.
 */
export interface FlowRow {
  readonly bucket: Date;
  readonly key: string;
  readonly count: number;
}

/** The verifier's state. Errors: `STORE_UNAVAILABLE` (503) when the database cannot be used. */
export interface VerifierStore {
  /** `POLICY_EXISTS` if the id is taken. */
  createPolicy(definition: PolicyDefinition, createdAt: Date): Promise<StoredPolicy>;
  getPolicy(id: string): Promise<StoredPolicy | null>;
  listPolicies(): Promise<StoredPolicy[]>;

  insertChallenge(challenge: ChallengeRecord): Promise<void>;
  getChallenge(id: string): Promise<ChallengeRecord | null>;
  /**
   * Marks the challenge consumed by `receipt` and stores the receipt, in one transaction, only
   * if it was issued to `receipt.clientId` and is unconsumed and unexpired at
   * `receipt.createdAt`. Of two concurrent calls (in this
   * process or another sharing the database) exactly one gets `consumed`.
   */
  consumeChallenge(challengeId: string, receipt: Receipt): Promise<ConsumeOutcome>;

  /**
   * Deletes challenges that expired before `before` and were never used; returns how many.
   * (Used ones stay: their receipts name them. A purged challenge is refused as unknown.)
   */
  purgeExpiredChallenges(before: Date): Promise<number>;

  /** Stores a receipt of a verification that consumed nothing. */
  insertReceipt(receipt: Receipt): Promise<void>;
  getReceipt(id: string): Promise<Receipt | null>;
  /** Receipts matching `query`, newest first (see {@link ReceiptQuery}). */
  listReceipts(query: ReceiptQuery): Promise<Receipt[]>;
  /**
   * Receipts created in [from, to): counts per minute (only minutes with receipts) and the
   * `topReasons` most frequent reason codes.
   */
  receiptStats(from: Date, to: Date, topReasons: number): Promise<ReceiptStats>;

  /**
   * The receipt log: every stored receipt is appended to it in the transaction that stores it
   * (`consumeChallenge`, `insertReceipt`), as the next entry of one hash chain
   * (`core/receipt-log.ts`); instances sharing a database append to the same chain, one at a time.
   * Entries with `seq > after`, in order, at most `limit`.
   */
  logEntries(after: number, limit: number): Promise<LogEntry[]>;
  /** The log's head: its count and last hash. */
  logHead(): Promise<LogHead>;
  /** Receipts counted by time bucket and one dimension, in bucket then key order. */
  flows(query: FlowQuery): Promise<FlowRow[]>;

  putApiKey(key: ApiKeyRecord): Promise<void>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revokes a key; false if there is no such live key. */
  revokeApiKey(id: string, at: Date): Promise<boolean>;

  /** Stores an external circuit; false (nothing changed) if its name is taken. */
  insertExternalCircuit(circuit: ExternalCircuit): Promise<boolean>;
  getExternalCircuit(name: string): Promise<ExternalCircuit | null>;
  listExternalCircuits(): Promise<ExternalCircuit[]>;

  /** Throws `STORE_UNAVAILABLE` unless the database answers (for readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Slot-level predicates in their stored form (decimal strings). */
type StoredPredicate = { op: number; i: number; j: number; a: string; b: string };

const predicateOf = (p: StoredPredicate): PredicateV2 => ({
  op: p.op as OpCodeV2,
  i: p.i,
  j: p.j,
  a: BigInt(p.a),
  b: BigInt(p.b),
});

/** The stored form of a `query_v2` challenge's statement (record 0's table and link, the rest). */
interface StoredStatement {
  readonly table: string[];
  readonly link: number | null;
  readonly linked: {
    schemaId: string;
    queryHash: string;
    predicates: StoredPredicate[];
    query: ResolvedPredicate[];
    table: string[];
    link: number | null;
  }[];
}

/**
 * What a challenge adds to the `query` columns, as both stores keep it (one JSON column,
 * `statement`): null for a `query` challenge, so that those rows stay as they were.
 */
export function statementToJson(c: ChallengeRecord): StoredStatement | null {
  if (c.circuit === "query") return null;
  return {
    table: (c.table ?? []).map(String),
    link: c.link,
    linked: c.linked.map((part) => ({
      schemaId: part.schemaId.toString(),
      queryHash: part.queryHash.toString(),
      predicates: predicatesToJson(part.predicates),
      query: [...part.query],
      table: part.table.map(String),
      link: part.link,
    })),
  };
}

/** A challenge's compiled predicates, read back. */
export function predicatesFromStored(stored: readonly StoredPredicate[]): PredicateV2[] {
  return stored.map(predicateOf);
}

/** The statement fields of a challenge, from its stored `statement` (null: a `query` challenge). */
export function statementFromJson(
  json: StoredStatement | null,
): Pick<ChallengeRecord, "circuit" | "table" | "link" | "linked"> {
  if (json === null) return { circuit: "query", table: null, link: null, linked: [] };
  return {
    circuit: "query_v2",
    table: json.table.map(BigInt),
    link: json.link,
    linked: json.linked.map((part) => ({
      schemaId: BigInt(part.schemaId),
      queryHash: BigInt(part.queryHash),
      predicates: part.predicates.map(predicateOf),
      query: part.query,
      table: part.table.map(BigInt),
      link: part.link,
    })),
  };
}
