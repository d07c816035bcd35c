/**
 * `npm run soak`: the long versions of the reliability suites, one after another, each in its own
 * process (so no suite's heap, worker threads or leftover state disturbs another), then the
 * 10-minute soaks (`crossproof start`, then three verifier instances on PostgreSQL and Redis).
 * Each prints its figures and checks as a table and writes `reliability/results/<suite>.json`;
 * `summary.json` holds every suite's checks. Exits 1 when any check failed; a check that could
 * not be made here is reported as skipped, never as passed.
 *
 * Options: `--only a,b` (suites), `--short` (the presets `npm test` runs: a smoke run, not
 * figures to publish), `--seed N` (for the suites that draw random inputs).
 * `--suite NAME` runs one suite in this process (what the runner does in each child).
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { machineDescription } from "../bench/machine.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { PROJECT_ROOT } from "../infra/paths.js";
import { failedChecks, type SuiteReport } from "./report.js";

/** Where the results go (each machine's own output: ignored by git). */
export const RELIABILITY_RESULTS_DIR = join(PROJECT_ROOT, "reliability", "results");

type Preset = "short" | "long";

/** A suite: how to load it and run one of its presets. */
interface Suite {
  readonly what: string;
  run(preset: Preset, seed: number | undefined): Promise<SuiteReport>;
}

/** Every suite, in the order `npm run soak` runs them: the soak last. */
const SUITES: Readonly<Record<string, Suite>> = {
  security: {
    what: "security review: keys hashed, admin separate, headers, files, logs, npm audit",
    async run(preset) {
      const suite = await import("./security.js");
      return suite.runSecurityReview(suite[preset]);
    },
  },
  fuzz: {
    what: "seeded random and mutated requests to every endpoint (fast-check)",
    async run(preset, seed) {
      const suite = await import("./fuzz.js");
      return suite.runFuzz({ ...suite[preset], ...(seed === undefined ? {} : { seed }) });
    },
  },
  replay: {
    what: "re-randomised replays, 50 concurrent attempts on one challenge",
    async run(preset) {
      const suite = await import("./replay.js");
      return suite.runReplay(suite[preset]);
    },
  },
  "chain-outage": {
    what: "the chain node SIGKILLed under load, then started again",
    async run(preset) {
      const suite = await import("./chain-outage.js");
      return suite.runChainOutage(suite[preset]);
    },
  },
  "crash-restart": {
    what: "crossproof start SIGKILLed under load, then restarted on its data folder",
    async run(preset) {
      const suite = await import("./crash-restart.js");
      return suite.runCrashRestart(suite[preset]);
    },
  },
  "storage-faults": {
    what: "the verifier's database locked, the disk full under the verifier and the vault",
    async run(preset) {
      const suite = await import("./storage-faults.js");
      return suite.runStorageFaults(suite[preset]);
    },
  },
  "prover-faults": {
    what: "prover workers dying mid-proof under concurrent presentation requests",
    async run(preset) {
      const suite = await import("./prover-faults.js");
      return suite.runProverFaults(suite[preset]);
    },
  },
  soak: {
    what: "mixed load on `crossproof start` for 10 minutes; resident memory sampled",
    async run(preset) {
      const suite = await import("./soak.js");
      return suite.runSoak(suite[preset]);
    },
  },
  "scale-out-soak": {
    what: "three verifier instances on PostgreSQL and Redis under mixed load for 10 minutes; memory per instance",
    async run(preset) {
      const suite = await import("./scale-out-soak.js");
      return suite.runScaleOutSoak(suite[preset]);
    },
  },
};

