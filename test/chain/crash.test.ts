/**
 * A crossproof process that runs the local chain node and is killed with SIGKILL (no `exit`
 * handler runs): its anvil must die with it, and a restart on the same data folder must start
 * at once, taking over the dead holder's lock instead of refusing it for 10 s.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { LocalNode } from "../../chain/local-node.js";
import { PROJECT_ROOT } from "../../infra/paths.js";
import { caught } from "../helpers/errors.js";

const exists = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts the worker: a process holding a local node on `dir`; resolves with its node. */
async function holder(dir: string) {
  const script = join(PROJECT_ROOT, "test", "chain", "workers", "start-and-wait.ts");
  const child = spawn(process.execPath, ["--import", "tsx/esm", script, dir], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
    });
    child.once("exit", (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  return { child, node: JSON.parse(line) as { rpcUrl: string; pid: number } };
}

describe("the local chain node when its process is SIGKILLed", () => {
  it("dies with its parent, and a restart on the same folder takes the lock over at once", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crossproof-sigkill-"));
    let restarted: LocalNode | undefined;
    const { child, node } = await holder(dir);
    try {
      expect(exists(node.pid)).toBe(true);
      // While the holder lives, a second node on the folder is refused.
      expect((await caught(LocalNode.start({ dataDir: dir, saveIntervalMs: 0 }))).code).toBe(
        "CHAIN_NODE",
      );
      child.kill("SIGKILL");
      await once(child, "exit");
      for (let i = 0; i < 100 && exists(node.pid); i++) await delay(20);
      expect(exists(node.pid)).toBe(false);
      // No wait for the lock to go stale (10 s): its holder is dead.
      restarted = await LocalNode.start({ dataDir: dir, saveIntervalMs: 0 });
      expect(await restarted.blockNumber()).toBeGreaterThanOrEqual(0n);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      if (exists(node.pid)) process.kill(node.pid, "SIGKILL");
      await restarted?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
