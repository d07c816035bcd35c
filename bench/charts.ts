/**
 * The benchmark charts, one per question, drawn as SVG with Vega-Lite (rendered headless by
 * Vega: no browser, no canvas) from the results the sections wrote in bench/results/:
 *
 * - `circuits-time-by-constraints.svg`: witness, proving (p50) and verification time of every
 *   circuit of the matrix against its constraint count;
 * - `throughput-by-batch-size.svg`: verified proofs per second in one thread by batch size,
 *   with the plain snarkjs loop as the baseline;
 * - `proving-by-workers.svg`: proofs per second in process and in the prover pool by workers;
 * - `http-latency-percentiles.svg`: latency percentiles of the HTTP load runs.
 *
 * And a CSV beside each JSON file of figures.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import * as vega from "vega";
import type { TopLevelSpec } from "vega-lite";
import * as vl from "vega-lite";
import { writeFileAtomic } from "../infra/files.js";
import { type Figure, RESULTS_DIR } from "./report.js";

/** The SVG of a Vega-Lite chart. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

async function readResults(
  dir: string,
  name: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, `${name}.json`), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

const base = {
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  width: 520,
  height: 300,
  config: { font: "sans-serif" },
} as const;

interface MatrixRow {
  readonly circuit: string;
  readonly constraints: number;
  readonly witnessMs: number;
  readonly proveP50Ms: number;
  readonly verifyMs: number;
}

/**
 * Write the CSV of every results file of `dir` (default bench/results) and the charts their data
 * allows; returns the paths.
 */
export async function writeChartsAndCsv(
  names: readonly string[],
  machine: string,
  dir = RESULTS_DIR,
): Promise<string[]> {
  const written: string[] = [];
  const write = async (file: string, text: string) => {
    const path = join(dir, file);
    await writeFileAtomic(path, text);
    written.push(path);
  };
  for (const name of names) {
    const results = await readResults(dir, name);
    const figures = results?.figures as Figure[] | undefined;
    if (!figures) continue;
    await write(
      `${name}.csv`,
      stringify(
        figures.map((f) => [f.name, f.unit, f.value, f.baseline, f.ratio, f.command, f.machine]),
        {
          header: true,
          columns: ["name", "unit", "value", "baseline", "ratio", "command", "machine"],
        },
      ),
    );
  }
  const subtitle = machine;

  const matrix = (await readResults(dir, "circuits-matrix"))?.rows as MatrixRow[] | undefined;
  if (matrix?.length) {
    const values = matrix.flatMap((r) => [
      { circuit: r.circuit, constraints: r.constraints, measure: "proving p50", ms: r.proveP50Ms },
      { circuit: r.circuit, constraints: r.constraints, measure: "witness", ms: r.witnessMs },
      { circuit: r.circuit, constraints: r.constraints, measure: "verification", ms: r.verifyMs },
    ]);
    await write(
      "circuits-time-by-constraints.svg",
      await renderSvg({
        ...base,
        title: { text: "Time by circuit size (snarkjs, threaded)", subtitle },
        data: { values: values.filter((v) => Number.isFinite(v.ms)) },
        mark: { type: "point", filled: true, size: 70, tooltip: true },
        encoding: {
          x: { field: "constraints", type: "quantitative", title: "constraints" },
          y: { field: "ms", type: "quantitative", title: "ms", scale: { type: "log" } },
          color: { field: "measure", type: "nominal" },
          shape: { field: "measure", type: "nominal" },
        },
      }),
    );
  }

  const throughput = (await readResults(dir, "throughput"))?.series as
    | Record<string, { batch: number; proofsPerSecond: number }[]>
    | undefined;
  if (throughput) {
    const values = Object.entries(throughput).flatMap(([series, points]) =>
      points.map((p) => ({ series, ...p })),
    );
    await write(
      "throughput-by-batch-size.svg",
      await renderSvg({
        ...base,
        title: { text: "Verified proofs per second, one thread, by batch size", subtitle },
        data: { values },
        mark: { type: "line", point: true, tooltip: true },
        encoding: {
          x: {
            field: "batch",
            type: "quantitative",
            title: "proofs per batch",
            scale: { type: "log", base: 2 },
          },
          y: { field: "proofsPerSecond", type: "quantitative", title: "proofs/s" },
          color: { field: "series", type: "nominal", title: null },
        },
      }),
    );
  }

  const proving = (await readResults(dir, "proving"))?.figures as Figure[] | undefined;
  const provingRates = proving?.filter((f) => f.unit === "proofs/s");
  if (provingRates?.length) {
    await write(
      "proving-by-workers.svg",
      await renderSvg({
        ...base,
        title: { text: "query proofs per second: in process and by prover workers", subtitle },
        data: {
          values: provingRates.map((f) => ({
            mode: f.name.replace(/ \(median of \d+\)$/, ""),
            proofsPerSecond: f.value,
          })),
        },
        mark: { type: "bar", tooltip: true },
        encoding: {
          y: { field: "mode", type: "nominal", title: null, sort: null },
          x: { field: "proofsPerSecond", type: "quantitative", title: "proofs/s" },
        },
      }),
    );
  }

  const latencies = (await readResults(dir, "http"))?.latencies as
    | { endpoint: string; percentile: string; ms: number }[]
    | undefined;
  if (latencies?.length) {
    await write(
      "http-latency-percentiles.svg",
      await renderSvg({
        ...base,
        title: { text: "HTTP latency percentiles under load (autocannon)", subtitle },
        data: { values: latencies },
        mark: { type: "bar", tooltip: true },
        encoding: {
          x: { field: "percentile", type: "nominal", sort: ["p50", "p90", "p99", "max"] },
          xOffset: { field: "endpoint", type: "nominal" },
          y: { field: "ms", type: "quantitative", title: "ms" },
          color: { field: "endpoint", type: "nominal", title: null },
        },
      }),
    );
  }
  return written;
}
