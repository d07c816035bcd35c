/**
 * Which file a worker thread loads. Compiled (dist/, as `crossproof` and `npm start` run), a
 * worker loads the compiled task module itself. From the TypeScript sources (vitest, tsx), worker
 * threads do not inherit the loader that runs them, so they load a small plain-JavaScript shim
 * beside the task module (`<name>-entry.js`) that registers tsx first.
 */
import { fileURLToPath } from "node:url";

/** The path of the module a worker for task `name` (`prove-worker`, say) loads. */
export function workerEntry(callerUrl: string, name: string): string {
  const compiled = callerUrl.endsWith(".js");
  return fileURLToPath(new URL(compiled ? `./${name}.js` : `./${name}-entry.js`, callerUrl));
}
