/**
 * The services' configuration: every environment variable they read, read and validated here,
 * once, with its default. A bad value stops the start with `CONFIG_INVALID` naming the variable
 * (the chain's variables are checked by `chain/config.ts`, with `CHAIN_CONFIG`).
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `CROSSPROOF_DATA_DIR` | `<crossproof>/data` | chain state, vault, verifier database, keys |
 * | `CROSSPROOF_HOST` | `127.0.0.1` | the address both services listen on |
 * | `CROSSPROOF_VERIFIER_PORT` | `8080` | the verifier service's port (0: any free port) |
 * | `CROSSPROOF_PROVER_PORT` | `8081` | the prover service's port (0: any free port) |
 * | `CROSSPROOF_VERIFY_WORKERS` | cores | verification worker threads |
 * | `CROSSPROOF_BATCH_MAX_DELAY_MS` | `2` | longest a single verification waits to share a batch |
 * | `CROSSPROOF_BATCH_MAX_SIZE` | `64` | most proofs checked in one pairing product |
 * | `CROSSPROOF_PROVER_WORKERS` | cores | proving worker threads |
 * | `CROSSPROOF_PROVER_ENGINE` | native if built, else snarkjs | `native` or `snarkjs` |
 * | `CROSSPROOF_NATIVE_TABLES` | `1` | the native engine's fixed-base MSM tables: `1` built in the background at the lowest priority (the windowed path until ready), `sync` built before a worker's first proof, `0` none (less memory, slower proofs); read by `prover/native/engine.ts`, which the prover's workers are given |
 * | `CROSSPROOF_NATIVE_TABLES_MB` | `512` | most MB of fixed-base tables per key, shared by the process's workers (wider windows, then fewer tables, past it) |
 * | `CROSSPROOF_ADMIN_API_KEY` / `_FILE` | made on first start | the verifier's admin key |
 * | `CROSSPROOF_RATE_LIMIT` | `100` | requests per second per API key (0: no limit) |
 * | `CROSSPROOF_BODY_LIMIT_KB` | `256` | largest request body |
 * | `CROSSPROOF_REQUEST_TIMEOUT_MS` | `30000` | longest a verifier request may take |
 * | `CROSSPROOF_PROVER_REQUEST_TIMEOUT_MS` | `180000` | longest a prover request may take (a full batch of 64 on 2 cores with snarkjs takes about 60 s) |
 * | `CROSSPROOF_ROOT_POLL_MS` | `1000` | registry event poll: the longest a revocation goes unseen |
 * | `CROSSPROOF_AUDIT_ANCHOR_EVERY` | `1000` | anchor the receipt log once this many receipts wait |
 * | `CROSSPROOF_AUDIT_ANCHOR_SECONDS` | `300` | … or once receipts have waited this long |
 * | `CROSSPROOF_LOG_LEVEL` | `info` | `trace` … `fatal`, or `silent` |
 * | `CROSSPROOF_LOG_FILE` | standard error | append logs to this file |
 * | `CROSSPROOF_ALLOW_DEVELOPMENT_KEYS` | `0` | `1`: the verifier accepts development keys (public toxic waste: local use only; `npm start` sets it) |
 * | `CROSSPROOF_EXTRA_RELEASES` | none | further artifact folders (`,`-separated), each holding a `query/` release whose key the verifier also holds: a rotation's other release |
 *
 * The shared mode's variables (`CROSSPROOF_DATABASE_URL`, `CROSSPROOF_REDIS_URL`, …) are read by
 * `shared-config.ts`.
 */
import { availableParallelism } from "node:os";
import { type ChainConfig, chainConfigFromEnv } from "../chain/config.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { dataDir } from "../infra/paths.js";
import {
  isProverEngine,
  type NativeTableSettings,
  nativeTableOptionsFromEnv,
  type ProverEngine,
} from "../prover/native/index.js";
import { type SharedConfig, sharedConfigFromEnv } from "./shared-config.js";

/** The services' settings. */
export interface ServiceConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly verifierPort: number;
  readonly proverPort: number;
  readonly verifyWorkers: number;
  /** Micro-batching: the longest wait for company, and the largest batch. */
  readonly batchMaxDelayMs: number;
  readonly batchMaxSize: number;
  readonly proverWorkers: number;
  /** The proving engine asked for; undefined: native when its addon is built, else snarkjs. */
  readonly proverEngine: ProverEngine | undefined;
  /** The native engine's fixed-base MSM tables (`CROSSPROOF_NATIVE_TABLES`, `_MB`). */
  readonly nativeTables: NativeTableSettings;
  /** The admin key, when configured (else made on first start in the data folder). */
  readonly adminApiKey: string | undefined;
  /** Requests per second per API key; 0 turns the limit off. */
  readonly rateLimit: number;
  readonly bodyLimitKb: number;
  readonly requestTimeoutMs: number;
  /** The prover's limit: a batch of proofs takes much longer than any verifier request. */
  readonly proverRequestTimeoutMs: number;
  readonly rootPollMs: number;
  /** Anchor the receipt log once this many receipts wait unanchored. */
  readonly anchorEvery: number;
  /** … or once receipts have waited this many seconds. */
  readonly anchorSeconds: number;
  /**
   * Whether the verifier may serve development keys, whose toxic waste is public (anyone can
   * forge proofs). Off unless `CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1`; `npm start` sets it.
   */
  readonly allowDevelopmentKeys: boolean;
  /**
   * Artifact folders with further `query` releases the verifier holds the keys of (a key
   * rotation: the previous or the next release), from `CROSSPROOF_EXTRA_RELEASES`.
   */
  readonly extraReleaseDirs: readonly string[];
  readonly chain: ChainConfig;
  /** PostgreSQL and Redis for several instances (`shared-config.ts`); unset: embedded. */
  readonly shared: SharedConfig;
}

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

