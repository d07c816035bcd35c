/**
 * The proving pool against the committed `query` release: proofs made in worker threads verify;
 * a record that does not meet its query fails before any worker is used; a full queue, a job past
 * its time limit and a worker that crashes or throws each fail only their own job, with a stable
 * code, and the pool keeps proving; closing drains or drops queued work and lets the process exit.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossproofError, type ErrorCode } from "../../core/errors.js";
import type { ProofBundle } from "../../core/proof.js";
import { Op, type Predicate } from "../../core/query.js";
import { type CircuitRelease, loadCircuitRelease } from "../../infra/artifacts.js";
import { PROJECT_ROOT } from "../../infra/paths.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import {
  FAULT_INJECTION,
  type JobOutcome,
  ProverPool,
  type ProverPoolOptions,
  type ProverPoolStats,
} from "../../prover/pool.js";
import { FAULT_EXIT_CODE } from "../../prover/prove-worker.js";
import type { QueryWitness } from "../../prover/query-input.js";
import { verifyProof } from "../../support/verify-proof.js";
import { commit, queryWitness, SLOT } from "../helpers/fixtures.js";

const GOOD_SCORE: Predicate = { op: Op.GTE, i: SLOT.creditScore, j: 0, a: 650n, b: 0n };
const CHALLENGE_INDEX = 10; // [disclosed[0..7], root, schemaId, challenge, queryHash]

/** A witness for the good report with a challenge of its own, so each proof is distinct. */
function witness(challenge: bigint, predicates: readonly Predicate[] = [GOOD_SCORE]) {
  return queryWitness(commit(), predicates, challenge);
}

