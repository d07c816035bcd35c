/** Benchmark output: a table on the terminal and a JSON file under bench/results/. */
import { join } from "node:path";
import { writeFileAtomic } from "../infra/files.js";
import { PROJECT_ROOT } from "../infra/paths.js";
import { machineDescription } from "./machine.js";

/** One measured figure. `baseline` and `ratio` are null where nothing is compared. */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly baseline: number | null;
  readonly ratio: number | null;
  readonly command: string;
  readonly machine: string;
}

/** A figure with the current command and machine filled in. */
export function figure(
  name: string,
  unit: string,
  value: number,
  command: string,
  baseline: number | null = null,
): Figure {
  return {
    name,
    unit,
    value,
    baseline,
    ratio: baseline === null || baseline === 0 ? null : value / baseline,
    command,
    machine: machineDescription(),
  };
}

/** The median (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** Percentile `p` (0–100) of `samples`, nearest-rank. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Print figures as an aligned table. */
export function printTable(title: string, figures: readonly Figure[]): void {
  const rows = figures.map((f) => [
    f.name,
    `${formatNumber(f.value)} ${f.unit}`,
    f.ratio === null ? "" : `${f.ratio.toFixed(2)}×`,
  ]);
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  process.stdout.write(`\n${title}\n`);
  for (const r of rows) {
    process.stdout.write(
      `  ${(r[0] ?? "").padEnd(widths[0] ?? 0)}  ${(r[1] ?? "").padStart(widths[1] ?? 0)}  ${r[2] ?? ""}\n`,
    );
  }
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toFixed(v < 10 ? 2 : 1);
}

/** Folder of the results. */
export const RESULTS_DIR = join(PROJECT_ROOT, "bench", "results");

/**
 * Write figures to `bench/results/<name>.json` (atomically), with any `extra` data for charts
 * (rows, series) beside them; returns the path.
 */
export async function writeResults(
  name: string,
  figures: readonly Figure[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const path = join(RESULTS_DIR, `${name}.json`);
  await writeFileAtomic(path, `${JSON.stringify({ ...extra, figures }, null, 2)}\n`);
  return path;
}
