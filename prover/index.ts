/**
 * The holder's side: building a `query` witness, checking it, and proving it, in this process
 * (`proveQuery`) or in a pool of worker threads (`ProverPool`).
 */
export {
  DEFAULT_JOB_TIMEOUT_MS,
  type JobOutcome,
  type ProveOptions,
  ProverPool,
  type ProverPoolOptions,
  type ProverPoolStats,
} from "./pool.js";
export { checkQueryWitness, proveQuery, queryShape } from "./prove-query.js";
export { buildQueryInput, type CircuitInput, type QueryWitness } from "./query-input.js";
