/**
 * Before the test files: compile the release circuits once, so that files running in parallel
 * reuse one compile; and send every crossproof log line of the suite (services, pools, commands
 * the tests run) to one file.
 *
 * After them: that file must hold no record data at all (test/helpers/log-scan.ts). A leak
 * anywhere in the suite fails the run here.
 */
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { loadCircuitInstances } from "../circuits/instances.js";
import { BUILD_DIR } from "../infra/paths.js";
import { compileForTest } from "./helpers/circuit.js";
import { scanLog } from "./helpers/log-scan.js";

const LOG_FILE = join(BUILD_DIR, "test-logs", "suite.log");

export default async function setup(): Promise<() => Promise<void>> {
  for (const c of loadCircuitInstances().filter((i) => i.release)) await compileForTest(c.name);
  await mkdir(join(BUILD_DIR, "test-logs"), { recursive: true });
  await rm(LOG_FILE, { force: true });
  process.env.CROSSPROOF_LOG_FILE = LOG_FILE;
  return async () => {
    const log = await readFile(LOG_FILE, "utf8").catch(() => "");
    const lines = log.split("\n").filter((l) => l.trim() !== "").length;
    const problems = scanLog(log);
    if (problems.length > 0) {
      // vitest reports a teardown error but keeps its exit code: set it ourselves.
      process.exitCode = 1;
      throw new Error(
        `the suite's logs (${LOG_FILE}) hold record data:\n${problems.slice(0, 20).join("\n")}`,
      );
    }
    process.stdout.write(
      `Logs: ${lines} lines from the whole suite scanned, no record data (${LOG_FILE})\n`,
    );
  };
}
