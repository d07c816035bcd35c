/**
 * The local deployment (`crossproof start`, and `crossproof demo` when it starts its own stack)
 * runs on the committed development keys, whose toxic waste is public. The verifier refuses
 * them unless `CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1`: these commands set it for themselves, and
 * say so plainly.
 */

/** The line the local deployment prints about its keys. */
export const DEVELOPMENT_KEYS_NOTICE =
  "development keys: CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1 is set for this local deployment. Their toxic waste is public, so anyone can forge proofs: never use them in production (see docs/ceremony.md for production keys).";

/**
 * Allow development keys in `env` for a local deployment, unless the variable was set
 * explicitly (then it is left as it is). Returns `env` with the variable.
 */
export function allowDevelopmentKeysLocally(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.CROSSPROOF_ALLOW_DEVELOPMENT_KEYS === undefined) {
    env.CROSSPROOF_ALLOW_DEVELOPMENT_KEYS = "1";
  }
  return env;
}
