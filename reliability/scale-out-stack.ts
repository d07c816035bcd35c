/**
 * Several verifier instances sharing one PostgreSQL and one Redis, as a real scale-out runs
 * them, on one machine: instance 0 is the verifier of `startApiStack` (in this process, with the
 * local chain, the issuer's anchored records and the prover), and instances 1…N-1 are
 * `crossproof verifier serve` child processes on free ports, each watching the same chain over
 * JSON-RPC, each with an empty data folder of its own (which must stay empty: a shared-mode
 * instance keeps nothing). Every instance gets its own address, so a suite can present one
 * challenge to all of them at once, or SIGKILL one.
 *
 * The stack works in a PostgreSQL schema and under a Redis key prefix of its own (process id and
 * random bits), dropped and deleted by `close()`: other people use the same servers.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { VerifierClient } from "../client/index.js";
import { createPrivateFile } from "../infra/files.js";
import { PROJECT_ROOT } from "../infra/paths.js";
import { type ApiStack, startApiStack } from "./api-stack.js";

/** Options of {@link startScaleOut}. */
export interface ScaleOutOptions {
  /** Verifier instances in all (instance 0 in this process). */
  readonly instances: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Requests per second per key, shared (default 0: no limit). */
  readonly rateLimit?: number;
  /** Verification worker threads per instance (default 1: instances share the cores). */
  readonly verifyWorkers?: number;
  /** Synthetic records of the issuer (default 200). */
  readonly records?: number;
  /** Child instances' standard error goes here (default: kept for failures only). */
  readonly onChildOutput?: (line: string) => void;
}

/** One `crossproof verifier serve` child process. */
export interface InstanceProcess {
  readonly pid: number;
  readonly url: string;
  readonly dataDir: string;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop), then waits for the exit. */
  stop(): Promise<void>;
  readonly exited: Promise<number | null>;
}

/** Running instances over shared state. */
export interface ScaleOut {
  /** Instance 0's stack: chain, prover, keys, fresh presentations. */
  readonly api: ApiStack;
  /** Every instance's address, instance 0 first. */
  readonly urls: readonly string[];
  /** Instances 1…N-1 (index i - 1 for instance i). */
  readonly children: readonly InstanceProcess[];
  readonly schema: string;
  readonly redisPrefix: string;
  /** The environment every child instance gets (shared state, chain, admin key file). */
  readonly instanceEnv: Readonly<Record<string, string>>;
  /** A client of instance `i` with the sample client key. */
  client(i: number): VerifierClient;
  /** Starts one more child instance on the same shared state. */
  addInstance(): Promise<InstanceProcess>;
  /** Runs one query on the shared database (in the stack's schema). */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Whether every child's data folder is still empty. */
  childFoldersEmpty(): Promise<boolean>;
  close(): Promise<void>;
}

/** Starts `options.instances` verifier instances over one PostgreSQL schema and one Redis. */
export async function startScaleOut(options: ScaleOutOptions): Promise<ScaleOut> {
  const schema = `cp_scale_${process.pid}_${randomBytes(4).toString("hex")}`;
  const redisPrefix = `crossproof-test:${schema}`;
  // The admin key every instance shares, in a 0600 file (startApiStack reads it from there).
  const keyDir = await mkdtemp(join(tmpdir(), "crossproof-scale-keys-"));
  const adminKeyFile = join(keyDir, "admin.key");
  await createPrivateFile(adminKeyFile, `cpk-admin.${randomBytes(32).toString("base64url")}\n`);
  const shared: Record<string, string> = {
    CROSSPROOF_DATABASE_URL: options.databaseUrl,
    CROSSPROOF_DATABASE_SCHEMA: schema,
    CROSSPROOF_REDIS_URL: options.redisUrl,
    CROSSPROOF_REDIS_PREFIX: redisPrefix,
    CROSSPROOF_ADMIN_API_KEY_FILE: adminKeyFile,
    CROSSPROOF_RATE_LIMIT: String(options.rateLimit ?? 0),
    CROSSPROOF_VERIFY_WORKERS: String(options.verifyWorkers ?? 1),
    CROSSPROOF_ROOT_POLL_MS: "100",
    // The committed circuit keys are development keys: refused unless allowed.
    CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1",
  };
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: 2,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 2_000,
  });
  pool.on("error", () => undefined);
  const children: InstanceProcess[] = [];
  let api: ApiStack | undefined;
  const close = async () => {
    await Promise.all(children.map((c) => c.stop()));
    await api?.close();
    await pool
      .query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`)
      .catch(() => undefined);
    await pool.end();
    await deleteKeys(options.redisUrl, `${redisPrefix}*`).catch(() => undefined);
    for (const c of children) await rm(c.dataDir, { recursive: true, force: true });
    await rm(keyDir, { recursive: true, force: true });
  };
  try {
    api = await startApiStack({
      ...(options.records === undefined ? {} : { records: options.records }),
      env: shared,
    });
    const chain = api.stack.chain;
    const childEnv: Record<string, string> = {
      ...shared,
      CROSSPROOF_RPC_URL: chain.rpcUrl,
      CROSSPROOF_CHAIN_ID: String(chain.chainId),
      CROSSPROOF_REGISTRY_ADDRESS: chain.registryAddress,
      CROSSPROOF_LOG_FILE: api.logPath,
    };
    const addInstance = async () => {
      const child = await startInstance(childEnv, options.onChildOutput);
      children.push(child);
      return child;
    };
    await Promise.all(Array.from({ length: options.instances - 1 }, addInstance));
    const running = api;
    return {
      api: running,
      get urls() {
        return [running.stack.verifier.url, ...children.map((c) => c.url)];
      },
      children,
      schema,
      redisPrefix,
      instanceEnv: childEnv,
      client(i) {
        const url = i === 0 ? running.stack.verifier.url : children[i - 1]?.url;
        if (!url) throw new Error(`no instance ${i}`);
        return new VerifierClient({ url, apiKey: running.clientKey });
      },
      addInstance,
      async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
        return (await pool.query<R>(text, values)).rows;
      },
      async childFoldersEmpty() {
        for (const c of children) if ((await readdir(c.dataDir)).length > 0) return false;
        return true;
      },
      close,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/**
 * Starts `crossproof verifier serve --port 0 --json [...args]` and waits for its address (with
 * `--instances N`, the address the N instances share). Its data folder is `env`'s
 * `CROSSPROOF_DATA_DIR`, or a new empty one.
 */
export async function startInstance(
  env: Readonly<Record<string, string>>,
  onOutput: ((line: string) => void) | undefined,
  args: readonly string[] = [],
): Promise<InstanceProcess> {
  const dataDir =
    env.CROSSPROOF_DATA_DIR ?? (await mkdtemp(join(tmpdir(), "crossproof-instance-")));
  const child: ChildProcess = spawn(
    process.execPath,
    [join(PROJECT_ROOT, "cli", "bin.js"), "verifier", "serve", "--port", "0", "--json", ...args],
    {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, CROSSPROOF_DATA_DIR: dataDir, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    onOutput?.(d.toString());
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance did not start: ${err}`)), 120_000);
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      // `--json` prints {"url": …} (perhaps over several lines) once the instance listens.
      const match = /"url":\s*"(http:\/\/[^"]+)"/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${code} before it started: ${err.slice(-2_000)}`));
    });
  });
  const pid = child.pid as number;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    pid,
    url,
    dataDir,
    exited,
    async kill() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (alive()) child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Deletes the keys matching `pattern` (this stack's own prefix). */
async function deleteKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
