/**
 * `npm run bench:proving`: `query` proofs per second on this machine, for the same witnesses
 * (distinct synthetic credit reports committed in one tree, each with its own policy), with both
 * proving engines side by side:
 * (a) in this process, `groth16.fullProve` on snarkjs's default threaded curve, one after another
 *     (the baseline); (b) the prover pool on snarkjs with 1 worker and (c) 2 workers, all jobs
 *     submitted at once; (d) the pool on the native engine with 1 worker, (e) 2 workers, and
 *     (f) 1 worker proving on 2 threads inside the addon, and (g) 2 workers held to one engine
 *     thread each (threads in the engine against one engine per worker; (e), the pool's default,
 *     lets the workers share the cores: a proof alone takes both, two at once one each). Every mode gets one warm-up proof per prover first, and every proof is
 *     verified after the timing. Then the latency of one proof at a time through each pool
 *     (p50), and where a native proof's time goes (witness, each MSM, the transforms), from proofs
 *     made in this process. Prints tables and writes bench/results/proving.json.
 *
 * The modes run in turn, a b c a b c …, for several rounds, and each figure is the median of its
 * rounds: on a shared virtual machine the speed of the cores drifts by 10 % or more between runs
 * minutes apart, and interleaving spreads that drift over all modes. The in-process prover is
 * given the wasm and zkey bytes in memory, as the pool's workers keep them, so the figures
 * compare the two ways of using the cores and nothing else.
 *
 * Options: `--proofs N` (default 12), `--rounds R` (default 3).
 */
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as snarkjs from "snarkjs";
import type { Groth16Proof, ProofBundle } from "../core/proof.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { releaseSnarkjsCurve } from "../infra/snarkjs-runtime.js";
import { type NativeProofTimings, NativeProver } from "../prover/native/engine.js";
import { loadNativeAddon, type ProverEngine } from "../prover/native/index.js";
import { ProverPool } from "../prover/pool.js";
import { queryShape } from "../prover/prove-query.js";
import { buildQueryInput, type QueryWitness } from "../prover/query-input.js";
import { verifyProof } from "../support/verify-proof.js";
import { figure, median, printTable, writeResults } from "./report.js";
import { eligibleWitnesses } from "./witnesses.js";

const { values } = parseArgs({
  options: {
    proofs: { type: "string", default: "12" },
    rounds: { type: "string", default: "3" },
  },
});
const count = Number(values.proofs);
const rounds = Number(values.rounds);
for (const [option, value] of [
  ["proofs", count],
  ["rounds", rounds],
] as const) {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`--${option} takes a positive integer`);
  }
}
const options = [
  count === 12 ? "" : ` --proofs ${count}`,
  rounds === 3 ? "" : ` --rounds ${rounds}`,
];
const command = `npm run bench:proving${options.join("") ? ` --${options.join("")}` : ""}`;

const release = await loadCircuitRelease("query");
const { depth, k } = queryShape(release);

/** `count` distinct witnesses (see bench/witnesses.ts). */
function witnesses(): QueryWitness[] {
  return eligibleWitnesses(count, k);
}

/** Busy CPU time of the whole machine so far, in ms (Linux /proc/stat; null elsewhere). */
async function machineBusyMs(): Promise<number | null> {
  try {
    const line = (await readFile("/proc/stat", "utf8")).split("\n")[0] ?? "";
    // cpu  user nice system idle iowait irq softirq steal …, in clock ticks (USER_HZ = 100).
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
      (a, b) => a + (b ?? 0),
      0,
    );
    return busy * 10;
  } catch {
    return null;
  }
}

/** A mode's rate, its proofs, and the cores this process and everything else kept busy. */
interface Measured {
  readonly perSecond: number;
  readonly bundles: ProofBundle[];
  readonly coresHere: number;
  readonly coresElsewhere: number | null;
}

/** Time `prove` over all witnesses (it gets them all and returns the proofs). */
async function rate(
  all: readonly QueryWitness[],
  prove: (ws: readonly QueryWitness[]) => Promise<ProofBundle[]>,
): Promise<Measured> {
  const machineBefore = await machineBusyMs();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const bundles = await prove(all);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const machineAfter = await machineBusyMs();
  const hereMs = (cpu.user + cpu.system) / 1000;
  return {
    perSecond: all.length / (wallMs / 1000),
    bundles,
    coresHere: hereMs / wallMs,
    coresElsewhere:
      machineBefore === null || machineAfter === null
        ? null
        : Math.max(0, machineAfter - machineBefore - hereMs) / wallMs,
  };
}

