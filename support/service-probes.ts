/**
 * Whether the shared PostgreSQL and Redis answer, for the tests and reliability suites that need
 * them: undefined when the service answers, else why not (never its password).
 */
import { Redis } from "ioredis";
import pg from "pg";

const why = (err: unknown) => (err as { code?: string }).code ?? (err as Error).message;

/** Connects and runs `SELECT 1`; why it failed, or undefined. */
export async function probePostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (err) {
    return `PostgreSQL does not answer (${why(err)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Connects and sends `PING` without retrying; why it failed, or undefined. */
export async function probeRedis(url: string): Promise<string | undefined> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (err) {
    return `Redis does not answer (${why(err)})`;
  } finally {
    redis.disconnect();
  }
}
