/**
 * `npm run setup:dev`: compile the release circuits and make their development setup,
 * deterministically, then write `artifacts/<circuit>/`.
 *
 * Phase 1 is the cached development ptau (setup/ptau.ts). Phase 2 is `groth16 setup` followed
 * by a `zkey beacon` in place of a contribution. Both are deterministic, so the same sources
 * give the same keys, byte for byte. Each release is assembled in a staging folder and swapped
 * into place only when complete: an interrupted setup leaves the previous release intact.
 */

import { readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import * as snarkjs from "snarkjs";
import { circomVersion, compileCircuit } from "../circuits/compile.js";
import {
  type CircuitInstance,
  getCircuitInstance,
  loadCircuitInstances,
} from "../circuits/instances.js";
import { publicSignalNames } from "../circuits/symbols.js";
import { ArtifactError, ErrorCode } from "../core/errors.js";
import type { ArtifactManifest } from "../infra/artifacts.js";
import { sha256File } from "../infra/files.js";
import {
  ARTIFACTS_DIR,
  BUILD_DIR,
  type CompiledCircuitPaths,
  circuitArtifactPaths,
  packageRoot,
} from "../infra/paths.js";
import { DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP } from "./beacon.js";
import { type ProgressSink, stderrProgress, stepLogger } from "./logger.js";
import { ensureDevPtau } from "./ptau.js";

/** Options of {@link setupDev}. */
export interface SetupDevOptions {
  /**
   * Circuits to set up, by name in circuits.json or as instances (default: every `release`
   * instance of circuits.json).
   */
  readonly circuits?: readonly (string | CircuitInstance)[];
  /** Where releases go (default `artifacts/`). */
  readonly outDir?: string;
  /** Folder of the cached ptau files, by power (default: the user cache). */
  readonly ptauDir?: string;
  readonly progress?: ProgressSink;
  /**
   * Called when a circuit's release is in place, with its manifest and how long its compile and
   * its setup took (benchmarks record them); awaited before the next circuit starts.
   */
  readonly onCircuitDone?: (
    circuit: string,
    manifest: ArtifactManifest,
    timings: SetupTimings,
  ) => void | Promise<void>;
}

/** How long one circuit's development setup took, in milliseconds. */
export interface SetupTimings {
  /** The circom compile (`--O2`: r1cs, wasm, sym). */
  readonly compileMs: number;
  /**
   * Phase 2 and the release files: r1cs info, `groth16 setup`, the beacon, the verification key,
   * the Solidity verifier and the manifest. Not phase 1: the ptau is cached and shared.
   */
  readonly setupMs: number;
}

/** What {@link setupDev} made: per circuit, its manifest. */
export type SetupDevResult = ReadonlyMap<string, ArtifactManifest>;

/** The installed snarkjs version (recorded in release manifests). */
export function snarkjsVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot("snarkjs"), "package.json"), "utf8"));
  return (pkg as { version: string }).version;
}

