/**
 * The one error hierarchy of crossproof. Every failure a caller can act on carries a stable,
 * machine-readable `code`; the message is short and written for the person reading it.
 */

/** Stable error codes. Codes are part of the public contract: never rename one. */
export const ErrorCode = {
  /** A record names a field its schema does not have. */
  UNKNOWN_FIELD: "UNKNOWN_FIELD",
  /** A record lacks a field its schema requires. */
  MISSING_FIELD: "MISSING_FIELD",
  /** A value has the wrong JSON type for its field. */
  WRONG_TYPE: "WRONG_TYPE",
  /** An integer is negative or does not fit in 64 bits. */
  OUT_OF_RANGE: "OUT_OF_RANGE",
  /** A date is not a valid calendar date in `YYYY-MM-DD` form (or is before 1970-01-01). */
  INVALID_DATE: "INVALID_DATE",
  /** A code is not one of the field's enumerated codes. */
  INVALID_CODE: "INVALID_CODE",
  /** A digest is not 64 hexadecimal characters. */
  INVALID_DIGEST: "INVALID_DIGEST",
  /** A value is not a canonical field element (a decimal integer in [0, r)). */
  INVALID_FIELD_ELEMENT: "INVALID_FIELD_ELEMENT",
  /** A schema document is malformed. */
  INVALID_SCHEMA: "INVALID_SCHEMA",
  /** No schema with the given id is known. */
  UNKNOWN_SCHEMA: "UNKNOWN_SCHEMA",
  /**
   * A schema's id is taken: by a shipped schema, or by a different document added before
   * (schemas are immutable; a changed one needs a new id).
   */
  SCHEMA_CONFLICT: "SCHEMA_CONFLICT",
  /** A query (list of predicates) is malformed or does not fit the circuit. */
  INVALID_QUERY: "INVALID_QUERY",
  /** A leaf index is outside the tree, or the tree is full. */
  TREE_INDEX: "TREE_INDEX",
  /** The Merkle tree has reached its maximum depth. */
  TREE_FULL: "TREE_FULL",
  /** No circuit with the given name is declared in circuits/circuits.json. */
  UNKNOWN_CIRCUIT: "UNKNOWN_CIRCUIT",
  /** An artifact file is missing or its sha256 differs from the manifest. */
  ARTIFACT_MISMATCH: "ARTIFACT_MISMATCH",
  /** An artifact is missing: run the setup. */
  ARTIFACT_MISSING: "ARTIFACT_MISSING",
  /** The circom compiler failed. */
  COMPILE_FAILED: "COMPILE_FAILED",
  /** The trusted setup failed or produced an inconsistent result. */
  SETUP_FAILED: "SETUP_FAILED",
  /**
   * A circuit has more constraints than the largest development Powers of Tau the setup makes
   * (`details.constraints`, `details.maxConstraints`).
   */
  CIRCUIT_TOO_LARGE: "CIRCUIT_TOO_LARGE",
  /** A circuit's input file is unreadable, not JSON, or not an object of signal values. */
  CIRCUIT_INPUT_INVALID: "CIRCUIT_INPUT_INVALID",
  /** The input does not satisfy the circuit: its witness program failed (`details.output`). */
  WITNESS_FAILED: "WITNESS_FAILED",
  /** The record's leaf or Merkle path does not lead to the claimed root. */
  RECORD_NOT_IN_TREE: "RECORD_NOT_IN_TREE",
  /** The record does not satisfy the query: no proof can be made. */
  PREDICATE_UNSATISFIED: "PREDICATE_UNSATISFIED",
  /** A proof or its public signals are malformed. */
  INVALID_PROOF: "INVALID_PROOF",
  /** A command-line invocation is malformed. */
  USAGE: "USAGE",
  /**
   * A command needs something this installation lacks (the development dependencies for the
   * benchmarks, say); the message says what to install.
   */
  DEPENDENCY_MISSING: "DEPENDENCY_MISSING",
  /** A fault of ours: shown without internals (HTTP 500, exit code 1). */
  INTERNAL: "INTERNAL",
  /**
   * The chain node cannot be reached or answered something unusable. Never read as "the root
   * is fine": every check that needs the registry fails with this code instead.
   */
  REGISTRY_UNAVAILABLE: "REGISTRY_UNAVAILABLE",
  /** The registry contract refused a transaction (`details.reason` names its Solidity error). */
  REGISTRY_REJECTED: "REGISTRY_REJECTED",
  /** The chain configuration (RPC URL, chain id, addresses, signing key) is missing or invalid. */
  CHAIN_CONFIG: "CHAIN_CONFIG",
  /** The local chain node could not be started, or its saved state does not match its records. */
  CHAIN_NODE: "CHAIN_NODE",
  /** The proving queue is full: try again later (nothing was queued). */
  QUEUE_FULL: "QUEUE_FULL",
  /** A proving job took longer than its time limit and was abandoned. */
  PROVE_TIMEOUT: "PROVE_TIMEOUT",
  /** A proving worker failed (crashed or threw) while making a proof. */
  PROVER_FAILED: "PROVER_FAILED",
  /** The prover pool is shut down (or shutting down) and takes no new work. */
  POOL_CLOSED: "POOL_CLOSED",
  /**
   * The native prover refused a proving key (.zkey): malformed, truncated, for another curve, or
   * with a point off its curve.
   */
  PROVER_KEY_INVALID: "PROVER_KEY_INVALID",
  /** The native proving engine was asked for but is not built or cannot be loaded here. */
  PROVER_ENGINE_UNAVAILABLE: "PROVER_ENGINE_UNAVAILABLE",
  /** An import file is malformed: `details` names the line, the field and the reason. */
  IMPORT_INVALID: "IMPORT_INVALID",
  /** No record with this id is in the vault. */
  UNKNOWN_RECORD: "UNKNOWN_RECORD",
  /**
   * The prover service holds no vault by this bureau name (`details.bureau`; `details.known`
   * lists those it holds).
   */
  UNKNOWN_BUREAU: "UNKNOWN_BUREAU",
  /** The record was revoked: no proof can be made about it. */
  RECORD_REVOKED: "RECORD_REVOKED",
  /** The vault's database cannot be used (missing, locked, corrupt or from another version). */
  VAULT_UNAVAILABLE: "VAULT_UNAVAILABLE",
  /** A challenge is malformed, or its predicates do not hash to its queryHash. */
  INVALID_CHALLENGE: "INVALID_CHALLENGE",
  /** The vault's tree has a root the chain has not confirmed yet: run `crossproof issuer anchor`. */
  ROOT_PENDING: "ROOT_PENDING",
  /** An HTTP request is malformed (not JSON, wrong shape). */
  INVALID_REQUEST: "INVALID_REQUEST",
  /** An HTTP request body is larger than the service accepts. */
  BODY_TOO_LARGE: "BODY_TOO_LARGE",
  /** An HTTP request body is not JSON (`content-type` must be `application/json`). */
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  /** No such HTTP route, or no such resource (policy, challenge, receipt, circuit, key). */
  NOT_FOUND: "NOT_FOUND",
  /** A verifier policy is malformed, or does not compile against its schema and circuit. */
  INVALID_POLICY: "INVALID_POLICY",
  /** A policy with this id already exists (policies are immutable: create a new id). */
  POLICY_EXISTS: "POLICY_EXISTS",
  /** The policy binds a subject and the challenge request gave none, or gave a malformed one. */
  INVALID_SUBJECT: "INVALID_SUBJECT",
  /** The request carries no API key, or one the service does not know (or that was revoked). */
  UNAUTHORIZED: "UNAUTHORIZED",
  /** The API key is valid but may not do this (an admin operation with a client key). */
  FORBIDDEN: "FORBIDDEN",
  /** Too many requests for this API key (or address): wait for `Retry-After` seconds. */
  RATE_LIMITED: "RATE_LIMITED",
  /** The request took longer than the service's time limit. */
  REQUEST_TIMEOUT: "REQUEST_TIMEOUT",
  /** The service is starting or shutting down, or a dependency it needs is not ready. */
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  /** A verification worker failed while checking a proof (nothing was decided: retry). */
  VERIFY_FAILED: "VERIFY_FAILED",
  /** A configuration variable is malformed: `details.variable` names it. */
  CONFIG_INVALID: "CONFIG_INVALID",
  /** The verifier's database cannot be used (locked, corrupt, full, or from another version). */
  STORE_UNAVAILABLE: "STORE_UNAVAILABLE",
  /**
   * A verification key fails a check made on load: γ = δ (no phase-2 contribution), an IC count
   * other than nPublic + 1, a point off its curve or outside its subgroup, or a key that differs
   * from its zkey's. `details.check` names the check.
   */
  KEY_INVALID: "KEY_INVALID",
  /**
   * A release has a development setup (public toxic waste) and development keys are not allowed
   * here (`CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1` allows them, for local use only).
   */
  DEVELOPMENT_KEYS_REFUSED: "DEVELOPMENT_KEYS_REFUSED",
  /** A Powers of Tau file is none of the published ceremony files (and unknown ones were not allowed). */
  PTAU_UNKNOWN: "PTAU_UNKNOWN",
  /** A Powers of Tau file is malformed, fails its verification, or is not prepared for phase 2. */
  PTAU_INVALID: "PTAU_INVALID",
  /**
   * A ceremony file (zkey, transcript) is wrong or tampered: `details.file` names it and
   * `details.reason` says why.
   */
  CEREMONY_INVALID: "CEREMONY_INVALID",
  /**
   * A circuit name is taken: a built-in circuit's, or an external circuit registered with
   * another key (a registered key is immutable: register a new name or version).
   */
  CIRCUIT_EXISTS: "CIRCUIT_EXISTS",
  /**
   * A receipt-log export does not match the chain's anchors or its own chain: entries removed,
   * altered, reordered, inserted, or cut before the last anchor (`crossproof audit verify`, exit 65).
   */
  LOG_TAMPERED: "LOG_TAMPERED",
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error crossproof raises on purpose. */
export class CrossproofError extends Error {
  override readonly name: string = "CrossproofError";
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /** A JSON form for APIs and `--json` output: code, message and details, never the cause. */
  toJSON(): { code: ErrorCode; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** A record or value that does not fit its schema. `details.field` names the field. */
export class RecordValidationError extends CrossproofError {
  override readonly name = "RecordValidationError";
  readonly field: string;

  constructor(
    code: ErrorCode,
    field: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, `${field}: ${message}`, { details: { field, ...details } });
    this.field = field;
  }
}

/** A malformed query, or one that does not fit the circuit it is meant for. */
export class QueryError extends CrossproofError {
  override readonly name = "QueryError";
}

/** A missing, stale or tampered circuit artifact, or a failed compile or setup. */
export class ArtifactError extends CrossproofError {
  override readonly name = "ArtifactError";
}

/** A failure to make a proof, for instance because the record does not satisfy the query. */
export class ProofError extends CrossproofError {
  override readonly name = "ProofError";
}

/** A chain node, registry contract or chain configuration problem. */
export class ChainError extends CrossproofError {
  override readonly name = "ChainError";
}
