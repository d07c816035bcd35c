/**
 * `crossproof verifier serve --instances N`: two instances behind one address (node's cluster
 * module) over the shared PostgreSQL and Redis and a local chain over JSON-RPC; both answer at
 * that address over the shared state, one that is killed is replaced while the other answers,
 * their data folder stays empty, and SIGTERM stops them all. Refused without `CROSSPROOF_DATABASE_URL` (naming it).
 *
 * PostgreSQL and Redis missing: skipped with the reason printed, a failure in CI.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/paths.js";
import { send } from "../../reliability/scale-out-load.js";
import { startTestChain, type TestChain } from "../helpers/chain.js";
import {
  checkServices,
  dropSchema,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from "../helpers/shared-services.js";

const exec = promisify(execFile);
const services = await checkServices(["postgres", "redis"], "the verifier cluster tests");

/** Runs `crossproof verifier serve …` with `env`; resolves with the child and its output. */
function serve(args: string[], env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [join(PROJECT_ROOT, "cli", "bin.js"), "verifier", "serve", ...args],
    {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return { child, output: () => ({ out, err }) };
}

/** The pids of the primary's instances. */
async function instancePids(primary: number): Promise<number[]> {
  const { stdout } = await exec("ps", ["-o", "pid=", "--ppid", String(primary)]).catch(() => ({
    stdout: "",
  }));
  return stdout
    .split("\n")
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

/** GET on a connection of its own (fetch would reuse one, and so reach one instance). */
function statusOnNewConnection(url: string, key: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(
      url,
      { agent: false, timeout: 10_000, headers: key ? { authorization: `Bearer ${key}` } : {} },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer from ${url} in 10 s`)));
    request.on("error", reject);
  });
}

describe.runIf(services.run)("crossproof verifier serve --instances", () => {
  let chain: TestChain;
  let dataDir: string;
  const schema = uniqueName("cp_cluster");
  let env: Record<string, string>;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    services.assertAvailable();
    chain = await startTestChain();
    dataDir = await mkdtemp(join(tmpdir(), "crossproof-cluster-"));
    env = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_RPC_URL: chain.chain.rpcUrl,
      CROSSPROOF_CHAIN_ID: String(chain.chain.chainId),
      CROSSPROOF_REGISTRY_ADDRESS: chain.chain.registryAddress,
      CROSSPROOF_DATABASE_URL: TEST_DATABASE_URL,
      CROSSPROOF_DATABASE_SCHEMA: schema,
      CROSSPROOF_REDIS_URL: TEST_REDIS_URL,
      CROSSPROOF_REDIS_PREFIX: `crossproof-test:${schema}`,
      CROSSPROOF_ADMIN_API_KEY: `cpk-admin.${randomBytes(32).toString("base64url")}`,
      // The committed circuit keys are development keys: refused unless allowed.
      CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1",
      CROSSPROOF_LOG_FILE: join(dataDir, "..", `${schema}.log`),
    };
  }, 120_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await chain?.dispose();
    await rm(dataDir, { recursive: true, force: true });
    await rm(join(dataDir, "..", `${schema}.log`), { force: true });
    await dropSchema(TEST_DATABASE_URL, schema);
  });

  it("refuses --instances 2 without CROSSPROOF_DATABASE_URL, naming it", async () => {
    const { CROSSPROOF_DATABASE_URL: _, ...without } = env;
    const run = serve(["--instances", "2", "--port", "0", "--json"], without);
    children.push(run.child);
    const [code] = (await once(run.child, "exit")) as [number | null];
    expect(code).not.toBe(0);
    const { out, err } = run.output();
    expect(`${out}${err}`).toMatch(/CROSSPROOF_DATABASE_URL: --instances needs it/);
  });

  it("serves two instances at one address, replaces one that dies, and stops on SIGTERM", async () => {
    const run = serve(["--instances", "2", "--port", "0", "--json"], env);
    children.push(run.child);
    for (let waited = 0; !/"url"/.test(run.output().out); waited += 100) {
      if (run.child.exitCode !== null || waited > 180_000) {
        throw new Error(`the cluster did not start: ${run.output().err}`);
      }
      await delay(100);
    }
    const started = JSON.parse(run.output().out) as { url: string; instances: number };
    expect(started.instances).toBe(2);
    const url = started.url;
    const admin = env.CROSSPROOF_ADMIN_API_KEY;

    const created = await send(url, "POST", "/v1/policies", admin, {
      id: "cluster-policy",
      description: "made through one instance",
      schema: "credit-report-v1",
      issuers: ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"],
      predicates: [{ op: "GTE", field: "creditScore", value: 650 }],
    });
    expect(created.status).toBe(201);
    // Two instances (the primary's child processes), each reading the shared state.
    const primary = run.child.pid as number;
    const before = await instancePids(primary);
    expect(before).toHaveLength(2);
    for (let n = 0; n < 20; n++) {
      expect(await statusOnNewConnection(`${url}/v1/policies/cluster-policy`, admin)).toBe(200);
    }
    // One dies: the other keeps answering at the address, and the primary starts another.
    process.kill(before[0] as number, "SIGKILL");
    await delay(200); // the primary sees the exit and stops routing to it
    for (let n = 0; n < 20; n++) {
      expect(await statusOnNewConnection(`${url}/v1/policies/cluster-policy`, admin)).toBe(200);
    }
    let after = await instancePids(primary);
    for (let waited = 0; after.length < 2 || after.includes(before[0] as number); waited += 200) {
      expect(waited).toBeLessThan(120_000);
      await delay(200);
      after = await instancePids(primary);
    }
    expect(after).toContain(before[1]);
    for (let waited = 0; ; waited += 200) {
      // The new one answers once it listens: every request succeeds meanwhile.
      expect(await statusOnNewConnection(`${url}/v1/policies/cluster-policy`, admin)).toBe(200);
      const log = await readFile(env.CROSSPROOF_LOG_FILE as string, "utf8");
      if ((log.match(/"event":"listening"/g) ?? []).length >= 3) break;
      expect(waited).toBeLessThan(120_000);
      await delay(200);
    }
    expect(await readdir(dataDir)).toEqual([]);

    // SIGTERM stops every instance, then the primary.
    run.child.kill("SIGTERM");
    const [code] = (await once(run.child, "exit")) as [number | null];
    expect(code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 300_000);
});

if (!services.run) {
  describe("crossproof verifier serve --instances", () => {
    it.skip(`is skipped: ${services.missing}`, () => undefined);
  });
}
