/**
 * The services' configuration from the environment: defaults, accepted values, and one refusal
 * per bad value naming its variable. Each test passes its own environment, never process.env.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors.js";
import { createLogger } from "../../infra/log.js";
import { serviceConfigFromEnv } from "../../server/config.js";
import { caught } from "../helpers/errors.js";

describe("serviceConfigFromEnv", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "crossproof-config-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const env = (vars: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    CROSSPROOF_DATA_DIR: dataDir,
    ...vars,
  });

  it("applies the defaults", () => {
    const cores = availableParallelism();
    expect(serviceConfigFromEnv(env())).toEqual({
      dataDir,
      host: "127.0.0.1",
      verifierPort: 8080,
      proverPort: 8081,
      verifyWorkers: cores,
      batchMaxDelayMs: 2,
      batchMaxSize: 64,
      proverWorkers: cores,
      adminApiKey: undefined,
      rateLimit: 100,
      bodyLimitKb: 256,
      requestTimeoutMs: 30_000,
      proverRequestTimeoutMs: 180_000,
      rootPollMs: 1_000,
      anchorEvery: 1_000,
      anchorSeconds: 300,
      allowDevelopmentKeys: false,
      extraReleaseDirs: [],
      nativeTables: { tables: true, background: true, tableBudgetMb: 512 },
      chain: { mode: "local", dataDir },
      shared: {
        databaseUrl: undefined,
        databaseSchema: "public",
        databasePoolSize: 10,
        redisUrl: undefined,
        redisPrefix: "crossproof:rl",
      },
    });
  });

  it("treats empty variables as unset", () => {
    const config = serviceConfigFromEnv(
      env({
        CROSSPROOF_HOST: "",
        CROSSPROOF_VERIFIER_PORT: "",
        CROSSPROOF_RATE_LIMIT: "",
        CROSSPROOF_ADMIN_API_KEY: "",
      }),
    );
    expect(config).toMatchObject({
      host: "127.0.0.1",
      verifierPort: 8080,
      rateLimit: 100,
      adminApiKey: undefined,
    });
  });

  it("reads each variable it is given", () => {
    const adminKey = "k".repeat(32);
    expect(
      serviceConfigFromEnv(
        env({
          CROSSPROOF_HOST: "0.0.0.0",
          CROSSPROOF_VERIFIER_PORT: "9000",
          CROSSPROOF_PROVER_PORT: " 9001 ",
          CROSSPROOF_VERIFY_WORKERS: "3",
          CROSSPROOF_BATCH_MAX_DELAY_MS: "0",
          CROSSPROOF_BATCH_MAX_SIZE: "128",
          CROSSPROOF_PROVER_WORKERS: "256",
          CROSSPROOF_ADMIN_API_KEY: adminKey,
          CROSSPROOF_RATE_LIMIT: "0",
          CROSSPROOF_BODY_LIMIT_KB: "1",
          CROSSPROOF_REQUEST_TIMEOUT_MS: "600000",
          CROSSPROOF_PROVER_REQUEST_TIMEOUT_MS: "3600000",
          CROSSPROOF_ROOT_POLL_MS: "50",
          CROSSPROOF_AUDIT_ANCHOR_EVERY: "10",
          CROSSPROOF_AUDIT_ANCHOR_SECONDS: "5",
          CROSSPROOF_LOG_LEVEL: "silent",
          CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1",
          CROSSPROOF_PROVER_ENGINE: "snarkjs",
          CROSSPROOF_EXTRA_RELEASES: "/releases/old, ,/releases/next ",
          CROSSPROOF_NATIVE_TABLES: "sync",
          CROSSPROOF_NATIVE_TABLES_MB: "64",
        }),
      ),
    ).toEqual({
      dataDir,
      host: "0.0.0.0",
      verifierPort: 9000,
      proverPort: 9001,
      verifyWorkers: 3,
      batchMaxDelayMs: 0,
      batchMaxSize: 128,
      proverWorkers: 256,
      proverEngine: "snarkjs",
      adminApiKey: adminKey,
      rateLimit: 0,
      bodyLimitKb: 1,
      requestTimeoutMs: 600_000,
      proverRequestTimeoutMs: 3_600_000,
      rootPollMs: 50,
      anchorEvery: 10,
      anchorSeconds: 5,
      allowDevelopmentKeys: true,
      extraReleaseDirs: ["/releases/old", "/releases/next"],
      nativeTables: { tables: true, background: false, tableBudgetMb: 64 },
      chain: { mode: "local", dataDir },
      shared: {
        databaseUrl: undefined,
        databaseSchema: "public",
        databasePoolSize: 10,
        redisUrl: undefined,
        redisPrefix: "crossproof:rl",
      },
    });
  });

  it("accepts port 0 (any free port) for both services", () => {
    const config = serviceConfigFromEnv(
      env({ CROSSPROOF_VERIFIER_PORT: "0", CROSSPROOF_PROVER_PORT: "0" }),
    );
    expect([config.verifierPort, config.proverPort]).toEqual([0, 0]);
  });

  it("accepts an admin key file alone", () => {
    expect(
      serviceConfigFromEnv(env({ CROSSPROOF_ADMIN_API_KEY_FILE: join(dataDir, "admin.key") }))
        .adminApiKey,
    ).toBeUndefined();
  });

  const refusals: [string, Record<string, string>, string][] = [
    [
      "a port that is not an integer",
      { CROSSPROOF_VERIFIER_PORT: "80a" },
      "CROSSPROOF_VERIFIER_PORT",
    ],
    ["a fractional port", { CROSSPROOF_VERIFIER_PORT: "8080.5" }, "CROSSPROOF_VERIFIER_PORT"],
    ["port 70000", { CROSSPROOF_VERIFIER_PORT: "70000" }, "CROSSPROOF_VERIFIER_PORT"],
    ["port 65536", { CROSSPROOF_PROVER_PORT: "65536" }, "CROSSPROOF_PROVER_PORT"],
    ["a negative port", { CROSSPROOF_PROVER_PORT: "-1" }, "CROSSPROOF_PROVER_PORT"],
    [
      "equal ports",
      { CROSSPROOF_VERIFIER_PORT: "9000", CROSSPROOF_PROVER_PORT: "9000" },
      "CROSSPROOF_PROVER_PORT",
    ],
    [
      "a prover port equal to the default verifier port",
      { CROSSPROOF_PROVER_PORT: "8080" },
      "CROSSPROOF_PROVER_PORT",
    ],
    ["an unknown log level", { CROSSPROOF_LOG_LEVEL: "verbose" }, "CROSSPROOF_LOG_LEVEL"],
    ["a log level in capitals", { CROSSPROOF_LOG_LEVEL: "INFO" }, "CROSSPROOF_LOG_LEVEL"],
    [
      "an admin key of 31 characters",
      { CROSSPROOF_ADMIN_API_KEY: "k".repeat(31) },
      "CROSSPROOF_ADMIN_API_KEY",
    ],
    [
      "both an admin key and an admin key file",
      {
        CROSSPROOF_ADMIN_API_KEY: "k".repeat(40),
        CROSSPROOF_ADMIN_API_KEY_FILE: "/run/secrets/admin.key",
      },
      "CROSSPROOF_ADMIN_API_KEY",
    ],
    ["a host with a space", { CROSSPROOF_HOST: "my host" }, "CROSSPROOF_HOST"],
    ["0 verification workers", { CROSSPROOF_VERIFY_WORKERS: "0" }, "CROSSPROOF_VERIFY_WORKERS"],
    ["a batch of 0", { CROSSPROOF_BATCH_MAX_SIZE: "0" }, "CROSSPROOF_BATCH_MAX_SIZE"],
    [
      "a batch delay of 2 s",
      { CROSSPROOF_BATCH_MAX_DELAY_MS: "2000" },
      "CROSSPROOF_BATCH_MAX_DELAY_MS",
    ],
    ["257 proving workers", { CROSSPROOF_PROVER_WORKERS: "257" }, "CROSSPROOF_PROVER_WORKERS"],
    ["a fractional rate limit", { CROSSPROOF_RATE_LIMIT: "1.5" }, "CROSSPROOF_RATE_LIMIT"],
    ["a body limit of 0", { CROSSPROOF_BODY_LIMIT_KB: "0" }, "CROSSPROOF_BODY_LIMIT_KB"],
    [
      "a request time limit under 100 ms",
      { CROSSPROOF_REQUEST_TIMEOUT_MS: "99" },
      "CROSSPROOF_REQUEST_TIMEOUT_MS",
    ],
    [
      "a prover time limit over an hour",
      { CROSSPROOF_PROVER_REQUEST_TIMEOUT_MS: "3600001" },
      "CROSSPROOF_PROVER_REQUEST_TIMEOUT_MS",
    ],
    ["a root poll under 50 ms", { CROSSPROOF_ROOT_POLL_MS: "49" }, "CROSSPROOF_ROOT_POLL_MS"],
    [
      "development keys allowed by a word",
      { CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "yes" },
      "CROSSPROOF_ALLOW_DEVELOPMENT_KEYS",
    ],
    [
      "an unknown proving engine",
      { CROSSPROOF_PROVER_ENGINE: "rapidsnark" },
      "CROSSPROOF_PROVER_ENGINE",
    ],
    [
      "native tables asked for by a word",
      { CROSSPROOF_NATIVE_TABLES: "on" },
      "CROSSPROOF_NATIVE_TABLES",
    ],
    [
      "a fractional table budget",
      { CROSSPROOF_NATIVE_TABLES_MB: "1.5" },
      "CROSSPROOF_NATIVE_TABLES_MB",
    ],
    [
      "a proving engine in capitals",
      { CROSSPROOF_PROVER_ENGINE: "NATIVE" },
      "CROSSPROOF_PROVER_ENGINE",
    ],
  ];

  it.each(refusals)("refuses %s, naming the variable", async (_, vars, variable) => {
    const err = await caught(() => serviceConfigFromEnv(env(vars)));
    expect(err.code).toBe(ErrorCode.CONFIG_INVALID);
    expect(err.details).toEqual({ variable });
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
  });

  it("leaves the chain's variables to the chain configuration", async () => {
    const err = await caught(() =>
      serviceConfigFromEnv(env({ CROSSPROOF_RPC_URL: "ftp://node.example" })),
    );
    expect(err.code).toBe(ErrorCode.CHAIN_CONFIG);
  });
});

describe("createLogger", () => {
  it("treats an empty CROSSPROOF_LOG_LEVEL as unset (info), as the configuration does", () => {
    const logger = createLogger("test", {
      CROSSPROOF_LOG_LEVEL: "",
      CROSSPROOF_LOG_FILE: "/dev/null",
    });
    expect(logger.pino.level).toBe("info");
  });
});