/** Make the development release of every requested circuit. */
export async function setupDev(options: SetupDevOptions = {}): Promise<SetupDevResult> {
  const progress = options.progress ?? stderrProgress;
  const outDir = options.outDir ?? ARTIFACTS_DIR;
  const wanted =
    options.circuits?.map((c) => (typeof c === "string" ? getCircuitInstance(c) : c)) ??
    loadCircuitInstances().filter((c) => c.release);
  const tools = {
    snarkjs: snarkjsVersion(),
    circom: (await circomVersion()).replace(/\s*\n\s*/g, "; "),
  };
  const results = new Map<string, ArtifactManifest>();
  for (const instance of wanted) {
    const started = Date.now();
    progress(`${instance.name}: compiling (circom --O2)`);
    const { manifest, timings } = await setupOne(
      instance,
      outDir,
      options.ptauDir,
      tools,
      progress,
    );
    progress(
      `${instance.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
        `${manifest.constraints} constraints, zkey ${manifest.files.zkey.sha256.slice(0, 16)}…`,
    );
    results.set(instance.name, manifest);
    await options.onCircuitDone?.(instance.name, manifest, timings);
  }
  return results;
}

async function setupOne(
  instance: CircuitInstance,
  outDir: string,
  ptauDir: string | undefined,
  tools: Record<string, string>,
  progress: ProgressSink,
): Promise<{ manifest: ArtifactManifest; timings: SetupTimings }> {
  // A build folder of this run's own: two setups at once must not read each other's compile.
  await mkdir(join(BUILD_DIR, "setup"), { recursive: true });
  const buildDir = await mkdtemp(join(BUILD_DIR, "setup", `${instance.name}-`));
  try {
    const started = performance.now();
    const compiled = await compileCircuit(instance, buildDir);
    const compileMs = performance.now() - started;
    const { manifest, setupMs } = await setupCompiled(
      instance,
      compiled,
      outDir,
      ptauDir,
      tools,
      progress,
    );
    return { manifest, timings: { compileMs, setupMs } };
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }
}

async function setupCompiled(
  instance: CircuitInstance,
  compiled: CompiledCircuitPaths,
  outDir: string,
  ptauDir: string | undefined,
  tools: Record<string, string>,
  progress: ProgressSink,
): Promise<{ manifest: ArtifactManifest; setupMs: number }> {
  const started = performance.now();
  const info = await snarkjs.r1cs.info(compiled.r1cs);
  const nPublic = info.nOutputs + info.nPubInputs;
  if (2 ** instance.ptauPower < info.nConstraints + nPublic + 1) {
    throw new ArtifactError(
      ErrorCode.SETUP_FAILED,
      `${instance.name} has ${info.nConstraints} constraints: ptau power ${instance.ptauPower} is too small`,
      { details: { circuit: instance.name, constraints: info.nConstraints } },
    );
  }
  const ptauOptions: { path?: string; progress: ProgressSink } = { progress };
  if (ptauDir) ptauOptions.path = join(ptauDir, `crossproof-dev-${instance.ptauPower}.ptau`);
  // Phase 1 (cached and shared, or made here the first time) is not part of the setup time.
  const ptauStarted = performance.now();
  const ptau = await ensureDevPtau(instance.ptauPower, ptauOptions);
  const ptauMs = performance.now() - ptauStarted;

  const final = circuitArtifactPaths(instance.name, outDir);
  const staging = circuitArtifactPaths(`.${instance.name}.staging`, outDir);
  const stagingFile = (path: string) => join(staging.dir, path.slice(final.dir.length + 1));
  await rm(staging.dir, { recursive: true, force: true });
  await mkdir(staging.dir, { recursive: true });
  try {
    const initialZkey = join(compiled.dir, `${instance.name}_0000.zkey`);
    progress(`${instance.name}: groth16 setup (phase 2)`);
    await snarkjs.zKey.newZKey(compiled.r1cs, ptau, initialZkey, stepLogger("zkey new", progress));
    progress(`${instance.name}: zkey beacon`);
    await snarkjs.zKey.beacon(
      initialZkey,
      stagingFile(final.zkey),
      "crossproof development beacon",
      DEV_BEACON_HASH,
      DEV_BEACON_ITERATIONS_EXP,
      stepLogger("zkey beacon", progress),
    );
    await rm(initialZkey, { force: true });
    const vkey = await snarkjs.zKey.exportVerificationKey(stagingFile(final.zkey));
    await writeFile(stagingFile(final.verificationKey), `${JSON.stringify(vkey, null, 2)}\n`);
    const template = await readFile(
      join(packageRoot("snarkjs"), "templates", "verifier_groth16.sol.ejs"),
      "utf8",
    );
    const solidity: string = await snarkjs.zKey.exportSolidityVerifier(stagingFile(final.zkey), {
      groth16: template,
    });
    await writeFile(stagingFile(final.solidityVerifier), solidity);
    await copyFile(compiled.wasm, stagingFile(final.wasm));

    const entry = async (path: string) => ({
      path: path.slice(final.dir.length + 1),
      sha256: await sha256File(stagingFile(path)),
    });
    const manifest: ArtifactManifest = {
      circuit: instance.name,
      template: instance.template,
      params: [...instance.params],
      publicSignals: await publicSignalNames(compiled.sym, nPublic),
      nPublic,
      nOutputs: info.nOutputs,
      constraints: info.nConstraints,
      wires: info.nVars,
      r1csSha256: await sha256File(compiled.r1cs),
      ptau: { power: instance.ptauPower, sha256: await sha256File(ptau) },
      setup: {
        kind: "development",
        beacon: { hash: DEV_BEACON_HASH, iterationsExp: DEV_BEACON_ITERATIONS_EXP },
        note: "Deterministic development setup: a public beacon replaces every contribution, so the toxic waste is public. Never use these keys in production.",
        tools,
      },
      files: {
        wasm: await entry(final.wasm),
        zkey: await entry(final.zkey),
        verificationKey: await entry(final.verificationKey),
        solidityVerifier: await entry(final.solidityVerifier),
      },
    };
    await writeFile(stagingFile(final.manifest), `${JSON.stringify(manifest, null, 2)}\n`);

    // Swap the finished release into place.
    const previous = `${final.dir}.previous`;
    await rm(previous, { recursive: true, force: true });
    await rename(final.dir, previous).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    try {
      await rename(staging.dir, final.dir);
    } catch (err) {
      await rename(previous, final.dir).catch(() => {});
      throw err;
    }
    await rm(previous, { recursive: true, force: true });
    return { manifest, setupMs: performance.now() - started - ptauMs };
  } finally {
    await rm(staging.dir, { recursive: true, force: true });
  }
}
