/**
 * `npm run bench` and `crossproof bench`: the benchmark suite for researchers, on this machine.
 *
 * Runs the sections one after another, each its own process (so none disturbs another's heap or
 * worker threads), each printing its table and writing its JSON in bench/results/:
 *
 * | section | script | what |
 * |---|---|---|
 * | `circuits` | bench/circuits.ts | the circuit matrix: `query` at depth 10/20/32 × K 1/4/8/16 and `commitment` (variants built on demand): constraints, compile, setup, witness, proving p50/p95, verification, proof size |
 * | `throughput` | bench/throughput.ts | verification: plain snarkjs loop vs crossproof single vs batched by batch size vs the worker pool (1, 2 workers) |
 * | `proving` | bench/proving.ts | proving: in process vs the prover pool with 1 and 2 workers, scaling |
 * | `http` | bench/http-load.ts | the verifier service under HTTP load (autocannon): single and batch endpoints, genuine presentations |
 *
 * Then it writes a CSV beside each JSON, the SVG charts (bench/charts.ts), and
 * bench/results/summary.json: the issue's targets against what was measured (`baseline` is the
 * target, `ratio` measured / target), also printed as a table.
 *
 * Options: `--only a,b` (sections), `--quick` (fewer runs and shorter loads: a smoke run, not
 * figures to publish), `--report` (only redo the CSV, charts and summary from the results).
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { printError } from "../cli/output.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { writeChartsAndCsv } from "./charts.js";
import { machineDescription } from "./machine.js";
import { type Figure, figure, printTable, RESULTS_DIR, writeResults } from "./report.js";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));

interface Section {
  readonly script: string;
  readonly full: readonly string[];
  readonly quick: readonly string[];
  /** Result files it writes (without .json). */
  readonly results: readonly string[];
}

const SECTIONS: Record<string, Section> = {
  circuits: {
    script: "circuits.ts",
    full: ["--runs", "5"],
    quick: ["--runs", "2"],
    results: ["circuits"],
  },
  throughput: {
    script: "throughput.ts",
    full: [],
    quick: ["--proofs", "256", "--rounds", "1", "--snarkjs-proofs", "32"],
    results: ["throughput"],
  },
  proving: {
    script: "proving.ts",
    full: [],
    quick: ["--proofs", "4", "--rounds", "1"],
    results: ["proving"],
  },
  http: {
    script: "http-load.ts",
    full: [],
    quick: ["--duration", "5", "--presentations", "8"],
    results: ["http"],
  },
};

/** Run one section's script with tsx in a child process; rejects when it fails. */
function runSection(name: string, section: Section, args: readonly string[]): Promise<void> {
  const tsx = createRequire(import.meta.url).resolve("tsx/cli");
  process.stdout.write(`\n=== ${name}: tsx bench/${section.script} ${args.join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, join(BENCH_DIR, section.script), ...args], {
      stdio: "inherit",
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`bench section ${name} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

async function figuresOf(name: string): Promise<Figure[]> {
  try {
    return (
      JSON.parse(await readFile(join(RESULTS_DIR, `${name}.json`), "utf8")) as {
        figures: Figure[];
      }
    ).figures;
  } catch {
    return [];
  }
}

/** The issue's targets, each measured figure against its target (ratio ≥ 1: met). */
async function targets(): Promise<{ figures: Figure[]; met: boolean[] }> {
  const find = (figures: Figure[], prefix: string) =>
    figures.find((f) => f.name.startsWith(prefix));
  const throughput = await figuresOf("throughput");
  const http = await figuresOf("http");
  const proving = await figuresOf("proving");
  const pool2 = find(throughput, "verifier pool, 2 workers");
  // The batch endpoint at its first (lowest) concurrency: throughput and p99 of the same run.
  const batchRate = http.find((f) => f.name.startsWith("batch endpoint,") && f.unit !== "ms");
  const batchRun = batchRate?.name.split(":")[0];
  const batchP99 = batchRun ? find(http, `${batchRun}: request latency p99`) : undefined;
  const scaling = find(proving, "prover pool: 2 workers against 1");
  const rows: {
    name: string;
    unit: string;
    value: number | undefined;
    target: number;
    atMost?: boolean;
    command?: string;
  }[] = [
    {
      name: "batched verification (pool, 2 workers) against the snarkjs loop",
      unit: "×",
      value: pool2?.ratio ?? undefined,
      target: 15,
      ...(pool2 ? { command: pool2.command } : {}),
    },
    {
      name: "batched verification (pool, 2 workers)",
      unit: "proofs/s",
      value: pool2?.value,
      target: 1000,
      ...(pool2 ? { command: pool2.command } : {}),
    },
    {
      name: `HTTP ${batchRun ?? "batch endpoint"}`,
      unit: "verifications/s",
      value: batchRate?.value,
      target: 500,
      ...(batchRate ? { command: batchRate.command } : {}),
    },
    {
      name: `HTTP ${batchRun ?? "batch endpoint"}, p99 latency (at most)`,
      unit: "ms",
      value: batchP99?.value,
      target: 100,
      atMost: true,
      ...(batchP99 ? { command: batchP99.command } : {}),
    },
    {
      name: "proving, 2 workers against 1 (reported; no target)",
      unit: "×",
      value: scaling?.value,
      target: Number.NaN,
      ...(scaling ? { command: scaling.command } : {}),
    },
  ];
  const measured = rows.filter((r) => r.value !== undefined);
  return {
    figures: measured.map((r) =>
      figure(
        r.name,
        r.unit,
        r.value as number,
        r.command ?? "npm run bench",
        Number.isNaN(r.target) ? null : r.target,
      ),
    ),
    met: measured.map((r) =>
      Number.isNaN(r.target)
        ? true
        : r.atMost
          ? (r.value as number) <= r.target
          : (r.value as number) >= r.target,
    ),
  };
}

/** The suite: sections, then CSV, charts and the targets. */
export async function runBench(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      report: { type: "boolean", default: false },
    },
  });
  const names = values.only ? values.only.split(",").map((s) => s.trim()) : Object.keys(SECTIONS);
  for (const name of names) {
    if (!SECTIONS[name]) {
      throw new CrossproofError(
        ErrorCode.USAGE,
        `unknown section "${name}": one of ${Object.keys(SECTIONS).join(", ")}`,
      );
    }
  }
  if (!values.report) {
    for (const name of names) {
      const section = SECTIONS[name] as Section;
      await runSection(name, section, values.quick ? section.quick : section.full);
    }
  }
  const machine = machineDescription();
  const written = await writeChartsAndCsv(["circuits", "throughput", "proving", "http"], machine);
  const { figures, met } = await targets();
  if (figures.length > 0) {
    printTable("Targets (ratio: measured / target)", figures);
    figures.forEach((f, i) => {
      if (!met[i]) process.stdout.write(`  NOT MET: ${f.name}\n`);
    });
    written.push(await writeResults("summary", figures));
  }
  process.stdout.write(
    `\nmachine: ${machine}\nwrote:\n${written.map((p) => `  ${p}`).join("\n")}\n`,
  );
  if (values.quick) {
    process.stdout.write("(--quick: a smoke run; publish figures from a full run)\n");
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // As the command line reports errors: the code and message, exit code 64 for a usage error.
  await runBench(process.argv.slice(2)).catch((err: unknown) => printError(err, false));
}