async function inProcess(all: readonly QueryWitness[]): Promise<Measured> {
  const [wasm, zkey] = await Promise.all([
    readFile(release.paths.wasm),
    readFile(release.paths.zkey),
  ]);
  const prove = async (w: QueryWitness): Promise<ProofBundle> => {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      buildQueryInput(w, depth),
      wasm,
      zkey,
    );
    return { proof: proof as unknown as Groth16Proof, publicSignals };
  };
  await prove(all[0] as QueryWitness); // warm-up: builds the threaded curve
  const measured = await rate(all, async (ws) => {
    const bundles: ProofBundle[] = [];
    for (const w of ws) bundles.push(await prove(w));
    return bundles;
  });
  await releaseSnarkjsCurve();
  return measured;
}

/** `engineThreads` undefined: the pool's default (all cores, shared by the proofs in flight). */
async function pooled(
  engine: ProverEngine,
  workers: number,
  all: readonly QueryWitness[],
  engineThreads?: number,
): Promise<Measured> {
  const pool = await ProverPool.start({
    release,
    workers,
    maxQueue: all.length,
    engine,
    ...(engineThreads === undefined ? {} : { engineThreads }),
  });
  try {
    // Warm-up: one job per worker (the least busy worker takes each), so each has its files.
    await Promise.all(all.slice(0, workers).map((w) => pool.prove(w)));
    return await rate(all, (ws) => Promise.all(ws.map((w) => pool.prove(w))));
  } finally {
    await pool.close();
  }
}