function invalid(variable: string, message: string): never {
  throw new CrossproofError(ErrorCode.CONFIG_INVALID, `${variable}: ${message}`, {
    details: { variable },
  });
}

function integer(
  env: NodeJS.ProcessEnv,
  variable: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[variable];
  if (text === undefined || text === "") return fallback;
  if (!/^[0-9]+$/.test(text.trim())) invalid(variable, `must be an integer, not "${text}"`);
  const value = Number(text.trim());
  if (value < min || value > max) invalid(variable, `must be in [${min}, ${max}], not ${value}`);
  return value;
}

/**
 * `CROSSPROOF_PROVER_ENGINE` alone (`CONFIG_INVALID` unless empty, `native` or `snarkjs`), for
 * commands that prove without starting a service.
 */
export function proverEngineFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): ProverEngine | undefined {
  const engine = env.CROSSPROOF_PROVER_ENGINE?.trim() || undefined;
  if (engine !== undefined && !isProverEngine(engine)) {
    invalid("CROSSPROOF_PROVER_ENGINE", `must be native or snarkjs, not "${engine}"`);
  }
  return engine;
}

/** Reads and validates the configuration (`CONFIG_INVALID` or `CHAIN_CONFIG` on a bad value). */
export function serviceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const host = env.CROSSPROOF_HOST?.trim() || "127.0.0.1";
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(host))
    invalid("CROSSPROOF_HOST", "must be a host name or IP address");
  const level = env.CROSSPROOF_LOG_LEVEL;
  if (level !== undefined && level !== "" && !LOG_LEVELS.includes(level)) {
    invalid("CROSSPROOF_LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")}`);
  }
  if (env.CROSSPROOF_ADMIN_API_KEY && env.CROSSPROOF_ADMIN_API_KEY_FILE) {
    invalid("CROSSPROOF_ADMIN_API_KEY", "set it or CROSSPROOF_ADMIN_API_KEY_FILE, not both");
  }
  const adminApiKey = env.CROSSPROOF_ADMIN_API_KEY || undefined;
  if (adminApiKey !== undefined && adminApiKey.length < 32) {
    invalid("CROSSPROOF_ADMIN_API_KEY", "must be at least 32 characters");
  }
  const allowDev = env.CROSSPROOF_ALLOW_DEVELOPMENT_KEYS?.trim() ?? "";
  if (!["", "0", "1"].includes(allowDev)) {
    invalid("CROSSPROOF_ALLOW_DEVELOPMENT_KEYS", `must be 0 or 1, not "${allowDev}"`);
  }
  const engine = proverEngineFromEnv(env);
  const cores = availableParallelism();
  const verifierPort = integer(env, "CROSSPROOF_VERIFIER_PORT", 8080, 0, 65_535);
  const proverPort = integer(env, "CROSSPROOF_PROVER_PORT", 8081, 0, 65_535);
  if (verifierPort !== 0 && verifierPort === proverPort) {
    invalid("CROSSPROOF_PROVER_PORT", "must differ from CROSSPROOF_VERIFIER_PORT");
  }
  return {
    dataDir: dataDir(env),
    host,
    verifierPort,
    proverPort,
    verifyWorkers: integer(env, "CROSSPROOF_VERIFY_WORKERS", cores, 1, 256),
    batchMaxDelayMs: integer(env, "CROSSPROOF_BATCH_MAX_DELAY_MS", 2, 0, 1_000),
    batchMaxSize: integer(env, "CROSSPROOF_BATCH_MAX_SIZE", 64, 1, 256),
    proverWorkers: integer(env, "CROSSPROOF_PROVER_WORKERS", cores, 1, 256),
    proverEngine: engine,
    nativeTables: nativeTableOptionsFromEnv(env),
    adminApiKey,
    rateLimit: integer(env, "CROSSPROOF_RATE_LIMIT", 100, 0, 1_000_000),
    bodyLimitKb: integer(env, "CROSSPROOF_BODY_LIMIT_KB", 256, 1, 65_536),
    requestTimeoutMs: integer(env, "CROSSPROOF_REQUEST_TIMEOUT_MS", 30_000, 100, 600_000),
    proverRequestTimeoutMs: integer(
      env,
      "CROSSPROOF_PROVER_REQUEST_TIMEOUT_MS",
      180_000,
      100,
      3_600_000,
    ),
    rootPollMs: integer(env, "CROSSPROOF_ROOT_POLL_MS", 1_000, 50, 60_000),
    anchorEvery: integer(env, "CROSSPROOF_AUDIT_ANCHOR_EVERY", 1_000, 1, 1_000_000_000),
    anchorSeconds: integer(env, "CROSSPROOF_AUDIT_ANCHOR_SECONDS", 300, 1, 31_536_000),
    allowDevelopmentKeys: allowDev === "1",
    extraReleaseDirs: (env.CROSSPROOF_EXTRA_RELEASES ?? "")
      .split(",")
      .map((d) => d.trim())
      .filter((d) => d.length > 0),
    chain: chainConfigFromEnv(env),
    shared: sharedConfigFromEnv(env),
  };
}
