/** How commands print: human lines by default, one JSON document with `--json`. */
import { CrossproofError } from "../core/errors.js";

/** Print a failure and set a non-zero exit code: the error's code and message, never a stack. */
export function printError(err: unknown, json: boolean): void {
  const body =
    err instanceof CrossproofError
      ? err.toJSON()
      : {
          code: "INTERNAL",
          message: err instanceof Error ? err.message : String(err),
          details: {},
        };
  if (json) process.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  else {
    process.stderr.write(`error ${body.code}: ${body.message}\n`);
    if (!(err instanceof CrossproofError) && err instanceof Error && err.stack) {
      process.stderr.write(`${err.stack}\n`);
    }
  }
  process.exitCode = err instanceof CrossproofError && body.code === "USAGE" ? 64 : 1;
}

/** Print a value as JSON (bigints as decimal strings). */
export function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
  );
}

/** Milliseconds as a short human duration. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
