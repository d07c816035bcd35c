/** A description of the machine a benchmark ran on, stored with every figure. */
import { cpus, totalmem } from "node:os";

/** The machine, in one line: CPU model, cores, memory, Node version. */
export function machineDescription(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
