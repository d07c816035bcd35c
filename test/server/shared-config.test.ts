/**
 * The shared mode's configuration (`server/shared-config.ts`, `server/shared-state.ts`): URLs
 * read and checked, a bad one refused with `CONFIG_INVALID` naming its variable and never
 * repeating its password; an unreachable Redis refused at start naming the host only; the admin
 * key required when instances share a database.
 */
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors.js";
import { createLogger } from "../../infra/log.js";
import { freeLoopbackPort } from "../../infra/ports.js";
import { shownUrl } from "../../infra/service-url.js";
import { serviceConfigFromEnv } from "../../server/config.js";
import { sharedConfigFromEnv } from "../../server/shared-config.js";
import { loadVerifierAdminKey, openSharedLimiter } from "../../server/shared-state.js";
import { caught } from "../helpers/errors.js";

describe("the shared mode's configuration", () => {
  it("reads the URLs, the schema, the pool size and the Redis prefix", () => {
    expect(
      sharedConfigFromEnv({
        CROSSPROOF_DATABASE_URL: " postgresql://app:pw@db.internal:6432/crossproof ",
        CROSSPROOF_DATABASE_SCHEMA: "verifier_1",
        CROSSPROOF_DATABASE_POOL_SIZE: "25",
        CROSSPROOF_REDIS_URL: "rediss://:pw@cache.internal:6380/2",
        CROSSPROOF_REDIS_PREFIX: "bank-a:rl",
      }),
    ).toEqual({
      databaseUrl: "postgresql://app:pw@db.internal:6432/crossproof",
      databaseSchema: "verifier_1",
      databasePoolSize: 25,
      redisUrl: "rediss://:pw@cache.internal:6380/2",
      redisPrefix: "bank-a:rl",
    });
  });

  it.each([
    ["CROSSPROOF_DATABASE_URL", "not a url s3cret-pw", /is not a URL/],
    ["CROSSPROOF_DATABASE_URL", "mysql://u:s3cret-pw@host/db", /must start with postgres:\/\//],
    ["CROSSPROOF_DATABASE_URL", "postgres://u:s3cret-pw@/db", /names no host|is not a URL/],
    ["CROSSPROOF_REDIS_URL", "http://u:s3cret-pw@host:6379", /must start with redis:\/\//],
    ["CROSSPROOF_DATABASE_SCHEMA", "Drop Table", /lower-case SQL identifier/],
    ["CROSSPROOF_DATABASE_POOL_SIZE", "0", /integer in \[1, 1000\]/],
    ["CROSSPROOF_REDIS_PREFIX", "a b", /1-100 of/],
  ])(
    "refuses %s=%j with CONFIG_INVALID naming it, never its value",
    async (variable, value, message) => {
      const err = await caught(() => serviceConfigFromEnv({ [variable]: value }));
      expect(err.code).toBe(ErrorCode.CONFIG_INVALID);
      expect(err.details).toEqual({ variable });
      expect(err.message).toMatch(new RegExp(`^${variable}: `));
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain("s3cret-pw");
    },
  );

  it("shows URLs without password or query", () => {
    expect(shownUrl("postgres://app:pw@db:5432/x?sslmode=require&password=pw")).toBe(
      "postgres://app@db:5432/x",
    );
    expect(shownUrl("redis://:pw@cache:6379")).toBe("redis://cache:6379");
    expect(shownUrl("::nonsense::")).toBe("(unparsable URL)");
  });

  it("needs a configured admin key when instances share a database", async () => {
    const env = { CROSSPROOF_DATABASE_URL: "postgres://u@127.0.0.1:5432/test" };
    const err = await caught(
      loadVerifierAdminKey(serviceConfigFromEnv(env), env, "/nonexistent/admin.key"),
    );
    expect(err.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(err.details).toEqual({ variable: "CROSSPROOF_ADMIN_API_KEY" });
  });

  it("refuses to start when Redis does not answer, naming its host and not its password", async () => {
    const port = await freeLoopbackPort();
    const env = { CROSSPROOF_REDIS_URL: `redis://:hunter2-pw@127.0.0.1:${port}` };
    const err = await caught(
      openSharedLimiter(
        serviceConfigFromEnv(env),
        createLogger("test", { CROSSPROOF_LOG_LEVEL: "silent" }),
        () => undefined,
      ),
    );
    expect(err.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
    expect(err.message).toContain(`Redis at redis://127.0.0.1:${port} does not answer`);
    expect(`${err.message}${JSON.stringify(err)}`).not.toContain("hunter2");
  });
});
