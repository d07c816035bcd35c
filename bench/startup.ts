/**
 * `npm run bench:startup`: how long the command line takes to answer and `crossproof start`
 * takes to be ready, for this checkout and, with `--compare DIR`, another checkout of crossproof
 * (an older commit, say) measured side by side: the runs of the two alternate, so the machine's
 * drift hits both alike. Medians of `--runs` (5) each.
 *
 * - `crossproof --help`: wall time of the whole process, from spawn to exit.
 * - `crossproof start`: a restart on a data folder made once beforehand (chain state, vault,
 *   keys), from spawn to its last line of start-up output (the one after which it only serves),
 *   on free ports; then SIGTERM.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_ROOT } from "../infra/paths.js";
import { type Figure, figure, median, printTable, writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    compare: { type: "string" },
    label: { type: "string", default: "before" },
  },
});
const runs = Number(values.runs);
const command = `npm run bench:startup -- --runs ${runs}${values.compare ? ` --compare ${values.compare}` : ""}`;

interface Checkout {
  readonly label: string;
  readonly dir: string;
  readonly dataDir: string;
}

/** Milliseconds from spawn until `done(output)` holds (or the process exits, for `until: exit`). */
function timed(
  checkout: Checkout,
  args: readonly string[],
  ready: ((out: string) => boolean) | "exit",
): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(checkout.dir, "cli", "bin.js"), ...args], {
      cwd: checkout.dir,
      env: {
        PATH: process.env.PATH,
        CROSSPROOF_DATA_DIR: checkout.dataDir,
        CROSSPROOF_VERIFIER_PORT: "0",
        CROSSPROOF_PROVER_PORT: "0",
        CROSSPROOF_LOG_FILE: join(checkout.dataDir, "bench.log"),
      },
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    let ms: number | undefined;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (ready !== "exit" && ms === undefined && ready(out)) {
        ms = performance.now() - started;
        child.kill("SIGTERM");
      }
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (ready === "exit") {
        if (code === 0) resolvePromise(performance.now() - started);
        else reject(new Error(`${checkout.label}: exit ${code}`));
      } else if (ms === undefined) reject(new Error(`${checkout.label}: exited before ready`));
      else resolvePromise(ms);
    });
  });
}

/** The last line of start-up output: `READY` now, the walk-through's closing line before it. */
const startedUp = (out: string) => /^READY |Ctrl-C stops everything/m.test(out);

const checkouts: Checkout[] = [
  { label: "this checkout", dir: PROJECT_ROOT, dataDir: await mkdtemp(join(tmpdir(), "cp-su-")) },
];
if (values.compare) {
  checkouts.unshift({
    label: values.label,
    dir: resolve(values.compare),
    dataDir: await mkdtemp(join(tmpdir(), "cp-su-")),
  });
}
try {
  // A first start makes each data folder (records imported and anchored); not measured.
  for (const c of checkouts) await timed(c, ["start", "--records", "64"], startedUp);
  const help = new Map<string, number[]>(checkouts.map((c) => [c.label, []]));
  const ready = new Map<string, number[]>(checkouts.map((c) => [c.label, []]));
  for (let i = 0; i < runs; i++) {
    for (const c of checkouts) help.get(c.label)?.push(await timed(c, ["--help"], "exit"));
    for (const c of checkouts) {
      ready.get(c.label)?.push(await timed(c, ["start", "--records", "64"], startedUp));
    }
  }
  const base = checkouts.length > 1 ? (checkouts[0] as Checkout).label : undefined;
  const figures: Figure[] = [];
  for (const [what, samples] of [
    ["crossproof --help", help],
    ["crossproof start, ready", ready],
  ] as const) {
    const baseline = base === undefined ? null : median(samples.get(base) ?? []);
    for (const c of checkouts) {
      const value = median(samples.get(c.label) ?? []);
      figures.push(
        figure(
          `${what} (${c.label})`,
          "ms",
          Math.round(value),
          command,
          c.label === base ? null : baseline,
        ),
      );
    }
  }
  printTable(`Start-up, median of ${runs} (ratio: against ${base ?? "nothing"})`, figures);
  const path = await writeResults("startup", figures, {
    samples: Object.fromEntries(
      checkouts.map((c) => [c.label, { help: help.get(c.label), ready: ready.get(c.label) }]),
    ),
  });
  process.stdout.write(`\n${path}\n`);
} finally {
  for (const c of checkouts) await rm(c.dataDir, { recursive: true, force: true });
}
