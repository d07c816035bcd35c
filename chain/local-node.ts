/**
 * The local chain node: anvil (the binary that `@foundry-rs/anvil` ships in a platform package,
 * `@foundry-rs/anvil-linux-amd64`) run as a child process
 * on a free loopback port, its state kept in the data folder, so that crossproof needs nothing
 * installed or started by hand.
 *
 * Persistence: anvil's own `--state` dump writes the file in place, so a crash mid-write could
 * leave half a file. Instead the node is started with `--load-state` and this module saves the
 * state itself (`anvil_dumpState`, written to a temporary file and renamed): after every write
 * crossproof makes (`persist()`), every second while blocks are being mined, and on `stop()`.
 *
 * A crash of this process: on Linux anvil is started through util-linux's `setpriv --pdeathsig
 * KILL` (which sets the signal and execs anvil in the same process), so the kernel kills the node
 * when its parent dies, even by SIGKILL, where no `exit` handler runs. The chain folder's lock
 * names its holder's pid, so a restart takes over at once the lock of a holder that is dead.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, writeSync } from "node:fs";
import { mkdir, readFile, rename, rm, rmdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import lockfile from "proper-lockfile";
import { ChainError, ErrorCode } from "../core/errors.js";
import { fileExists, writeFileAtomic } from "../infra/files.js";
import { type LocalChainPaths, localChainPaths, packageRoot } from "../infra/paths.js";
import { freeLoopbackPort } from "../infra/ports.js";
import { processExists } from "../infra/processes.js";

/** The chain id of the local node (anvil's default; FISCO BCOS uses 20200). */
export const LOCAL_CHAIN_ID = 31337;

/** Options of `LocalNode.start`. */
export interface LocalNodeOptions {
  /** The data folder (default: `dataDir()`); the node's files go in its `chain/` folder. */
  readonly dataDir?: string;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** How often to save the state while blocks are mined (default 1,000 ms; 0 = only on demand). */
  readonly saveIntervalMs?: number;
  /** How long to wait for the node to answer (default 15 s). */
  readonly startTimeoutMs?: number;
}

/** The anvil binary: `CROSSPROOF_ANVIL_BIN`, else the platform package's own binary. */
export function anvilBinary(): string {
  const override = process.env.CROSSPROOF_ANVIL_BIN;
  if (override) return override;
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  let root: string;
  try {
    root = packageRoot(pkg);
  } catch (err) {
    throw new ChainError(
      ErrorCode.CHAIN_NODE,
      `anvil is not installed for ${process.platform}-${process.arch} (${pkg}): install it (npm install --no-save ${pkg}), point CROSSPROOF_ANVIL_BIN at an anvil binary, or set CROSSPROOF_RPC_URL to use an existing node`,
      { cause: err },
    );
  }
  const bin = join(root, "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  if (!existsSync(bin)) {
    throw new ChainError(ErrorCode.CHAIN_NODE, `the anvil binary is missing from ${pkg}`);
  }
  return bin;
}

/**
 * How anvil is launched: through `setpriv --pdeathsig KILL` where util-linux's setpriv exists
 * (Linux), so that anvil dies with this process even when it is SIGKILLed; else directly.
 */
export function anvilCommand(args: readonly string[]): { file: string; args: string[] } {
  const setpriv = "/usr/bin/setpriv";
  if (process.platform === "linux" && existsSync(setpriv)) {
    return { file: setpriv, args: ["--pdeathsig", "KILL", "--", anvilBinary(), ...args] };
  }
  return { file: anvilBinary(), args: [...args] };
}

