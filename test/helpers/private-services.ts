/**
 * A PostgreSQL cluster and a Redis server of a test's own, on free loopback ports in a temporary
 * folder, for the tests that stop and restart them (an outage under load). The shared servers on
 * 5432 and 6379 are used by other people at the same time and are never stopped.
 *
 * The cluster is made with the installed PostgreSQL's own binaries (`initdb`, `pg_ctl` from
 * /usr/lib/postgresql/<version>/bin), trust authentication, superuser `root`. PostgreSQL refuses
 * to run as root: when the tests run as root, the binaries run as the `postgres` user.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { freeLoopbackPort } from "../../infra/ports.js";

const run = promisify(execFile);

/** The newest installed PostgreSQL's binary folder, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], "bin");
}

/** A private PostgreSQL cluster: its URL (with a password, to show it never leaks), stop, start. */
export interface PrivatePostgres {
  readonly port: number;
  /** `postgres://root:<password>@127.0.0.1:<port>/postgres` (trust: the password is not checked). */
  readonly url: string;
  readonly password: string;
  /** Stops the server: `immediate` is a crash (no checkpoint), `fast` a clean stop. */
  stop(mode?: "immediate" | "fast"): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

/** Makes and starts a private cluster (about 2–4 s). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("no PostgreSQL binaries under /usr/lib/postgresql/*/bin");
  const dir = await mkdtemp(join(tmpdir(), "crossproof-pg-"));
  const data = join(dir, "data");
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const exec = (file: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", join(bin, file), ...args])
      : run(join(bin, file), args);
  const port = await freeLoopbackPort();
  await exec("initdb", [
    "-D",
    data,
    "-U",
    "root",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = async () => {
    await exec("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "start"]);
  };
  const stop = async (mode: "immediate" | "fast" = "fast") => {
    await exec("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);
  };
  await start();
  const password = `pw-${Math.random().toString(36).slice(2)}-never-shown`;
  let destroyed = false;
  return {
    port,
    password,
    url: `postgres://root:${password}@127.0.0.1:${port}/postgres`,
    stop,
    start,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await stop("immediate").catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A private Redis server: its URL, stop (SIGTERM to the server this helper started) and start. */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Starts `redis-server` on a free port, without persistence. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freeLoopbackPort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const server = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child = server;
    let out = "";
    server.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    for (let waited = 0; !out.includes("Ready to accept connections"); waited += 20) {
      if (server.exitCode !== null || waited > 10_000) {
        throw new Error(`redis-server did not start on ${port}: ${out.slice(-500)}`);
      }
      await delay(20);
    }
  };
  const stop = async () => {
    const server = child;
    child = undefined;
    if (!server || server.exitCode !== null) return;
    const exited = once(server, "exit");
    server.kill("SIGTERM");
    await exited;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop, destroy: stop };
}
