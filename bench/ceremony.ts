/**
 * `npm run bench:ceremony`: the time of each phase-2 ceremony step for the `query` circuit at
 * its real size (ptau power 14): the ptau check, init, each contribution and the coordinator's
 * verification of it, the beacon, and the release. Prints a table and writes
 * bench/results/ceremony.json.
 *
 * Phase 1 is the cached development ptau (made first when missing, not timed), so it is an
 * unknown file to the ptau check and is allowed explicitly; a Hermez file of the same power
 * verifies in the same time. The release goes to a scratch folder, never to artifacts/; the
 * ceremony's transcript is kept in the JSON.
 *
 * Options: `--circuit NAME` (default query), `--participants N` (default 3).
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { getCircuitInstance } from "../circuits/instances.js";
import { releaseSnarkjsCurve } from "../infra/snarkjs-runtime.js";
import {
  acceptContribution,
  contribute,
  finalizeCeremony,
  initCeremony,
  latestZkey,
  readTranscript,
  releaseCeremony,
  verifyCeremonyZkey,
} from "../setup/ceremony.js";
import { silentProgress } from "../setup/logger.js";
import { ensureDevPtau } from "../setup/ptau.js";
import { importPtau } from "../setup/ptau-import.js";
import { type Figure, figure, printTable, writeResults } from "./report.js";

const { values } = parseArgs({
  options: {
    circuit: { type: "string", default: "query" },
    participants: { type: "string", default: "3" },
  },
});
const circuit = getCircuitInstance(values.circuit);
const participants = Number(values.participants);
const command = `npm run bench:ceremony -- --circuit ${circuit.name} --participants ${participants}`;

const work = await mkdtemp(join(tmpdir(), "crossproof-bench-ceremony-"));
const figures: Figure[] = [];
const steps: { step: string; ms: number }[] = [];
async function timed<T>(step: string, run: () => Promise<T>): Promise<T> {
  process.stderr.write(`${step}…\n`);
  const started = performance.now();
  const result = await run();
  const ms = performance.now() - started;
  steps.push({ step, ms });
  figures.push(figure(step, "s", ms / 1000, command));
  process.stderr.write(`${step}: ${(ms / 1000).toFixed(1)} s\n`);
  return result;
}

try {
  const ptau = await ensureDevPtau(circuit.ptauPower);
  await timed(`ptau check (blake2b + full verify), power ${circuit.ptauPower}`, () =>
    importPtau(ptau, { allowUnknown: true }),
  );
  const dir = join(work, "ceremony");
  // init checks the ptau again; its own figure is that check plus compile and the initial zkey.
  await timed("init (ptau check, compile, initial zkey)", () =>
    initCeremony({ circuit, ptau, dir, allowUnknownPtau: true, progress: silentProgress }),
  );
  for (let i = 1; i <= participants; i++) {
    const input = await latestZkey(dir);
    const output = join(work, `participant-${i}.zkey`);
    await timed(`contribute #${i}`, () =>
      contribute({ input, output, name: `participant ${i}`, progress: silentProgress }),
    );
    await timed(`verify + accept #${i}`, () => acceptContribution({ dir, zkey: output }));
  }
  await timed("finalize (beacon 2^10 + verify)", () =>
    finalizeCeremony({ dir, beacon: "ab".repeat(32), iterationsExp: 10 }),
  );
  const finalZkey = await latestZkey(dir);
  await timed("verify the final zkey (anyone, from the folder)", () =>
    verifyCeremonyZkey({ dir, zkey: finalZkey }),
  );
  const manifest = await timed("release (verify again, export, check key, swap)", () =>
    releaseCeremony({ dir, outDir: join(work, "artifacts") }),
  );
  const zkeyBytes = (await stat(finalZkey)).size;
  figures.push(figure("final zkey size", "MB", zkeyBytes / 1e6, command));
  printTable(
    `ceremony: ${circuit.name} (${manifest.constraints} constraints, ptau 2^${circuit.ptauPower}, ${participants} participants)`,
    figures,
  );
  process.stdout.write(
    `\nwrote ${await writeResults("ceremony", figures, { circuit: circuit.name, constraints: manifest.constraints, participants, steps, transcript: await readTranscript(dir) })}\n`,
  );
} finally {
  await releaseSnarkjsCurve();
  await rm(work, { recursive: true, force: true });
}
