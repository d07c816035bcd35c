/**
 * Running the `crossproof` command from tests, as a user would: a child process of plain Node
 * on `cli/bin.js`, with only `PATH` and the variables a test gives in its environment (so no
 * RPC URL, key or data folder leaks in from the machine running the tests).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { PROJECT_ROOT } from "../../infra/paths.js";

const run = promisify(execFile);

/** The command's entry point. */
export const BIN = join(PROJECT_ROOT, "cli", "bin.js");

/** How a command ended. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment a command runs with: `PATH` and `env`. */
export function cliEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...env };
}

/** Runs `crossproof ...args`; resolves with its exit code and output, whatever the code. */
export async function crossproof(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: PROJECT_ROOT,
      env: cliEnv(env),
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs `crossproof ...args`, which must succeed; resolves with its standard output. */
export async function crossproofOk(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const result = await crossproof(env, ...args);
  if (result.code !== 0) {
    throw new Error(`crossproof ${args.join(" ")} exited with ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}
