/**
 * The shared mode's configuration: with `CROSSPROOF_DATABASE_URL` a verifier keeps its state in
 * PostgreSQL instead of the data folder's SQLite file, and with `CROSSPROOF_REDIS_URL` its rate
 * limits in Redis, so that several instances behind one address act as one service.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `CROSSPROOF_DATABASE_URL` | unset (SQLite) | `postgres://user:password@host:port/database` |
 * | `CROSSPROOF_DATABASE_SCHEMA` | `public` | the PostgreSQL schema holding the verifier's tables |
 * | `CROSSPROOF_DATABASE_POOL_SIZE` | `10` | connections per instance |
 * | `CROSSPROOF_REDIS_URL` | unset (limits per instance) | `redis://[:password@]host:port[/db]` or `rediss://…` |
 * | `CROSSPROOF_REDIS_PREFIX` | `crossproof:rl` | prefix of the rate-limit keys in Redis |
 *
 * A malformed value is `CONFIG_INVALID` naming the variable; the value itself is never repeated
 * (a URL may hold a password).
 */
import { CrossproofError, ErrorCode } from "../core/errors.js";

/** Where the shared state lives; both unset is the embedded (single-instance) mode. */
export interface SharedConfig {
  /** PostgreSQL's URL (as given: holds the password; show it only through `shownUrl`). */
  readonly databaseUrl: string | undefined;
  readonly databaseSchema: string;
  readonly databasePoolSize: number;
  /** Redis's URL (as given; show it only through `shownUrl`). */
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
}

function invalid(variable: string, message: string): never {
  throw new CrossproofError(ErrorCode.CONFIG_INVALID, `${variable}: ${message}`, {
    details: { variable },
  });
}

function serviceUrl(
  env: NodeJS.ProcessEnv,
  variable: string,
  protocols: readonly string[],
): string | undefined {
  const text = env[variable]?.trim();
  if (text === undefined || text === "") return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    invalid(variable, `is not a URL (expected ${protocols[0]}//host:port/…)`);
  }
  if (!protocols.includes(url.protocol)) {
    invalid(variable, `must start with ${protocols.map((p) => `${p}//`).join(" or ")}`);
  }
  if (url.hostname === "") invalid(variable, "names no host");
  return text;
}

/** Reads the shared mode's variables (`CONFIG_INVALID` naming the variable on a bad value). */
export function sharedConfigFromEnv(env: NodeJS.ProcessEnv): SharedConfig {
  const schema = env.CROSSPROOF_DATABASE_SCHEMA?.trim() || "public";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    invalid("CROSSPROOF_DATABASE_SCHEMA", "must be a lower-case SQL identifier (a-z, 0-9, _)");
  }
  const poolText = env.CROSSPROOF_DATABASE_POOL_SIZE?.trim() || "10";
  const poolSize = Number(poolText);
  if (!/^[0-9]+$/.test(poolText) || poolSize < 1 || poolSize > 1_000) {
    invalid("CROSSPROOF_DATABASE_POOL_SIZE", "must be an integer in [1, 1000]");
  }
  const redisPrefix = env.CROSSPROOF_REDIS_PREFIX?.trim() || "crossproof:rl";
  if (!/^[A-Za-z0-9:_.-]{1,100}$/.test(redisPrefix)) {
    invalid("CROSSPROOF_REDIS_PREFIX", "must be 1-100 of A-Z a-z 0-9 : _ . -");
  }
  return {
    databaseUrl: serviceUrl(env, "CROSSPROOF_DATABASE_URL", ["postgres:", "postgresql:"]),
    databaseSchema: schema,
    databasePoolSize: poolSize,
    redisUrl: serviceUrl(env, "CROSSPROOF_REDIS_URL", ["redis:", "rediss:"]),
    redisPrefix,
  };
}
