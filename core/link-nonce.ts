/**
 * The link nonce of a linked presentation (`query_v2`), on its own so that the browser client
 * can draw one without loading Poseidon (core/query-v2.ts re-exports it).
 */
import { randomFieldElement } from "./field.js";

/**
 * A fresh link nonce: uniform, 248 bits, from the OS CSPRNG. The holder draws one per
 * presentation and uses it in each linked record's proof; never reuse it across presentations
 * (the link outputs would then be a stable pseudonym).
 */
export function newLinkNonce(): bigint {
  return randomFieldElement();
}