/** Whether a JSON-RPC node answers at `url`. */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** A running local anvil node. */
export class LocalNode {
  readonly rpcUrl: string;
  readonly chainId = LOCAL_CHAIN_ID;
  readonly paths: LocalChainPaths;
  #child: ChildProcess;
  #exited: Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #savedBlock = -1n;
  #saving: Promise<void> = Promise.resolve();
  #stopping = false;
  /** Releases this node's lock on its chain folder. */
  #unlock: () => Promise<void> = async () => {};
  readonly #killOnExit = (): void => {
    this.#child.kill("SIGKILL");
  };

  private constructor(
    child: ChildProcess,
    exited: Promise<void>,
    rpcUrl: string,
    paths: LocalChainPaths,
  ) {
    this.#child = child;
    this.#exited = exited;
    this.rpcUrl = rpcUrl;
    this.paths = paths;
  }

  /** Starts anvil from the saved state (if any) and waits until it answers JSON-RPC. */
  static async start(options: LocalNodeOptions = {}): Promise<LocalNode> {
    const paths = localChainPaths(options.dataDir);
    await mkdir(paths.dir, { recursive: true });
    const unlock = await lockChainFolder(paths);
    // A free port is found by binding port 0 and releasing it; another process may take it in
    // between, in which case anvil exits at once and a new port is tried.
    const attempts = options.port === undefined ? 3 : 1;
    try {
      for (let attempt = 1; ; attempt++) {
        const port = options.port ?? (await freeLoopbackPort());
        try {
          const node = await LocalNode.#spawn(paths, port, options);
          node.#unlock = unlock;
          return node;
        } catch (err) {
          if (attempt >= attempts || !(err instanceof ChainError && err.details.exitedEarly))
            throw err;
        }
      }
    } catch (err) {
      await unlock().catch(() => undefined);
      throw err;
    }
  }

  static async #spawn(
    paths: LocalChainPaths,
    port: number,
    options: LocalNodeOptions,
  ): Promise<LocalNode> {
    const args = [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--chain-id",
      String(LOCAL_CHAIN_ID),
    ];
    // --silent: anvil's banner lists its well-known development keys, and it logs every RPC call.
    // No funded development accounts are used: crossproof funds its own keys.
    args.push("--silent", "--accounts", "1");
    if (await fileExists(paths.state)) args.push("--load-state", paths.state);
    const log = openSync(paths.log, "a");
    writeSync(log, `--- ${new Date().toISOString()} anvil ${args.join(" ")}\n`);
    // setpriv execs anvil in its own process: the child's pid is anvil's.
    const command = anvilCommand(args);
    const child = spawn(command.file, command.args, { stdio: ["ignore", "ignore", log] });
    closeSync(log);
    child.on("error", () => {
      // Reported through `exit` (or the start-up failure below); never an unhandled error.
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const rpcUrl = `http://127.0.0.1:${port}`;
    const limit = options.startTimeoutMs ?? 15_000;
    const deadline = Date.now() + limit;
    const fail = (message: string, details: Record<string, unknown> = {}): never => {
      child.kill("SIGKILL");
      throw new ChainError(ErrorCode.CHAIN_NODE, `${message}; see ${paths.log}`, {
        details: { log: paths.log, ...details },
      });
    };
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        fail(`anvil exited (${child.exitCode ?? child.signalCode}) while starting`, {
          exitedEarly: true,
        });
      }
      if (Date.now() > deadline) fail(`anvil did not answer within ${limit} ms`);
      if (await answers(rpcUrl)) break;
      await delay(50);
    }
    const node = new LocalNode(child, exited, rpcUrl, paths);
    // If this process ends without stop() (an uncaught error, process.exit), anvil goes with it.
    process.on("exit", node.#killOnExit);
    node.#savedBlock = await node.blockNumber();
    const interval = options.saveIntervalMs ?? 1_000;
    if (interval > 0) {
      node.#timer = setInterval(() => {
        node.#saveIfMined().catch(() => {
          // A failed periodic save is retried on the next tick and on stop().
        });
      }, interval);
      node.#timer.unref();
    }
    return node;
  }

  /** The process id of anvil (for tests that kill it). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Whether anvil is still running. */
  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Calls one of the node's JSON-RPC methods. */
  async request<T>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(this.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string } };
    if (body.error) throw new ChainError(ErrorCode.CHAIN_NODE, `${method}: ${body.error.message}`);
    return body.result as T;
  }

  /**
   * Sets an account's balance (default 1,000 ether): gas on the local node costs nothing real,
   * so crossproof's own keys, and tests' accounts, are simply funded.
   */
  async fund(address: string, wei = 1_000n * 10n ** 18n): Promise<void> {
    await this.request("anvil_setBalance", [address, `0x${wei.toString(16)}`]);
  }

  async blockNumber(): Promise<bigint> {
    return BigInt(await this.request<string>("eth_blockNumber"));
  }

  /** Saves the node's state now (atomically). Call after every write that must survive a crash. */
  persist(): Promise<void> {
    // Saves are serialised so that an older dump never overwrites a newer one.
    this.#saving = this.#saving.catch(() => {}).then(() => this.#save());
    return this.#saving;
  }

  async #save(): Promise<void> {
    const block = await this.blockNumber();
    const dump = await this.request<string>("anvil_dumpState");
    // anvil_dumpState answers gzip'd JSON as hex; --load-state reads plain JSON.
    const json = gunzipSync(Buffer.from(dump.replace(/^0x/, ""), "hex"));
    await writeFileAtomic(this.paths.state, json);
    this.#savedBlock = block;
  }

  async #saveIfMined(): Promise<void> {
    if (this.#stopping) return;
    if ((await this.blockNumber()) !== this.#savedBlock) await this.persist();
  }

  /** Saves the state and stops anvil (SIGTERM, then SIGKILL after 5 s). Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    process.off("exit", this.#killOnExit);
    if (!this.#stopping && this.running) {
      this.#stopping = true;
      try {
        await this.persist();
      } catch {
        // The node is going away anyway; the last good save stays on disk.
      }
    }
    this.#stopping = true;
    if (this.running) {
      this.#child.kill("SIGTERM");
      const killer = setTimeout(() => this.#child.kill("SIGKILL"), 5_000);
      await this.#exited;
      clearTimeout(killer);
    }
    await this.#release();
  }

  async #release(): Promise<void> {
    const unlock = this.#unlock;
    this.#unlock = async () => {};
    await unlock().catch(() => undefined);
  }

  /** Kills anvil at once, without saving (tests of crash recovery). */
  async kill(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    process.off("exit", this.#killOnExit);
    this.#stopping = true;
    if (this.running) {
      this.#child.kill("SIGKILL");
      await this.#exited;
    }
    await this.#release();
  }
}

/**
 * One local node per chain folder: two would load the same state and each save over the
 * other's. The lock (proper-lockfile: a directory created atomically, its time refreshed while
 * held) is taken before anvil starts. Its holder's pid and host name are written beside it, so a
 * lock left by a process that died (a SIGKILL) is taken over at once; otherwise a lock not
 * refreshed for 10 s is.
 */
async function lockChainFolder(paths: LocalChainPaths): Promise<() => Promise<void>> {
  const lockPath = join(paths.dir, "node.lock");
  const ownerPath = `${lockPath}.owner`;
  const take = () =>
    lockfile.lock(paths.dir, {
      lockfilePath: lockPath,
      realpath: false,
      retries: 0,
      stale: 10_000,
      update: 2_000,
      // Called if the lock is lost (its refresh failed for longer than `stale`): the node keeps
      // running, as it cannot know whether another has started; the next start checks again.
      onCompromised: () => undefined,
    });
  const refused = (err: unknown): ChainError =>
    (err as NodeJS.ErrnoException).code === "ELOCKED"
      ? new ChainError(
          ErrorCode.CHAIN_NODE,
          `another crossproof process runs the local chain in ${paths.dir}: stop it, or set CROSSPROOF_DATA_DIR to another folder`,
          { details: { dir: paths.dir } },
        )
      : new ChainError(ErrorCode.CHAIN_NODE, `cannot lock ${paths.dir}`, { cause: err });
  let release: () => Promise<void>;
  try {
    release = await take();
  } catch (err) {
    if (!(await takeOverFromDeadHolder(lockPath, ownerPath))) throw refused(err);
    try {
      release = await take();
    } catch (again) {
      throw refused(again);
    }
  }
  try {
    await writeFileAtomic(ownerPath, JSON.stringify({ pid: process.pid, host: hostname() }));
  } catch {
    // Without the record the lock still holds; a crash would then be taken over after 10 s.
  }
  return async () => {
    await rm(ownerPath, { force: true });
    await release();
  };
}

/**
 * Removes the chain folder's lock if the holder it names ran on this host and is gone. Of
 * several processes starting at once only the one that moves the owner record away removes the
 * lock, and only if the record it moved is still the dead holder's.
 */
async function takeOverFromDeadHolder(lockPath: string, ownerPath: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(ownerPath, "utf8");
  } catch {
    return false;
  }
  let owner: { pid?: unknown; host?: unknown };
  try {
    owner = JSON.parse(text) as { pid?: unknown; host?: unknown };
  } catch {
    return false;
  }
  const pid = owner.pid;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return false;
  if (owner.host !== hostname() || processExists(pid)) return false;
  const claimed = `${ownerPath}.${process.pid}.claimed`;
  try {
    await rename(ownerPath, claimed);
  } catch {
    return false; // another start moved it first
  }
  if ((await readFile(claimed, "utf8").catch(() => "")) !== text) {
    // A new holder wrote its record in between: put it back and leave its lock alone.
    await rename(claimed, ownerPath).catch(() => undefined);
    return false;
  }
  await rm(claimed, { force: true });
  await rmdir(lockPath).catch(() => undefined);
  return true;
}
