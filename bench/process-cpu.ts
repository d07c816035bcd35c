/**
 * Cores kept busy by given processes over a run, from Linux's /proc: a snapshot of every
 * process's CPU time (user + system, all its threads) before and after, and the difference for
 * the processes that matter (a process tree, PostgreSQL's backends serving given clients). Also
 * the whole machine's busy cores (/proc/stat), since other people share it.
 */
import { execFileSync } from "node:child_process";
import { readdir, readFile, readlink } from "node:fs/promises";

/** Clock ticks per second of /proc's CPU times. */
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** One process as /proc/<pid>/stat shows it. */
interface ProcessTimes {
  readonly ppid: number;
  readonly comm: string;
  /** User + system CPU seconds, every thread. */
  readonly cpuSeconds: number;
}

/** Every process's CPU time now, and the machine's busy and total CPU seconds. */
export interface CpuSnapshot {
  readonly at: number;
  readonly processes: ReadonlyMap<number, ProcessTimes>;
  readonly machineBusySeconds: number;
}

async function readStat(pid: number): Promise<ProcessTimes | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: split after its closing one.
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    // After the name: state(0) ppid(1) … utime(11) stime(12).
    return {
      ppid: Number(fields[1]),
      comm,
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Takes a snapshot of every process's CPU time. */
export async function cpuSnapshot(): Promise<CpuSnapshot> {
  const processes = new Map<number, ProcessTimes>();
  for (const name of await readdir("/proc")) {
    if (!/^[0-9]+$/.test(name)) continue;
    const times = await readStat(Number(name));
    if (times) processes.set(Number(name), times);
  }
  // /proc/stat "cpu" line: user nice system idle iowait irq softirq steal …
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
  return { at: performance.now(), processes, machineBusySeconds: busy / TICKS_PER_SECOND };
}

/** `root` and every process below it in `snapshot`. */
export function processTree(snapshot: CpuSnapshot, root: number): Set<number> {
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of snapshot.processes) {
      if (!tree.has(pid) && tree.has(p.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** Cores busy on average between `before` and `after` for `pids` (a process new since counts from 0). */
export function coresBusy(before: CpuSnapshot, after: CpuSnapshot, pids: Iterable<number>): number {
  const seconds = (after.at - before.at) / 1000;
  let cpu = 0;
  for (const pid of pids) {
    const end = after.processes.get(pid);
    if (!end) continue;
    const start = before.processes.get(pid);
    cpu += end.cpuSeconds - (start && start.comm === end.comm ? start.cpuSeconds : 0);
  }
  return cpu / seconds;
}

/** Cores the whole machine kept busy between the two snapshots (everyone's work). */
export function machineCoresBusy(before: CpuSnapshot, after: CpuSnapshot): number {
  return (after.machineBusySeconds - before.machineBusySeconds) / ((after.at - before.at) / 1000);
}

/** The local TCP ports of `pids`' sockets connected to remote port `remotePort`. */
export async function localPortsTo(pids: Iterable<number>, remotePort: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = (await readFile(table, "utf8").catch(() => "")).split("\n").slice(1);
    for (const line of lines) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      const local = f[1]?.split(":")[1];
      const remote = f[2]?.split(":")[1];
      if (!local || !remote || !f[9] || !inodes.has(f[9])) continue;
      if (Number.parseInt(remote, 16) === remotePort) ports.push(Number.parseInt(local, 16));
    }
  }
  return ports;
}
