/** How commands print: human lines by default, one JSON document with `--json`. */
import { SingleBar } from "cli-progress";
import { CrossproofError, ErrorCode } from "../core/errors.js";

/** Print a failure and set a non-zero exit code: the error's code and message, never a stack. */
export function printError(err: unknown, json: boolean): void {
  const body =
    err instanceof CrossproofError
      ? err.toJSON()
      : {
          code: ErrorCode.INTERNAL,
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
  // sysexits: 64 for a usage error, 78 for a bad configuration.
  process.exitCode = USAGE_CODES.has(body.code)
    ? 64
    : body.code === ErrorCode.CONFIG_INVALID
      ? 78
      : 1;
}

/**
 * Codes that mean the command line was wrong (exit code 64): a malformed command, or a name on
 * it that does not exist (a schema given with `--schema`).
 */
const USAGE_CODES: ReadonlySet<string> = new Set([ErrorCode.USAGE, ErrorCode.UNKNOWN_SCHEMA]);

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

/**
 * A progress bar on stderr, shown only on a terminal, only without `--json`, and only for work
 * of at least `minimum` items.
 */
export function progressBar(
  label: string,
  total: number,
  json: boolean,
  minimum = 200,
): { update(n: number): void; increment(): void; stop(): void } {
  if (json || !process.stderr.isTTY || total < minimum)
    return { update() {}, increment() {}, stop() {} };
  const bar = new SingleBar({
    format: `${label.padEnd(10)} [{bar}] {percentage}% {value}/{total} {eta_formatted} left`,
    stream: process.stderr,
    hideCursor: true,
  });
  bar.start(total, 0);
  return { update: (n) => bar.update(n), increment: () => bar.increment(), stop: () => bar.stop() };
}

/** Refuses a malformed command line: `USAGE`, exit code 64. */
export function usageError(message: string): never {
  throw new CrossproofError(ErrorCode.USAGE, message);
}

/**
 * Resolves on the first SIGINT or SIGTERM: how long-running commands wait to be stopped, then
 * stop gracefully. A second signal exits at once (exit code 130) — through `process.exit`, so
 * that exit handlers still run (the local chain node is killed, never left behind).
 */
export function untilStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const first = () => {
      process.off("SIGINT", first);
      process.off("SIGTERM", first);
      const again = () => process.exit(130);
      process.once("SIGINT", again);
      process.once("SIGTERM", again);
      resolve();
    };
    process.on("SIGINT", first);
    process.on("SIGTERM", first);
  });
}
