/**
 * The benchmark report (`bench/charts.ts`): from results files as the sections write them, a CSV
 * per figures file and an SVG chart per question, with their data in them.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeChartsAndCsv } from "../../bench/charts.js";
import { figure } from "../../bench/report.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("benchmark charts and CSV", () => {
  it("writes a CSV per figures file and the charts the data allows", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crossproof-charts-"));
    dirs.push(dir);
    const put = (name: string, value: unknown) =>
      writeFile(join(dir, `${name}.json`), JSON.stringify(value));
    await put("throughput", {
      figures: [figure("batched, batch of 64", "proofs/s", 812.5, "npm run bench", 27)],
      series: {
        "proofs/s by batch size (1 thread)": [
          { batch: 1, proofsPerSecond: 120 },
          { batch: 64, proofsPerSecond: 812.5 },
        ],
        baseline: [{ batch: 1, proofsPerSecond: 27 }],
      },
    });
    await put("http", {
      figures: [figure("batch endpoint: request latency p99", "ms", 87, "npm run bench")],
      latencies: [
        { endpoint: "single", percentile: "p50", ms: 20 },
        { endpoint: "single", percentile: "p99", ms: 61 },
      ],
    });
    await put("circuits-matrix", {
      rows: [
        {
          circuit: "query_d10_k1",
          constraints: 4103,
          witnessMs: 90,
          proveP50Ms: 800,
          verifyMs: 20,
        },
        { circuit: "query", constraints: 10628, witnessMs: 207, proveP50Ms: 1958, verifyMs: 29 },
      ],
    });
    const written = await writeChartsAndCsv(["throughput", "http", "missing"], "test machine", dir);
    expect(written.map((p) => p.slice(dir.length + 1)).sort()).toEqual([
      "circuits-time-by-constraints.svg",
      "http-latency-percentiles.svg",
      "http.csv",
      "throughput-by-batch-size.svg",
      "throughput.csv",
    ]);
    const csv = await readFile(join(dir, "throughput.csv"), "utf8");
    expect(csv.split("\n")[0]).toBe("name,unit,value,baseline,ratio,command,machine");
    expect(csv).toContain('"batched, batch of 64",proofs/s,812.5,27,');
    const svg = await readFile(join(dir, "throughput-by-batch-size.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Verified proofs per second, one thread, by batch size");
    expect(svg).toContain("test machine");
    const matrix = await readFile(join(dir, "circuits-time-by-constraints.svg"), "utf8");
    expect(matrix).toContain("constraints");
  });
});
