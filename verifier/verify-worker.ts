/**
 * The verification task of the verifier's worker pool (`verifier/pool.ts`), run by piscina in a
 * worker thread through `verify-worker-entry.js`: a batch of proofs of one circuit checked with
 * one pairing product on this worker's mcl-wasm curve (`batch-verify.ts`), each item validated
 * first as a single proof would be.
 */
import type { VerificationKey } from "../infra/artifacts.js";
import {
  type BatchStats,
  type ItemOutcome,
  initBn254,
  PreparedKey,
  verifyBatch,
} from "./batch-verify.js";

/** Proofs of one circuit to check together. */
export interface VerifyTask {
  /** Names `verificationKey` for this worker's cache of prepared keys. */
  readonly keyId: string;
  readonly verificationKey: VerificationKey;
  /** Untrusted `{proof, publicSignals}` values. */
  readonly items: readonly unknown[];
}

/** The answer per item: the verdict, or what is wrong with it. */
export type VerifyOutcome = ItemOutcome;

/** Outcomes in the order of the task's items, and the pairing work done. */
export interface VerifyTaskResult {
  readonly outcomes: readonly VerifyOutcome[];
  readonly stats: BatchStats;
}

/** Keys prepared by this worker, by id (a verifier serves a handful of circuits). */
const keys = new Map<string, Promise<PreparedKey>>();

/**
 * Load mcl-wasm in this worker: the pool runs it on every worker when it starts, since piscina
 * loads a worker's task module only with its first task.
 */
export async function warm(): Promise<void> {
  await initBn254();
}

/** Check one batch. */
export default async function verifyTask(task: VerifyTask): Promise<VerifyTaskResult> {
  let key = keys.get(task.keyId);
  if (!key) {
    key = PreparedKey.from(task.verificationKey);
    keys.set(task.keyId, key);
    key.catch(() => keys.delete(task.keyId));
  }
  return verifyBatch(await key, task.items);
}
