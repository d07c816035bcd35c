/**
 * The fixed, published randomness beacon of the development setup.
 *
 * `powersoftau contribute` and `zkey contribute` mix fresh random bytes into their entropy, so
 * they can never be reproduced. A development setup therefore applies a *beacon* in place of
 * each contribution: a public hash that anyone can recompute, which makes every byte of the
 * resulting keys reproducible from the sources, and makes the toxic waste public too. Keys made
 * this way prove nothing to a sceptical verifier: the manifest marks them `development` and the
 * services warn when they serve them. Production keys come from a multi-party ceremony.
 */
import { createHash } from "node:crypto";

/** The text the beacon hash is derived from. Changing it changes every development key. */
export const DEV_BEACON_SEED = "crossproof development setup v1: not for production";

/** The beacon hash, hex: sha256 of {@link DEV_BEACON_SEED}. */
export const DEV_BEACON_HASH = createHash("sha256").update(DEV_BEACON_SEED).digest("hex");

/** log2 of the number of sha256 iterations applied to the beacon (snarkjs's minimum is 10). */
export const DEV_BEACON_ITERATIONS_EXP = 10;
