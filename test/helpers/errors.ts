/** Catching the `CrossproofError` a call must fail with. */
import { CrossproofError } from "../../core/errors.js";

/**
 * The `CrossproofError` that `work` (a promise, or a function run now) rejects or throws with.
 * Anything else fails the test: success, or an error of another kind (rethrown as it is).
 */
export async function caught(work: Promise<unknown> | (() => unknown)): Promise<CrossproofError> {
  try {
    await (typeof work === "function" ? work() : work);
  } catch (err) {
    if (err instanceof CrossproofError) return err;
    throw err;
  }
  throw new Error("the call succeeded; a CrossproofError was expected");
}
