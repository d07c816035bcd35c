/**
 * Where a verifier instance keeps its state, chosen by the configuration: the embedded SQLite
 * file in the data folder (the default, one machine), or PostgreSQL and Redis shared by several
 * instances (`CROSSPROOF_DATABASE_URL`, `CROSSPROOF_REDIS_URL`; see `shared-config.ts`). In the
 * shared mode an instance keeps nothing of its own: its store is PostgreSQL, its rate limits are
 * in Redis, and its admin key must be configured (the same for every instance), not made in a
 * data folder.
 */
import { CrossproofError, ErrorCode } from "../core/errors.js";
import type { CrossproofLogger } from "../infra/log.js";
import { PostgresVerifierStore } from "../verifier/postgres-store.js";
import { SqliteVerifierStore } from "../verifier/sqlite-store.js";
import type { VerifierStore } from "../verifier/store.js";
import { loadAdminKey } from "./api-keys.js";
import type { ServiceConfig } from "./config.js";
import { type RequestLimiter, SharedRateLimit } from "./shared-rate-limit.js";

/** Opens the verifier's store: PostgreSQL when configured, else the SQLite file at `sqlitePath`. */
export async function openVerifierStore(
  config: ServiceConfig,
  sqlitePath: string,
): Promise<VerifierStore> {
  const { databaseUrl, databaseSchema, databasePoolSize } = config.shared;
  if (databaseUrl === undefined) return SqliteVerifierStore.open(sqlitePath);
  return PostgresVerifierStore.open(databaseUrl, {
    schema: databaseSchema,
    poolSize: databasePoolSize,
  });
}

/**
 * The admin key. In the shared mode it must be configured: a key made on first start would be
 * one instance's own, and the others would refuse it.
 */
export async function loadVerifierAdminKey(
  config: ServiceConfig,
  env: NodeJS.ProcessEnv,
  defaultPath: string,
): Promise<string> {
  if (
    config.shared.databaseUrl !== undefined &&
    !env.CROSSPROOF_ADMIN_API_KEY &&
    !env.CROSSPROOF_ADMIN_API_KEY_FILE
  ) {
    throw new CrossproofError(
      ErrorCode.CONFIG_INVALID,
      "CROSSPROOF_ADMIN_API_KEY: with CROSSPROOF_DATABASE_URL every instance needs the same admin key: set it or CROSSPROOF_ADMIN_API_KEY_FILE",
      { details: { variable: "CROSSPROOF_ADMIN_API_KEY" } },
    );
  }
  return loadAdminKey(env, defaultPath);
}

/**
 * The per-key rate limit in Redis when `CROSSPROOF_REDIS_URL` is set (undefined otherwise: the
 * service counts in its own memory). `SERVICE_UNAVAILABLE` naming Redis if it does not answer.
 */
export async function openSharedLimiter(
  config: ServiceConfig,
  logger: CrossproofLogger,
  onModeChange: (shared: boolean) => void,
): Promise<(RequestLimiter & { close(): Promise<void> }) | undefined> {
  const { redisUrl, redisPrefix } = config.shared;
  if (redisUrl === undefined) return undefined;
  return SharedRateLimit.connect(redisUrl, {
    perSecond: config.rateLimit,
    keyPrefix: redisPrefix,
    logger,
    onModeChange,
  });
}
