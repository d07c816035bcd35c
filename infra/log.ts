/**
 * Structured logs (pino, JSON lines). What may be logged is decided here, once: ids, codes,
 * routes, durations and counts. Never a request body, a record field, a salt, a Merkle path or a
 * key; callers pass only the fields below, and `test/log-capture.test.ts` checks the logs of the
 * whole test suite for anything that looks like one.
 *
 * `CROSSPROOF_LOG_LEVEL` (default `info`; `silent` for none) and `CROSSPROOF_LOG_FILE` (append to
 * a file instead of standard error).
 */
import pino, { type Logger } from "pino";

/** The fields a log line may carry (besides pino's time, level and message). */
export interface LogFields {
  readonly event?: string;
  readonly requestId?: string;
  readonly method?: string;
  readonly route?: string;
  readonly status?: number;
  readonly durationMs?: number;
  readonly code?: string;
  readonly recordId?: string;
  readonly challengeId?: string;
  readonly count?: number;
  readonly port?: number;
  readonly workers?: number;
  readonly circuit?: string;
}

/** A logger restricted to `LogFields`. */
export interface CrossproofLogger {
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  /** pino's own logger, for flushing on shutdown. */
  readonly pino: Logger;
}

/** A logger named after the service (`prover`, `verifier`, …). */
export function createLogger(name: string, env: NodeJS.ProcessEnv = process.env): CrossproofLogger {
  const destination = env.CROSSPROOF_LOG_FILE
    ? pino.destination({ dest: env.CROSSPROOF_LOG_FILE, append: true, sync: true, mkdir: true })
    : pino.destination({ fd: 2, sync: true });
  const logger = pino(
    { name, level: env.CROSSPROOF_LOG_LEVEL || "info", base: { name } },
    destination,
  );
  return {
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
    pino: logger,
  };
}
