/**
 * `crossproof start` as a child process, for the benchmarks and reliability suites that need the
 * services in a process of their own: its memory measured apart from the load, killed with a
 * signal and started again on the same data folder.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { VerifierClient } from "../client/index.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { policyDefinitionOf } from "../core/wire/policy.js";
import { type Applicants, pickApplicants, SAMPLE_POLICY_ID } from "../deploy/local.js";
import { PROJECT_ROOT } from "../infra/paths.js";
import { parsePolicyDefinition } from "../verifier/policy.js";

/** What `crossproof start --json` prints once its services are up. */
interface StartedJson {
  readonly verifier: string;
  readonly prover: string;
  readonly clientKeyFile: string;
  readonly adminKeyFile: string;
}

/** Options of {@link startServiceProcess}. */
export interface StartProcessOptions {
  /** The data folder (chain state, vault, verifier database, keys, `service.log`). */
  readonly dataDir: string;
  /** Synthetic reports imported on first start (default 200). */
  readonly records?: number;
  readonly seed?: number;
  /** More variables for the child (ports default to 0: free ones). */
  readonly env?: NodeJS.ProcessEnv;
  /** How long start-up may take before it is given up (default 180 s). */
  readonly timeoutMs?: number;
}

/** A running `crossproof start` child process. */
export interface ServiceProcess {
  readonly pid: number;
  readonly dataDir: string;
  readonly verifierUrl: string;
  readonly proverUrl: string;
  readonly clientKey: string;
  readonly adminKey: string;
  /** Where the child's structured log goes. */
  readonly logFile: string;
  /** Applicants of the sample policy in the child's synthetic records. */
  readonly applicants: Applicants;
  /** The child's resident memory, worker threads included (Linux `/proc`), in bytes. */
  rssBytes(): Promise<number>;
  /**
   * SIGTERM, then waits for the exit (SIGKILL after `graceMs`, default 30 s); resolves with the
   * exit code (null if killed).
   */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

/** Starts `crossproof start --json` on `dataDir` and waits until its services answer. */
export async function startServiceProcess(options: StartProcessOptions): Promise<ServiceProcess> {
  const { dataDir } = options;
  const logFile = join(dataDir, "service.log");
  const child = spawn(
    process.execPath,
    [
      join(PROJECT_ROOT, "cli", "bin.js"),
      "start",
      "--json",
      "--records",
      String(options.records ?? 200),
      "--seed",
      String(options.seed ?? 1),
    ],
    {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH,
        CROSSPROOF_DATA_DIR: dataDir,
        CROSSPROOF_VERIFIER_PORT: "0",
        CROSSPROOF_PROVER_PORT: "0",
        CROSSPROOF_LOG_FILE: logFile,
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    const started = await startedJson(child, exited, options.timeoutMs ?? 180_000);
    const clientKey = (await readFile(started.clientKeyFile, "utf8")).trim();
    const adminKey = (await readFile(started.adminKeyFile, "utf8")).trim();
    const client = new VerifierClient({ url: started.verifier, apiKey: clientKey });
    const definition = policyDefinitionOf(await client.policy(SAMPLE_POLICY_ID));
    const k = (await client.circuit("query")).publicSignals.length - 4;
    const applicants = await pickApplicants(dataDir, parsePolicyDefinition(definition, k), k);
    const pid = child.pid as number;
    return {
      pid,
      dataDir,
      verifierUrl: started.verifier,
      proverUrl: started.prover,
      clientKey,
      adminKey,
      logFile,
      applicants,
      rssBytes: () => residentBytes(pid),
      async stop(graceMs = 30_000) {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        try {
          return await exited;
        } finally {
          clearTimeout(killer);
        }
      },
      async kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await exited;
      },
    };
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    throw err;
  }
}

/** Reads the JSON `start --json` prints when ready; fails if the child exits or times out. */
async function startedJson(
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<StartedJson> {
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-4_000);
  });
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (Date.now() < deadline) {
    try {
      return JSON.parse(out) as StartedJson;
    } catch {
      // not complete yet
    }
    if (gone) break;
    await sleep(100);
  }
  throw new CrossproofError(
    ErrorCode.SERVICE_UNAVAILABLE,
    gone
      ? `crossproof start exited with ${child.exitCode ?? child.signalCode}: ${err}`
      : `crossproof start was not up within ${timeoutMs} ms`,
  );
}

/** Resident memory of a process (VmRSS in `/proc/<pid>/status`), in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}
