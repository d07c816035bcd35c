/**
 * core/snarkjs-worker-runtime.ts holds two workarounds that lean on snarkjs internals; these
 * tests show each is needed and works, in real worker threads: importing snarkjs plainly in a
 * worker crashes, importing it through the module proves, and proofs run on the one cached
 * single-threaded curve without starting threads (while, without it, snarkjs builds its own).
 */
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeLeaf } from "../../core/commitment.js";
import type { ProofBundle } from "../../core/proof.js";
import { type CircuitRelease, loadCircuitRelease } from "../../infra/artifacts.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import { verifyProof } from "../../support/verify-proof.js";
import { commit } from "../helpers/fixtures.js";
import type { ProbeInput } from "./workers/runtime-probe.js";

interface ProbeReport {
  proofs: ProofBundle[];
  sameLoad: boolean;
  isMainThreadAfterLoad: boolean;
  cachedAfterProofs: boolean;
  multiexpsOnCachedCurve: number;
  threadsBefore: number;
  threadsAfter: number;
  controlBuiltItsOwnCurve: boolean;
  threadsWithControlCurve: number;
  multiexpsAfterControl: number;
}

/** Run a worker script to its first message; rejects with the worker's error. */
async function runWorker<T>(script: string, workerData?: unknown): Promise<T> {
  const worker = new Worker(new URL(script, import.meta.url), { workerData });
  try {
    const [message] = (await Promise.race([
      once(worker, "message"),
      once(worker, "error").then(([err]) => Promise.reject(err)),
    ])) as [T];
    return message;
  } finally {
    await worker.terminate();
  }
}

afterAll(releaseSnarkjsCurve);

describe("snarkjs in a worker thread", () => {
  let release: CircuitRelease;
  let probe: ProbeInput;
  beforeAll(async () => {
    release = await loadCircuitRelease("commitment");
    const c = commit();
    probe = {
      input: {
        leaf: computeLeaf(c.schema.schemaId, c.slots, c.salt).toString(),
        schemaId: c.schema.schemaId.toString(),
        challenge: "5",
        slots: c.slots.map(String),
        salt: c.salt.toString(),
      },
      wasm: release.paths.wasm,
      zkey: release.paths.zkey,
    };
  });

  it("crashes in web-worker when imported plainly (the bug the runtime module works around)", async () => {
    await expect(runWorker("./workers/import-snarkjs.js")).rejects.toThrow(
      "Cannot destructure property 'mod' of 'threads.workerData'",
    );
  });

  describe("through the runtime module", () => {
    let report: ProbeReport;
    beforeAll(async () => {
      report = await runWorker<ProbeReport>("./workers/runtime-probe.js", probe);
    });

    it("imports, proves, and its proofs verify", async () => {
      expect(report.proofs).toHaveLength(3);
      for (const bundle of report.proofs) expect(await verifyProof(release, bundle)).toBe(true);
    });

    it("loads once per thread and gives worker_threads.isMainThread back", () => {
      expect(report.sameLoad).toBe(true);
      expect(report.isMainThreadAfterLoad).toBe(false);
    });

    it("proves on the one cached curve, without rebuilding it or starting threads", () => {
      // snarkjs 0.7.6's Groth16 prover runs four G1 multi-exponentiations per proof (A, B1, C, H).
      expect(report.multiexpsOnCachedCurve).toBe(2 * 4);
      expect(report.cachedAfterProofs).toBe(true);
      expect(report.threadsAfter).toBe(report.threadsBefore);
    });

    it("is what keeps snarkjs from building its own threaded curve (control)", () => {
      expect(report.controlBuiltItsOwnCurve).toBe(true);
      expect(report.multiexpsAfterControl).toBe(report.multiexpsOnCachedCurve);
      expect(report.threadsWithControlCurve).toBeGreaterThan(report.threadsAfter);
    });
  });
});
