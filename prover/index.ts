/**
 * The holder's side: building a `query` (or `query_v2`) witness, checking it, and proving it, in
 * this process (`proveQuery`) or in a pool of worker threads (`ProverPool`, both releases); and
 * answering a verifier's proof request, or one part of a linked one, about a record in the
 * vault (`presentRecord`).
 */

export { checkQueryV2Witness, queryV2Shape } from "./check-query-v2.js";
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
  type WitnessOptions,
  witnessFor,
} from "./present-record.js";
export { checkQueryWitness, proveQuery, queryShape } from "./prove-query.js";
export { buildQueryInput, type CircuitInput, type QueryWitness } from "./query-input.js";
export {
  buildQueryV2Input,
  isQueryV2Witness,
  type ProverWitness,
  type QueryV2Witness,
  type TaggedQueryV2Witness,
} from "./query-v2-input.js";
