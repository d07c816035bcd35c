/**
 * Shared set-up of the native engine's tests: whether the addon is built (and why not), and the
 * witness inputs of the committed `query` and `commitment` releases.
 */

import { eligibleWitnesses } from "../../../bench/witnesses.js";
import { computeLeaf } from "../../../core/commitment.js";
import { type CircuitRelease, loadCircuitRelease } from "../../../infra/artifacts.js";
import { loadNativeAddon } from "../../../prover/native/addon.js";
import { queryShape } from "../../../prover/prove-query.js";
import { buildQueryInput } from "../../../prover/query-input.js";
import { commit } from "../../helpers/fixtures.js";

/** The addon, or why it is missing (tests that need it skip with this reason). */
export const nativeStatus = loadNativeAddon();

/** A suite title that carries the reason it is skipped when the addon is not built. */
export function nativeSuite(title: string): string {
  return nativeStatus.available ? title : `${title} (skipped: ${nativeStatus.reason})`;
}

/** `count` distinct `query` inputs (distinct records and challenges) for `release`. */
export function queryInputs(release: CircuitRelease, count: number): Record<string, unknown>[] {
  const { depth, k } = queryShape(release);
  return eligibleWitnesses(count, k).map((w) => buildQueryInput(w, depth));
}

/** A `commitment` input for the default committed record, with `challenge` and `salt` varied. */
export function commitmentInput(challenge: bigint, salt?: bigint): Record<string, unknown> {
  const c = commit();
  const s = salt ?? c.salt;
  return {
    leaf: computeLeaf(c.schema.schemaId, c.slots, s).toString(),
    schemaId: c.schema.schemaId.toString(),
    challenge: challenge.toString(),
    slots: c.slots.map(String),
    salt: s.toString(),
  };
}

/** Load a committed release. */
export function release(name: "query" | "commitment"): Promise<CircuitRelease> {
  return loadCircuitRelease(name);
}
