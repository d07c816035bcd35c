/**
 * The holder's side: building a `query` witness, checking it, and proving it, in this process
 * (`proveQuery`) or in a pool of worker threads (`ProverPool`); and answering a verifier's proof
 * request about a record in the vault (`presentRecord`).
 */
export {
  DEFAULT_JOB_TIMEOUT_MS,
  type JobOutcome,
  type ProveOptions,
  ProverPool,
  type ProverPoolOptions,
  type ProverPoolStats,
} from "./pool.js";
export {
  type Presentation,
  type ProveFunction,
  presentRecord,
  witnessFor,
} from "./present-record.js";
export { checkQueryWitness, proveQuery, queryShape } from "./prove-query.js";
export { buildQueryInput, type CircuitInput, type QueryWitness } from "./query-input.js";
