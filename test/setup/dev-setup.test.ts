/**
 * The development setup pipeline, end to end on a small circuit (the 16-way selector gadget with
 * a power-8 ptau: seconds instead of the minutes the release needs): two runs from two empty
 * caches give byte-identical keys, the release loads, and its proofs verify.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CircuitInstance } from "../../circuits/instances.js";
import { loadCircuitRelease } from "../../infra/artifacts.js";
import { circuitArtifactPaths } from "../../infra/paths.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import { type SetupTimings, setupDev } from "../../setup/dev.js";
import { silentProgress } from "../../setup/logger.js";

const SMALL: CircuitInstance = {
  name: "small_select",
  file: "select",
  template: "Select16",
  params: [],
  publicInputs: ["bits"],
  ptauPower: 8,
  release: false,
  description: "test only",
};

let work: string;
const timings: [string, SetupTimings][] = [];
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "crossproof-setup-"));
  for (const run of ["a", "b"]) {
    await setupDev({
      circuits: [SMALL],
      outDir: join(work, run, "artifacts"),
      ptauDir: join(work, run, "ptau"),
      progress: silentProgress,
      onCircuitDone: (circuit, manifest, t) => {
        expect(manifest.circuit).toBe(circuit);
        timings.push([circuit, t]);
      },
    });
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await releaseSnarkjsCurve();
});

describe("development setup", () => {
  it("gives byte-identical files from two empty caches", async () => {
    const a = circuitArtifactPaths(SMALL.name, join(work, "a", "artifacts"));
    const b = circuitArtifactPaths(SMALL.name, join(work, "b", "artifacts"));
    for (const file of [
      "zkey",
      "verificationKey",
      "wasm",
      "solidityVerifier",
      "manifest",
    ] as const) {
      expect(Buffer.compare(await readFile(a[file]), await readFile(b[file])), file).toBe(0);
    }
    const ptauA = await readFile(join(work, "a", "ptau", "crossproof-dev-8.ptau"));
    expect(
      Buffer.compare(ptauA, await readFile(join(work, "b", "ptau", "crossproof-dev-8.ptau"))),
    ).toBe(0);
  });

  it("writes a release that loads, is marked development, and proves", async () => {
    const release = await loadCircuitRelease(SMALL.name, join(work, "a", "artifacts"));
    expect(release.manifest).toMatchObject({
      constraints: 15,
      nPublic: 5,
      setup: { kind: "development" },
    });
    expect(release.manifest.publicSignals).toEqual([
      "out",
      "bits[0]",
      "bits[1]",
      "bits[2]",
      "bits[3]",
    ]);
    const input = {
      in: Array.from({ length: 16 }, (_, i) => String(100 + i)),
      bits: ["1", "0", "1", "0"],
    };
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      input,
      release.paths.wasm,
      release.paths.zkey,
    );
    expect(
      await snarkjs.groth16.verify(release.verificationKey as never, publicSignals, proof),
    ).toBe(true);
  });

  it("reports each circuit's compile and setup times once its release is in place", () => {
    expect(timings.map(([circuit]) => circuit)).toEqual([SMALL.name, SMALL.name]);
    for (const [, t] of timings) {
      expect(t.compileMs).toBeGreaterThan(0);
      expect(t.setupMs).toBeGreaterThan(0);
    }
  });

  it("refuses a ptau too small for the circuit", async () => {
    await expect(
      setupDev({
        circuits: [{ ...SMALL, ptauPower: 4 }],
        outDir: join(work, "c"),
        ptauDir: join(work, "c"),
        progress: silentProgress,
      }),
    ).rejects.toMatchObject({
      code: "SETUP_FAILED",
      message: expect.stringMatching(/ptau power 4 is too small/),
    });
  });
});