/** Milliseconds of each of `count` proofs made one at a time through a warm pool. */
async function latencies(
  engine: ProverEngine,
  workers: number,
  all: readonly QueryWitness[],
  engineThreads?: number,
): Promise<number[]> {
  const pool = await ProverPool.start({
    release,
    workers,
    engine,
    ...(engineThreads === undefined ? {} : { engineThreads }),
  });
  try {
    await Promise.all(all.slice(0, workers).map((w) => pool.prove(w)));
    const times: number[] = [];
    for (const w of all) {
      const started = performance.now();
      await pool.prove(w);
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    await pool.close();
  }
}

/** The native engine's steps, median over proofs made in this process on `threads` threads. */
async function nativeBreakdown(
  all: readonly QueryWitness[],
  threads: number,
): Promise<Record<keyof NativeProofTimings, number>> {
  const [wasm, zkey] = await Promise.all([
    readFile(release.paths.wasm),
    readFile(release.paths.zkey),
  ]);
  const prover = await NativeProver.open({ wasm, zkey });
  await prover.prove(buildQueryInput(all[0] as QueryWitness, depth), threads); // warm-up
  const samples: NativeProofTimings[] = [];
  for (const w of all) {
    const { bundle, timings } = await prover.prove(buildQueryInput(w, depth), threads);
    if (!(await verifyProof(release, bundle))) throw new Error("a native proof did not verify");
    samples.push(timings);
  }
  const keys = Object.keys(samples[0] ?? {}) as (keyof NativeProofTimings)[];
  return Object.fromEntries(keys.map((k) => [k, median(samples.map((s) => s[k]))])) as Record<
    keyof NativeProofTimings,
    number
  >;
}

const native = loadNativeAddon();
if (!native.available) process.stdout.write(`native engine left out: ${native.reason}\n`);
const all = witnesses();
const load = loadavg().map((l) => l.toFixed(2));
const modes = [
  { name: "in-process fullProve, threaded curve, sequential", run: () => inProcess(all) },
  { name: "snarkjs pool, 1 worker, all jobs at once", run: () => pooled("snarkjs", 1, all) },
  { name: "snarkjs pool, 2 workers, all jobs at once", run: () => pooled("snarkjs", 2, all) },
  ...(native.available
    ? [
        {
          name: "native pool, 1 worker × 1 engine thread, all jobs at once",
          run: () => pooled("native", 1, all, 1),
        },
        {
          name: "native pool, 2 workers sharing the cores (default), all jobs at once",
          run: () => pooled("native", 2, all),
        },
        {
          name: "native pool, 1 worker × 2 engine threads, all jobs at once",
          run: () => pooled("native", 1, all, 2),
        },
        {
          name: "native pool, 2 workers × 1 engine thread each, all jobs at once",
          run: () => pooled("native", 2, all, 1),
        },
      ]
    : []),
].map((mode) => ({ ...mode, rounds: [] as Measured[] }));
for (let round = 0; round < rounds; round++) {
  for (const mode of modes) {
    const measured = await mode.run();
    for (const bundle of measured.bundles) {
      if (!(await verifyProof(release, bundle)))
        throw new Error("a benchmark proof did not verify");
    }
    await releaseSnarkjsCurve();
    mode.rounds.push(measured);
    process.stdout.write(
      `round ${round + 1}: ${mode.name}: ${measured.perSecond.toFixed(3)} proofs/s\n`,
    );
  }
}

const rates = modes.map((mode) => median(mode.rounds.map((m) => m.perSecond)));
const baseline = rates[0] ?? Number.NaN;
const figures = modes.map((mode, i) =>
  figure(
    `${mode.name} (median of ${rounds})`,
    "proofs/s",
    rates[i] ?? Number.NaN,
    command,
    i === 0 ? null : baseline,
  ),
);
// Scaling of the pool from 1 to 2 workers: efficiency 1 would be twice the proofs per second.
const scaling = (rates[2] ?? Number.NaN) / (rates[1] ?? Number.NaN);
figures.push(
  figure("snarkjs pool: 2 workers against 1 (scaling)", "×", scaling, command),
  figure("snarkjs pool: scaling efficiency, 1 → 2 workers", "%", (100 * scaling) / 2, command),
);
if (native.available) {
  const nativeScaling = (rates[4] ?? Number.NaN) / (rates[3] ?? Number.NaN);
  figures.push(
    figure("native pool: 2 workers against 1 (scaling)", "×", nativeScaling, command),
    figure(
      "native pool, 2 workers, against the snarkjs pool, 2 workers",
      "×",
      (rates[4] ?? Number.NaN) / (rates[2] ?? Number.NaN),
      command,
    ),
  );
}

// Latency: one proof at a time through a warm pool (what one presentation waits for).
const latencyModes: {
  name: string;
  engine: ProverEngine;
  workers: number;
  threads: number | undefined;
}[] = [
  { name: "snarkjs pool, 2 workers", engine: "snarkjs", workers: 2, threads: undefined },
  ...(native.available
    ? [
        {
          name: "native pool, 2 workers sharing the cores (default)",
          engine: "native" as const,
          workers: 2,
          threads: undefined,
        },
        {
          name: "native pool, 2 workers × 1 engine thread each",
          engine: "native" as const,
          workers: 2,
          threads: 1,
        },
        {
          name: "native pool, 1 worker × 2 engine threads",
          engine: "native" as const,
          workers: 1,
          threads: 2,
        },
      ]
    : []),
];
const latency = [];
for (const mode of latencyModes) {
  const times = await latencies(mode.engine, mode.workers, all, mode.threads);
  latency.push(
    figure(`${mode.name}: one proof at a time, p50`, "ms", median(times), command),
    figure(`${mode.name}: one proof at a time, max`, "ms", Math.max(...times), command),
  );
}

// Where a native proof's time goes.
const breakdown = [];
if (native.available) {
  for (const threads of [1, 2]) {
    const steps = await nativeBreakdown(all, threads);
    // Its proofs were checked on snarkjs's threaded curve: stop it, or the process never exits.
    await releaseSnarkjsCurve();
    for (const [step, ms] of Object.entries(steps)) {
      breakdown.push(
        figure(
          `native, ${threads} thread${threads > 1 ? "s" : ""}: ${step} (median)`,
          step === "threads" ? "threads" : "ms",
          ms,
          command,
        ),
      );
    }
  }
}
// How busy the cores were meanwhile: a run disturbed by other work on the machine shows here.
const cpu = modes.flatMap((mode) => {
  const here = median(mode.rounds.map((m) => m.coresHere));
  const elsewhere = mode.rounds.map((m) => m.coresElsewhere);
  return [
    figure(`${mode.name}: cores busy in this process`, "cores", here, command),
    ...(elsewhere.some((e) => e === null)
      ? []
      : [
          figure(
            `${mode.name}: cores busy elsewhere (most in a round)`,
            "cores",
            Math.max(...(elsewhere as number[])),
            command,
          ),
        ]),
  ];
});
printTable(
  `query proving — ${count} distinct proofs per mode and round, ${rounds} rounds (load average at start ${load.join(", ")})`,
  figures,
);
printTable("query proving latency, one proof at a time", latency);
if (breakdown.length > 0) printTable("native proof breakdown (in this process)", breakdown);
printTable("CPU while measuring", cpu);
const path = await writeResults("proving", [...figures, ...latency, ...breakdown, ...cpu]);
process.stdout.write(`\nwrote ${path}\n`);
