/**
 * Prover faults (issue 7, item 4): a proving worker that dies halfway through a proof, under a
 * load of concurrent presentation requests over the prover service's HTTP API.
 *
 * The prover service runs here on a fault-injecting pool (`FAULT_INJECTION`, test-only: the
 * backend below, not the service, decides which job fails), beside the stack `npm start` runs.
 * Each round sends several requests at once, some on the workers and some queued; one of them
 * (chosen by its challenge) has its worker end mid-proof, by `process.exit` or by an uncaught
 * error, alternately. Checks: exactly that request fails, 500 `PROVER_FAILED` without
 * internals; every other one gets a presentation that the verifier verifies; the pool is back
 * to its size; and after all rounds the process has no more threads than before.
 */
import { readFile } from "node:fs/promises";
import { type Challenge, subjectHash, type VerifierClient } from "../client/index.js";
import { ErrorCode } from "../core/errors.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { createLogger } from "../infra/log.js";
import { FAULT_INJECTION, ProverPool } from "../prover/pool.js";
import type { WorkerFault } from "../prover/prove-worker.js";
import { listen, type RunningService } from "../server/http.js";
import { createProverApp, ProverMetrics, poolBackend } from "../server/prover-service.js";
import { type ApiStack, startApiStack } from "./api-stack.js";
import { SuiteRecorder, type SuiteReport } from "./report.js";

/** Options of {@link runProverFaults}. */
export interface ProverFaultsOptions {
  /** Proving workers of the faulty pool. */
  readonly workers: number;
  /** Rounds; each has one crash. */
  readonly rounds: number;
  /** Requests sent at once per round (more than `workers`, so some wait in the queue). */
  readonly perRound: number;
}

/** What `npm test` runs: 3 crashes among 12 jobs. */
export const short: ProverFaultsOptions = { workers: 2, rounds: 3, perRound: 4 };

/** What `npm run soak` runs: 8 crashes among 48 jobs. */
export const long: ProverFaultsOptions = { workers: 2, rounds: 8, perRound: 6 };

/** In turn, so the short preset has two uncaught errors (the second one used to leak a thread). */
const FAULTS: readonly WorkerFault[] = ["uncaught-mid-proof", "exit-mid-proof"];

/** MessagePorts open in this thread (each pool worker has one while it lives). */
const openPorts = () => process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length;

/** What the cause of each fault's failure says (the worker really ended). */
const CAUSE: Record<string, RegExp> = {
  "exit-mid-proof": /exited with code: 70/,
  "uncaught-mid-proof": /failed mid-proof, uncaught/,
};

/**
 * Threads Node may start on its own over a run (seen: +2 once, not growing with crashes); a
 * thread kept per crashed worker would exceed it after three crashes.
 */
const THREAD_MARGIN = 2;