/** Prints a suite's figures and checks. */
export function printReport(report: SuiteReport): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const seed = report.seed === undefined ? "" : `, seed ${report.seed}`;
  out(`\n${report.suite} (${(report.durationMs / 1_000).toFixed(1)} s${seed})`);
  const names = Object.keys(report.figures);
  const width = Math.max(0, ...names.map((n) => n.length));
  for (const name of names) out(`  ${name.padEnd(width)}  ${report.figures[name]}`);
  for (const c of report.checks) {
    const mark = c.passed ? "ok  " : c.skipped !== undefined ? "SKIP" : "FAIL";
    const why = c.skipped ?? (c.passed ? undefined : c.detail);
    out(`  ${mark} ${c.name}${why ? ` (${why})` : ""}`);
  }
}

/** Writes `value` as JSON to `reliability/results/<name>.json`, atomically. */
async function writeResult(name: string, value: unknown): Promise<string> {
  await mkdir(RELIABILITY_RESULTS_DIR, { recursive: true });
  const path = join(RELIABILITY_RESULTS_DIR, `${name}.json`);
  await writeFile(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  return path;
}

function usage(message: string): never {
  throw new CrossproofError(ErrorCode.USAGE, message);
}

/** Runs one suite in this process and writes its result. */
async function runOne(name: string, preset: Preset, seed: number | undefined): Promise<void> {
  const suite = SUITES[name] ?? usage(`unknown suite "${name}"`);
  const report = await suite.run(preset, seed);
  const command = `npm run soak -- --only ${name}${preset === "short" ? " --short" : ""}${seed === undefined ? "" : ` --seed ${seed}`}`;
  printReport(report);
  await writeResult(name, { ...report, preset, command, machine: machineDescription() });
}

/** Runs one suite in a child process; resolves with its exit code. */
function runChild(name: string, args: readonly string[]): Promise<number> {
  const tsx = createRequire(import.meta.url).resolve("tsx/cli");
  const script = fileURLToPath(import.meta.url);
  process.stdout.write(`\n=== ${name}: ${SUITES[name]?.what}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, script, "--suite", name, ...args], {
      stdio: "inherit",
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      short: { type: "boolean", default: false },
      seed: { type: "string" },
      suite: { type: "string" },
    },
    strict: true,
  });
  const preset: Preset = values.short ? "short" : "long";
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) usage("--seed must be an integer");
  if (values.suite !== undefined) {
    await runOne(values.suite, preset, seed);
    // A suite stops what it started; exit anyway, so a handle left open cannot hang the run.
    process.exit(0);
  }
  const names = values.only?.split(",").map((s) => s.trim()) ?? Object.keys(SUITES);
  for (const name of names) if (!SUITES[name]) usage(`unknown suite "${name}"`);
  const passThrough = [
    ...(values.short ? ["--short"] : []),
    ...(seed === undefined ? [] : ["--seed", String(seed)]),
  ];
  const exits: Record<string, number> = {};
  for (const name of names) exits[name] = await runChild(name, passThrough);

  // The summary: every suite's checks, from the files the children wrote.
  const failed: string[] = [];
  const suites: Record<string, unknown> = {};
  for (const name of names) {
    try {
      const report = JSON.parse(
        await readFile(join(RELIABILITY_RESULTS_DIR, `${name}.json`), "utf8"),
      ) as SuiteReport;
      suites[name] = { exit: exits[name], checks: report.checks };
      failed.push(...failedChecks(report));
      if (exits[name] !== 0) failed.push(`${name}: exited with ${exits[name]}`);
    } catch {
      failed.push(`${name}: no result (exit ${exits[name]})`);
    }
  }
  const path = await writeResult("summary", {
    finishedAt: new Date().toISOString(),
    preset,
    machine: machineDescription(),
    suites,
    failed,
  });
  process.stdout.write(
    `\n${failed.length === 0 ? "every check held" : `${failed.length} failed:\n  ${failed.join("\n  ")}`}\nresults: ${path}\n`,
  );
  if (failed.length > 0) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `error ${err instanceof CrossproofError ? err.code : ErrorCode.INTERNAL}: ${(err as Error).message}\n`,
    );
    process.exitCode = err instanceof CrossproofError && err.code === ErrorCode.USAGE ? 64 : 1;
  });
}