/** The error code a promise rejects with (fails the test if it resolves). */
async function codeOf(promise: Promise<unknown>): Promise<ErrorCode> {
  const err = await promise.then(
    () => expect.fail("expected a CrossproofError"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CrossproofError);
  return (err as CrossproofError).code;
}

let release: CircuitRelease;
const pools: ProverPool[] = [];

/** A pool on the committed release, closed after the file even if a test fails. */
async function startPool(options: Omit<ProverPoolOptions, "release" | "circuit">) {
  const pool = await ProverPool.start({ ...options, release });
  pools.push(pool);
  return pool;
}

async function expectVerified(bundle: ProofBundle, w: QueryWitness): Promise<void> {
  expect(await verifyProof(release, bundle)).toBe(true);
  expect(bundle.publicSignals[CHALLENGE_INDEX]).toBe(w.challenge.toString());
}

beforeAll(async () => {
  release = await loadCircuitRelease("query");
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await releaseSnarkjsCurve();
});

describe("ProverPool: one warm pool serving a run of jobs", () => {
  // These tests share a 2-worker pool and run in order, each comparing stats before and after:
  // workers start once, and the failure test finds its workers warm, so the job past its time
  // limit is abandoned mid-proof.
  let pool: ProverPool;
  const outcomes: JobOutcome[] = [];
  beforeAll(async () => {
    pool = await startPool({
      workers: 2,
      onJob: (_ms, outcome) => outcomes.push(outcome),
      [FAULT_INJECTION]: true,
    });
  });

  /** Stats and onJob outcomes since `before`. */
  function since(before: ProverPoolStats, outcomesBefore: number) {
    const now = pool.stats;
    return {
      completed: now.completed - before.completed,
      failed: now.failed - before.failed,
      queued: now.queued,
      running: now.running,
      workers: now.workers,
      outcomes: outcomes.slice(outcomesBefore),
    };
  }

  it("makes several proofs at once in its workers, and every one verifies", async () => {
    const [before, seen] = [pool.stats, outcomes.length];
    const witnesses = [witness(1n), witness(2n), witness(3n, [{ ...GOOD_SCORE, a: 700n }])];
    const bundles = await Promise.all(witnesses.map((w) => pool.prove(w)));
    for (const [i, bundle] of bundles.entries()) {
      await expectVerified(bundle, witnesses[i] as QueryWitness);
    }
    expect(since(before, seen)).toEqual({
      completed: 3,
      failed: 0,
      queued: 0,
      running: 0,
      workers: 2,
      outcomes: ["proved", "proved", "proved"],
    });
  });

  it("refuses a record that does not meet its query at once, without using a worker", async () => {
    const [before, seen] = [pool.stats, outcomes.length];
    const unmet = witness(4n, [{ ...GOOD_SCORE, a: 800n }]);
    await expect(codeOf(pool.prove(unmet))).resolves.toBe("PREDICATE_UNSATISFIED");
    const tampered = { ...witness(4n), salt: witness(4n).salt + 1n };
    await expect(codeOf(pool.prove(tampered))).resolves.toBe("RECORD_NOT_IN_TREE");
    expect(since(before, seen)).toMatchObject({ completed: 0, failed: 0, outcomes: [] });
  });

  it("fails only the job that times out (PROVE_TIMEOUT) or whose worker crashes or throws (PROVER_FAILED), then proves on all its workers again", async () => {
    const [before, seen] = [pool.stats, outcomes.length];
    const started = performance.now();
    await expect(codeOf(pool.prove(witness(5n), { timeoutMs: 20 }))).resolves.toBe("PROVE_TIMEOUT");
    // Abandoned at the limit, mid-proof, not when the proof (seconds here) would have ended.
    expect(performance.now() - started).toBeLessThan(1000);

    const crash = await pool.proveWithFault(witness(6n), "exit").catch((e: unknown) => e);
    expect(crash).toMatchObject({ code: "PROVER_FAILED" });
    expect(String((crash as CrossproofError).cause)).toContain(
      `worker exited with code: ${FAULT_EXIT_CODE}`,
    );
    const thrown = await pool.proveWithFault(witness(7n), "throw").catch((e: unknown) => e);
    expect(thrown).toMatchObject({ code: "PROVER_FAILED" });
    expect(String((thrown as CrossproofError).cause)).toContain("asked to fail");

    // Two jobs at once, so both workers prove: at least one of them replaced a failed worker.
    const later = [witness(8n), witness(9n)];
    const bundles = await Promise.all(later.map((w) => pool.prove(w)));
    for (const [i, bundle] of bundles.entries()) {
      await expectVerified(bundle, later[i] as QueryWitness);
    }
    expect(since(before, seen)).toEqual({
      completed: 2,
      failed: 3,
      queued: 0,
      running: 0,
      workers: 2,
      outcomes: ["timeout", "failed", "failed", "proved", "proved"],
    });
  });
});

describe.concurrent("ProverPool: limits and shutdown, one pool per test", () => {
  it("rejects jobs beyond its queue with QUEUE_FULL at once, and proves the ones it took", async () => {
    const pool = await startPool({ workers: 1, maxQueue: 1 });
    const settled: string[] = [];
    const jobs = [1n, 2n, 3n, 4n].map((c) =>
      pool.prove(witness(c)).then(
        (bundle) => {
          settled.push(`proof ${c}`);
          return bundle;
        },
        (err: unknown) => {
          settled.push(`error ${c}`);
          throw err;
        },
      ),
    );
    // One job on the worker, one waiting: the other two are refused before anything is proved.
    expect(pool.stats).toMatchObject({ queued: 1, running: 1 });
    await expect(codeOf(jobs[2] as Promise<ProofBundle>)).resolves.toBe("QUEUE_FULL");
    await expect(codeOf(jobs[3] as Promise<ProofBundle>)).resolves.toBe("QUEUE_FULL");
    expect(settled).toEqual(["error 3", "error 4"]);
    await expectVerified(await (jobs[0] as Promise<ProofBundle>), witness(1n));
    await expectVerified(await (jobs[1] as Promise<ProofBundle>), witness(2n));
    expect(pool.stats).toMatchObject({ queued: 0, running: 0, completed: 2, failed: 0 });
  });

  it("admits a group of proofs as one request whatever its size, takes turns between requests, and refuses a group only when the queue is full", async () => {
    const pool = await startPool({ workers: 1, maxQueue: 1 });
    const order: string[] = [];
    const tag = (label: string) => (p: Promise<unknown>) => p.then(() => order.push(label));
    // Five proofs and one unmet witness in one request: one proof on the worker, four waiting,
    // all in one place of the queue; the unmet one fails on its own, at once.
    const unmet = witness(9n, [{ ...GOOD_SCORE, a: 800n }]);
    const group = pool.proveAll(
      [1n, 2n, unmet, 3n, 4n, 5n].map((c) => (typeof c === "bigint" ? witness(c) : c)),
    );
    expect(pool.stats).toMatchObject({ queued: 4, queuedRequests: 1, running: 1 });
    // The queue holds one request: another is refused whole, single or group.
    await expect(codeOf(pool.prove(witness(6n)))).resolves.toBe("QUEUE_FULL");
    await expect(pool.proveAll([witness(7n), witness(8n)])).rejects.toMatchObject({
      code: "QUEUE_FULL",
    });
    const results = await group;
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
      "fulfilled",
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({
      code: "PREDICATE_UNSATISFIED",
    });
    for (const [i, c] of [1n, 2n, 3n, 4n, 5n].entries()) {
      const r = results[i < 2 ? i : i + 1] as PromiseFulfilledResult<ProofBundle>;
      await expectVerified(r.value, witness(c));
    }
    // Round robin: a single proof sent while a group waits goes before the group's rest.
    const big = await startPool({ workers: 1, maxQueue: 2 });
    const first = big.proveAll([10n, 11n, 12n].map((c) => witness(c)));
    const single = tag("single")(big.prove(witness(13n)));
    const settledGroup = first.then((rs) => {
      order.push("group");
      return rs;
    });
    await Promise.all([single, settledGroup]);
    expect(order).toEqual(["single", "group"]);
  });

  it("only injects faults in a pool started for it", async () => {
    const pool = await startPool({ workers: 1 });
    await expect(pool.proveWithFault(witness(1n), "exit")).rejects.toThrow(/fault injection/);
    await pool.close();
    expect(pool.stats).toEqual({
      queued: 0,
      queuedRequests: 0,
      running: 0,
      completed: 0,
      failed: 0,
      workers: 0,
    });
  });

  it("never proves with a release file replaced after the release was loaded", async () => {
    const root = await mkdtemp(join(tmpdir(), "crossproof-pool-"));
    try {
      await cp(release.paths.dir, join(root, "query"), { recursive: true });
      const copy = await loadCircuitRelease("query", root);
      const pool = await ProverPool.start({ release: copy, workers: 1 });
      pools.push(pool);
      await writeFile(copy.paths.wasm, "not the witness program");
      const failure = await pool.prove(witness(1n)).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: "PROVER_FAILED" });
      expect(String((failure as CrossproofError).cause)).toContain(
        "changed since its release was loaded",
      );
      await pool.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("proves its queued jobs before closing when asked to drain, then takes no more", async () => {
    const pool = await startPool({ workers: 1 });
    const jobs = [pool.prove(witness(1n)), pool.prove(witness(2n))];
    expect(pool.stats).toMatchObject({ queued: 1, running: 1 });
    await pool.close({ drain: true });
    expect(pool.stats).toEqual({
      queued: 0,
      queuedRequests: 0,
      running: 0,
      completed: 2,
      failed: 0,
      workers: 0,
    });
    await expectVerified(await (jobs[0] as Promise<ProofBundle>), witness(1n));
    await expectVerified(await (jobs[1] as Promise<ProofBundle>), witness(2n));
    await expect(codeOf(pool.prove(witness(3n)))).resolves.toBe("POOL_CLOSED");
  });

  it("rejects its queued jobs with POOL_CLOSED when closed without draining", async () => {
    const outcomes: JobOutcome[] = [];
    const pool = await startPool({ workers: 1, onJob: (_ms, outcome) => outcomes.push(outcome) });
    const running = pool.prove(witness(1n));
    const queued = [pool.prove(witness(2n)), pool.prove(witness(3n))];
    const closing = pool.close();
    for (const job of queued) await expect(codeOf(job)).resolves.toBe("POOL_CLOSED");
    // The job already on a worker still ends with its proof.
    await expectVerified(await running, witness(1n));
    await closing;
    expect(pool.stats).toEqual({
      queued: 0,
      queuedRequests: 0,
      running: 0,
      completed: 1,
      failed: 2,
      workers: 0,
    });
    expect(outcomes).toEqual(["closed", "closed", "proved"]);
  });

  it("works from plain node as cli/bin.js runs it, and lets the process exit once closed", async () => {
    const script = join(PROJECT_ROOT, "test", "prover", "workers", "pool-smoke.js");
    // No process.exit in the script: if a thread or handle lingered, the timeout would kill it.
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: PROJECT_ROOT,
      timeout: 60_000,
    });
    const { bundle, stats } = JSON.parse(stdout) as { bundle: ProofBundle; stats: unknown };
    await expectVerified(bundle, witness(9n));
    expect(stats).toEqual({
      queued: 0,
      queuedRequests: 0,
      running: 0,
      completed: 1,
      failed: 0,
      workers: 0,
    });
  });
});