/** Threads of this process, from the kernel (Linux); undefined elsewhere. */
async function threadCount(): Promise<number | undefined> {
  try {
    const status = await readFile("/proc/self/status", "utf8");
    const match = /^Threads:\s+(\d+)$/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** One answer of the faulty prover service. */
interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly ms: number;
}

/**
 * The prover service on a fault-injecting pool: the real app and pool, with a backend that asks
 * for a fault on the jobs of the challenges in `doomed`, and records what each fault's failure
 * said (`causes`).
 */
interface FaultyProver {
  readonly pool: ProverPool;
  readonly http: RunningService;
  readonly doomed: Map<string, WorkerFault>;
  readonly causes: { fault: WorkerFault; cause: string; afterMs: number }[];
  /** MessagePorts open before the pool started. */
  readonly portsBefore: number;
  /** A presentation of the eligible applicant's record for `challenge`. */
  present(challenge: Challenge): Promise<Answer>;
}

async function startFaultyProver(api: ApiStack, workers: number): Promise<FaultyProver> {
  const running = api.stack;
  // The faulty service logs where the stack does, so the suite's log holds both.
  const logger = createLogger("crossproof", { CROSSPROOF_LOG_FILE: api.logPath });
  const metrics = new ProverMetrics();
  const portsBefore = openPorts();
  const pool = await ProverPool.start({
    workers,
    onJob: metrics.observeJob,
    [FAULT_INJECTION]: true,
  });
  const doomed = new Map<string, WorkerFault>();
  const causes: FaultyProver["causes"] = [];
  const base = poolBackend(pool);
  const backend = {
    ...base,
    get stats() {
      return pool.stats;
    },
    prove: (witness: Parameters<typeof base.prove>[0]) => {
      const fault = doomed.get(witness.challenge.toString());
      if (fault === undefined) return pool.prove(witness);
      const started = performance.now();
      return pool.proveWithFault(witness, fault).catch((err: unknown) => {
        causes.push({
          fault,
          cause: String((err as { cause?: unknown }).cause),
          afterMs: performance.now() - started,
        });
        throw err;
      });
    },
  };
  const http = await listen(createProverApp({ vault: running.vault, backend, metrics, logger }), {
    host: "127.0.0.1",
    port: 0,
    requestTimeoutMs: 120_000,
  });
  const present = async (challenge: Challenge): Promise<Answer> => {
    const started = performance.now();
    const response = await fetch(`${http.url}/v1/presentations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ recordId: running.applicants.eligible.recordId, challenge }),
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
      ms: performance.now() - started,
    };
  };
  return { pool, http, doomed, causes, portsBefore, present };
}

/** What the fault rounds counted. */
class RoundTally {
  jobs = 0;
  failed = 0;
  succeeded = 0;
  verified = 0;
  replaced = 0;
  readonly wrong: string[] = [];
  readonly proofMs: number[] = [];
}

/** Whether the crashed job's answer is the clean one: 500 PROVER_FAILED, no internals. */
function crashedCleanly(answer: Answer): boolean {
  const error = answer.body.error as
    | { code?: string; message?: string; details?: unknown }
    | undefined;
  return (
    answer.status === 500 &&
    error?.code === ErrorCode.PROVER_FAILED &&
    error.message === "a proving worker failed" &&
    JSON.stringify(error.details) === "{}"
  );
}

/**
 * One round: `perRound` requests at once, the second of which (on a worker at once, beside the
 * first, with the rest queued) has its worker die mid-proof; every other presentation verifies,
 * and the pool is back to its size.
 */
async function faultRound(
  prover: FaultyProver,
  verifier: VerifierClient,
  subject: bigint,
  options: ProverFaultsOptions,
  round: number,
  tally: RoundTally,
): Promise<void> {
  const before = prover.pool.stats;
  const challenges = await Promise.all(
    Array.from({ length: options.perRound }, () =>
      verifier.issueChallenge(SAMPLE_POLICY_ID, subject),
    ),
  );
  const fault = FAULTS[round % FAULTS.length] as WorkerFault;
  const victim = challenges[1] as Challenge;
  prover.doomed.set(victim.nonce, fault);
  const answers = await Promise.all(challenges.map((c) => prover.present(c)));
  tally.jobs += answers.length;
  for (const [i, answer] of answers.entries()) {
    if (challenges[i] === victim) {
      if (crashedCleanly(answer)) tally.failed++;
      else
        tally.wrong.push(
          `round ${round}: the crashed job answered ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
        );
      continue;
    }
    if (answer.status !== 200) {
      tally.wrong.push(
        `round ${round}: job ${i} answered ${answer.status} ${JSON.stringify(answer.body.error)}`,
      );
      continue;
    }
    tally.succeeded++;
    tally.proofMs.push(answer.ms);
    const verdict = await verifier.verify(SAMPLE_POLICY_ID, answer.body);
    if (verdict.verified) tally.verified++;
    else
      tally.wrong.push(
        `round ${round}: job ${i} did not verify: ${verdict.reasons.map((r) => r.code).join()}`,
      );
  }
  if (await until(() => prover.pool.stats.workers === options.workers, 10_000)) tally.replaced++;
  const after = prover.pool.stats;
  if (
    after.failed - before.failed !== 1 ||
    after.completed - before.completed !== options.perRound - 1
  ) {
    tally.wrong.push(
      `round ${round}: the pool counted ${after.failed - before.failed} failed, ${after.completed - before.completed} completed`,
    );
  }
}

function checkRounds(
  rec: SuiteRecorder,
  prover: FaultyProver,
  tally: RoundTally,
  options: ProverFaultsOptions,
): void {
  const { causes } = prover;
  const cause = causes.filter((c) => CAUSE[c.fault]?.test(c.cause) === true);
  rec.check(
    "each crash was the worker ending mid-proof (exit code 70, or the uncaught error)",
    causes.length === options.rounds && cause.length === options.rounds,
    causes.map((c) => `${c.fault}: ${c.cause.slice(0, 120)}`).join("; "),
  );
  rec.checkNone(
    "only the crashed job fails, with 500 PROVER_FAILED and no internals; the others, running or queued, succeed",
    tally.wrong,
  );
  rec.check(
    "jobs failed = crashes injected",
    tally.failed === options.rounds,
    `${tally.failed} of ${options.rounds}`,
  );
  rec.check(
    "every presentation made verifies",
    tally.verified === tally.succeeded,
    `${tally.verified} of ${tally.succeeded}`,
  );
  rec.check(
    "the pool is back to its size after each crash",
    tally.replaced === options.rounds,
    `${tally.replaced} of ${options.rounds}`,
  );
}

