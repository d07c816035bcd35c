/**
 * `crossproof bench`: the benchmark suite lives beside the product (`bench/`, TypeScript run
 * through tsx), not in it, so the command runs it in a child process. In an installation
 * without the development dependencies, or without the sources, it says what is missing.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { PROJECT_ROOT } from "../../infra/paths.js";

/**
 * Runs `bench/run.ts` with `args` (or `bench/circuit.ts` for `bench circuit FILE …`, a
 * researcher's own circuit); its exit code becomes ours.
 */
export async function runBenchCommand(args: readonly string[], json = false): Promise<void> {
  const circuit = args[0] === "circuit";
  const script = join(PROJECT_ROOT, "bench", circuit ? "circuit.ts" : "run.ts");
  // `--json` is taken by the command line before the command sees its arguments.
  if (circuit) args = [...args.slice(1), ...(json ? ["--json"] : [])];
  let tsx: string;
  try {
    tsx = createRequire(import.meta.url).resolve("tsx/cli");
  } catch {
    throw new CrossproofError(
      ErrorCode.DEPENDENCY_MISSING,
      "the benchmarks need the development dependencies: run `npm ci` (without --omit=dev) in a crossproof checkout",
    );
  }
  if (!existsSync(script)) {
    throw new CrossproofError(
      ErrorCode.DEPENDENCY_MISSING,
      "the benchmarks are not part of an installed package: run them from a crossproof checkout",
    );
  }
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, script, ...args], { stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  process.exitCode = code;
}
