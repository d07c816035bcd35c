/**
 * The shared PostgreSQL and Redis the scale-out tests run against (127.0.0.1:5432, database
 * `test`, and 127.0.0.1:6379 on every machine of this project; other URLs through
 * `CROSSPROOF_TEST_DATABASE_URL` and `CROSSPROOF_TEST_REDIS_URL`).
 *
 * Other people's tests use the same servers at the same time: every test file works in its own
 * PostgreSQL schema and under its own Redis key prefix, named with the process id and random
 * bits, and drops them when it ends.
 *
 * When a service is missing: in CI (`CI` set) the tests that need it fail (`assertAvailable` in
 * their `beforeAll`); elsewhere they are skipped, and the reason is printed and shown as the name
 * of a skipped test, never skipped silently.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { probePostgres, probeRedis } from "../../support/service-probes.js";

/** The PostgreSQL the tests use. */
export const TEST_DATABASE_URL =
  process.env.CROSSPROOF_TEST_DATABASE_URL || "postgres://root@127.0.0.1:5432/test";
/** The Redis the tests use. */
export const TEST_REDIS_URL = process.env.CROSSPROOF_TEST_REDIS_URL || "redis://127.0.0.1:6379";

/** Whether the services a test file needs answer, and if not, why. */
export interface ServiceCheck {
  /** Whether the file's tests should run (always in CI, where a missing service must fail). */
  readonly run: boolean;
  /** Empty when every service answers; else what is missing and why. */
  readonly missing: string;
  /** Throws (in CI) when a service is missing; call it in `beforeAll`. */
  assertAvailable(): void;
}

/** Checks the services a test file needs, once, at its start. */
export async function checkServices(
  needs: readonly ("postgres" | "redis")[],
  label: string,
): Promise<ServiceCheck> {
  const problems: string[] = [];
  if (needs.includes("postgres")) {
    const p = await probePostgres(TEST_DATABASE_URL);
    if (p) problems.push(p);
  }
  if (needs.includes("redis")) {
    const r = await probeRedis(TEST_REDIS_URL);
    if (r) problems.push(r);
  }
  const missing = problems.join("; ");
  const inCi = Boolean(process.env.CI);
  if (missing && !inCi) {
    process.stderr.write(`SKIPPED ${label}: ${missing} (set CI to make this a failure)\n`);
  }
  return {
    run: missing === "" || inCi,
    missing,
    assertAvailable() {
      if (missing) throw new Error(`${label} needs its services in CI: ${missing}`);
    },
  };
}

/** A name no other test run uses: `<prefix>_<pid>_<random>` (a valid PostgreSQL identifier). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
}

/** Drops a schema the test made, with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs one query on its own connection (for tests reading the database behind the stores). */
export async function queryOnce<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}