/** Later jobs, after all crashes, on every worker: they succeed and verify; /healthz is full. */
async function checkAfterCrashes(
  rec: SuiteRecorder,
  prover: FaultyProver,
  verifier: VerifierClient,
  subject: bigint,
  workers: number,
): Promise<void> {
  const later = await Promise.all(
    Array.from({ length: workers }, async () => {
      const answer = await prover.present(await verifier.issueChallenge(SAMPLE_POLICY_ID, subject));
      return (
        answer.status === 200 && (await verifier.verify(SAMPLE_POLICY_ID, answer.body)).verified
      );
    }),
  );
  rec.check("later jobs succeed and verify", later.every(Boolean), later.join());
  const health = await fetch(`${prover.http.url}/healthz`);
  const healthBody = (await health.json()) as { pool?: { workers?: number } };
  rec.check(
    "/healthz shows the full pool",
    health.status === 200 && healthBody.pool?.workers === workers,
    JSON.stringify(healthBody),
  );
}

/** No thread kept by a crashed worker (Linux, from the kernel's count). */
async function checkThreads(
  rec: SuiteRecorder,
  prover: FaultyProver,
  workers: number,
  threadsBefore: number | undefined,
): Promise<void> {
  await until(
    () => prover.pool.stats.running === 0 && prover.pool.stats.workers === workers,
    5_000,
  );
  let threadsAfter = await threadCount();
  // A terminated thread leaves the kernel's list a moment after its Worker's exit event.
  for (
    let n = 0;
    n < 50 && threadsBefore !== undefined && (threadsAfter ?? 0) > threadsBefore + THREAD_MARGIN;
    n++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    threadsAfter = await threadCount();
  }
  if (threadsBefore === undefined || threadsAfter === undefined) return;
  rec.figure("threadsBefore", threadsBefore);
  rec.figure("threadsAfter", threadsAfter);
  rec.check(
    `no thread is left behind by a crashed worker (at most ${THREAD_MARGIN} more than before the crashes)`,
    threadsAfter <= threadsBefore + THREAD_MARGIN,
    `${threadsBefore} → ${threadsAfter}`,
  );
}

/** The median of some numbers (0 for none). */
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0);
};

/** Runs the prover fault rounds and reports what held. */
export async function runProverFaults(options: ProverFaultsOptions): Promise<SuiteReport> {
  const rec = new SuiteRecorder("prover-faults");
  let api: ApiStack | undefined;
  let prover: FaultyProver | undefined;
  try {
    api = await startApiStack({
      records: 40,
      env: { CROSSPROOF_VERIFY_WORKERS: "1", CROSSPROOF_PROVER_WORKERS: "1" },
    });
    const verifier = api.client;
    prover = await startFaultyProver(api, options.workers);
    const subject = subjectHash(
      "credit-report-v1",
      "subjectId",
      api.stack.applicants.eligible.subjectId,
    );

    // One round without faults first: it warms what the measurements should not count.
    const warmed = await prover.present(await verifier.issueChallenge(SAMPLE_POLICY_ID, subject));
    rec.check("a proof before any fault verifies", warmed.status === 200, String(warmed.status));
    const threadsBefore = await threadCount();
    const rssBefore = process.memoryUsage().rss;

    const tally = new RoundTally();
    for (let round = 0; round < options.rounds; round++) {
      await faultRound(prover, verifier, subject, options, round, tally);
    }
    checkRounds(rec, prover, tally, options);
    await checkAfterCrashes(rec, prover, verifier, subject, options.workers);
    await checkThreads(rec, prover, options.workers, threadsBefore);

    const { causes, portsBefore, http, pool } = prover;
    prover = undefined; // closed here, not again in finally
    await http.close();
    await pool.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const portsLeft = openPorts() - portsBefore;
    rec.figure("messagePortsLeftAfterClose", portsLeft);
    rec.check(
      "closing the pool leaves no MessagePort of a crashed worker open (the process can exit)",
      portsLeft <= 0,
      `${portsLeft} left`,
    );
    rec.figure(
      "rssGrowthMiB",
      Math.round(((process.memoryUsage().rss - rssBefore) / 2 ** 20) * 10) / 10,
    );
    rec.figure("jobs", tally.jobs);
    rec.figure("crashesInjected", options.rounds);
    rec.figure("jobsFailed", tally.failed);
    rec.figure("jobsSucceeded", tally.succeeded);
    rec.figure("workersReplaced", tally.replaced);
    rec.figure("presentationsVerified", tally.verified);
    rec.figure("presentationMsP50", median(tally.proofMs));
    rec.figure("crashAfterMsP50", median(causes.map((c) => c.afterMs)));
  } finally {
    await prover?.http.close();
    await prover?.pool.close();
    await api?.close();
  }
  return rec.report();
}
