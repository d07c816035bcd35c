/**
 * Suite `crash-restart`: `crossproof start` run as a child process on a temporary data folder,
 * loaded with genuine presentations (made first by its prover, then verified many at once) and
 * SIGKILLed mid-load, then restarted on the same folder. It shows that the restart succeeds
 * with its chain node (the killed process's anvil died with it), that no consumed challenge
 * becomes usable again, that each presentation in flight at the kill was decided at most once,
 * and that the audit log (receipts) is intact: SQLite's integrity check, one deciding receipt
 * per consumed challenge and no deciding receipt without its consumed challenge, receipts read
 * before the kill unchanged, and no record data in the services' log.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import {
  ApiError,
  type Challenge,
  type Presentation,
  ProverClient,
  type ReceiptView,
  subjectHash,
  VerifierClient,
} from "../client/index.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { verifierPaths } from "../infra/paths.js";
import { processExists } from "../infra/processes.js";
import { scanLog } from "../support/log-scan.js";
import { type ServiceProcess, startServiceProcess } from "../support/start-process.js";
import { SuiteRecorder, type SuiteReport } from "./report.js";

/** Options of {@link runCrashRestart}. */
export interface CrashRestartOptions {
  /** Kill/restart cycles. */
  readonly cycles: number;
  /** Presentations verified one by one before each load (their receipts are read then). */
  readonly answeredFirst: number;
  /** Presentations sent at once in each load, during which the process is killed. */
  readonly load: number;
  /** Synthetic records the issuer imports on first start. */
  readonly records: number;
  /** Longest a start or restart may take, until `/readyz` answers 200. */
  readonly startTimeoutMs: number;
}

/** The preset `npm test` runs: one kill mid-load and one restart. */
export const short: CrashRestartOptions = {
  cycles: 1,
  answeredFirst: 2,
  load: 12,
  records: 64,
  startTimeoutMs: 60_000,
};

/** The preset `npm run soak` runs: several kill/restart cycles under larger loads. */
export const long: CrashRestartOptions = {
  cycles: 3,
  answeredFirst: 4,
  load: 24,
  records: 200,
  startTimeoutMs: 60_000,
};

/** A running `crossproof start`, with clients that wait longer than the default. */
interface Running {
  readonly service: ServiceProcess;
  readonly client: VerifierClient;
  readonly prover: ProverClient;
  /** Milliseconds from the spawn to `/readyz` answering 200. */
  readonly startMs: number;
}

/** One presentation of the load and what became of it. */
interface Item {
  readonly challenge: Challenge;
  readonly presentation: Presentation;
}

/** Starts `crossproof start` on `dataDir`; resolves once `/readyz` answers 200. */
async function startProcess(
  dataDir: string,
  logPath: string,
  options: CrashRestartOptions,
): Promise<Running> {
  const started = performance.now();
  const service = await startServiceProcess({
    dataDir,
    records: options.records,
    seed: 7,
    timeoutMs: options.startTimeoutMs,
    env: { CROSSPROOF_RATE_LIMIT: "0", CROSSPROOF_LOG_FILE: logPath },
  });
  try {
    const client = new VerifierClient({
      url: service.verifierUrl,
      apiKey: service.clientKey,
      timeoutMs: 30_000,
    });
    const deadline = started + options.startTimeoutMs;
    while (!(await client.ready()).ready) {
      if (performance.now() > deadline) throw new Error("/readyz did not answer 200 in time");
      await delay(100);
    }
    return {
      service,
      client,
      prover: new ProverClient({ url: service.proverUrl, timeoutMs: 60_000 }),
      startMs: Math.round(performance.now() - started),
    };
  } catch (e) {
    await service.kill();
    throw e;
  }
}

/** The pids of the children of `pid` whose command line names anvil. */
async function anvilChildren(pid: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)("ps", ["-eo", "pid=,ppid=,args="]);
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, args]) => Number(ppid) === pid && /anvil/.test(args ?? ""))
    .map(([p]) => Number(p));
}

const reasonCodes = (v: { reasons: readonly { code: string }[] }): string =>
  v.reasons.map((r) => r.code).join(",");

/** Runs `tasks` with at most `limit` at a time; results in order. */
async function pooled<T>(count: number, limit: number, task: (i: number) => Promise<T>) {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}

/** What the cycles saw: the problems the checks name, and the figures. */
class Evidence {
  readonly answeredNotVerified: string[] = [];
  readonly replayedAfterRestart: string[] = [];
  readonly inFlightTwice: string[] = [];
  readonly receiptsChanged: string[] = [];
  readonly anvilLeft: string[] = [];
  readonly restart: string[] = [];
  readonly restartMs: number[] = [];
  readonly allChallenges: string[] = [];
  presentations = 0;
  answeredBeforeKill = 0;
  inFlightAtKill = 0;
  consumedWithoutAnswer = 0;
  reverifiedAfterRestart = 0;
  receiptsReadBeforeKill = 0;
}

/** `count` presentations of the eligible applicant's record, two proved at a time. */
async function presentations(current: Running, count: number): Promise<Item[]> {
  const { applicants } = current.service;
  const hash = subjectHash("credit-report-v1", "subjectId", applicants.eligible.subjectId);
  return pooled(count, 2, async (): Promise<Item> => {
    const challenge = await current.client.issueChallenge(SAMPLE_POLICY_ID, hash);
    const presentation = await current.prover.present(applicants.eligible.recordId, challenge);
    return { challenge, presentation };
  });
}

/** Verifies `first` one by one before the load; their receipts are read and kept. */
async function verifyFirst(
  current: Running,
  first: readonly Item[],
  answered: Set<Item>,
  seen: Evidence,
): Promise<Map<string, ReceiptView>> {
  const receiptsBefore = new Map<string, ReceiptView>();
  for (const item of first) {
    const verdict = await current.client.verify(SAMPLE_POLICY_ID, item.presentation);
    answered.add(item);
    if (!verdict.verified) seen.answeredNotVerified.push(reasonCodes(verdict));
    receiptsBefore.set(verdict.receiptId, await current.client.receipt(verdict.receiptId));
  }
  return receiptsBefore;
}

/**
 * The load, all at once; the process is SIGKILLed once `killAfter` answers arrived. Adds the
 * items answered before the kill to `answered`; returns the ones in flight at the kill.
 */
async function loadThenKill(
  current: Running,
  load: readonly Item[],
  killAfter: number,
  answered: Set<Item>,
  seen: Evidence,
): Promise<Item[]> {
  let received = 0;
  let killed = false;
  let kill: () => void = () => undefined;
  const killedNow = new Promise<void>((resolve) => {
    kill = resolve;
  });
  const requests = load.map(async (item) => {
    try {
      const verdict = await current.client.verify(SAMPLE_POLICY_ID, item.presentation);
      if (!killed) {
        answered.add(item);
        if (!verdict.verified) seen.answeredNotVerified.push(reasonCodes(verdict));
      }
      if (++received >= killAfter) kill();
    } catch (err) {
      if (err instanceof ApiError && !killed) {
        answered.add(item);
        seen.answeredNotVerified.push(`${err.status} ${err.code}`);
      }
    }
  });
  await Promise.race([killedNow, delay(20_000)]);
  killed = true;
  await current.service.kill();
  await Promise.all(requests);
  return load.filter((item) => !answered.has(item));
}

/** The killed process's chain node died with it (any left is killed and named). */
async function reapAnvils(anvils: readonly number[], cycle: number, seen: Evidence): Promise<void> {
  for (let i = 0; i < 100 && anvils.some(processExists); i++) await delay(20);
  for (const pid of anvils.filter(processExists)) {
    seen.anvilLeft.push(`cycle ${cycle}: anvil ${pid}`);
    process.kill(pid, "SIGKILL");
  }
  if (anvils.length === 0) seen.anvilLeft.push(`cycle ${cycle}: no anvil child found`);
}

/** Answered before the kill: consumed for good. */
async function checkAnswered(after: VerifierClient, answered: Set<Item>, seen: Evidence) {
  for (const item of answered) {
    const again = await after.verify(SAMPLE_POLICY_ID, item.presentation);
    if (again.verified || reasonCodes(again) !== "CHALLENGE_CONSUMED") {
      seen.replayedAfterRestart.push(
        `${item.challenge.challengeId}: ${reasonCodes(again) || "verified"}`,
      );
    }
  }
}

/** In flight at the kill: consumed with its receipt, or verifies now, exactly once. */
async function checkInFlight(after: VerifierClient, inFlight: readonly Item[], seen: Evidence) {
  for (const item of inFlight) {
    const id = item.challenge.challengeId;
    const state = await after.challenge(id);
    if (state.consumedAt) {
      seen.consumedWithoutAnswer++;
      const receipt = state.receiptId ? await after.receipt(state.receiptId) : undefined;
      if (!receipt?.verified || receipt.challengeId !== id) {
        seen.inFlightTwice.push(`${id}: consumed without its verified receipt`);
      }
      const again = await after.verify(SAMPLE_POLICY_ID, item.presentation);
      if (reasonCodes(again) !== "CHALLENGE_CONSUMED")
        seen.inFlightTwice.push(`${id}: consumed, then ${reasonCodes(again) || "verified"}`);
    } else {
      const now = await after.verify(SAMPLE_POLICY_ID, item.presentation);
      if (now.verified) seen.reverifiedAfterRestart++;
      else seen.inFlightTwice.push(`${id}: not consumed, then ${reasonCodes(now)}`);
      const again = await after.verify(SAMPLE_POLICY_ID, item.presentation);
      if (reasonCodes(again) !== "CHALLENGE_CONSUMED")
        seen.inFlightTwice.push(`${id}: verified twice`);
    }
  }
}

/**
 * One cycle: presentations, some verified first, the load and the SIGKILL (the first answer in
 * the first cycle, a quarter of the load more in each later one), the restart on the same folder,
 * and the checks after it. Returns the restarted process, or undefined if it did not start.
 */
async function crashCycle(
  current: Running,
  dataDir: string,
  logPath: string,
  options: CrashRestartOptions,
  cycle: number,
  seen: Evidence,
): Promise<Running | undefined> {
  // The presentations first (the prover is in the same process), then the load.
  const items = await presentations(current, options.answeredFirst + options.load);
  seen.presentations += items.length;
  seen.allChallenges.push(...items.map((i) => i.challenge.challengeId));
  const load = items.slice(options.answeredFirst);
  const answered = new Set<Item>();
  const receiptsBefore = await verifyFirst(
    current,
    items.slice(0, options.answeredFirst),
    answered,
    seen,
  );
  const anvils = await anvilChildren(current.service.pid);
  const killAfter = 1 + cycle * Math.floor(load.length / 4);
  const inFlight = await loadThenKill(current, load, killAfter, answered, seen);
  seen.answeredBeforeKill += answered.size;
  seen.inFlightAtKill += inFlight.length;
  seen.receiptsReadBeforeKill += receiptsBefore.size;
  await reapAnvils(anvils, cycle, seen);

  let running: Running;
  try {
    running = await startProcess(dataDir, logPath, options);
  } catch (err) {
    seen.restart.push(`cycle ${cycle}: ${(err as Error).message}`);
    return undefined;
  }
  seen.restartMs.push(running.startMs);
  await checkAnswered(running.client, answered, seen);
  await checkInFlight(running.client, inFlight, seen);
  // Receipts read before the kill are still there, unchanged.
  for (const [id, before] of receiptsBefore) {
    const now = await running.client.receipt(id).catch((e: unknown) => e);
    if (JSON.stringify(now) !== JSON.stringify(before)) seen.receiptsChanged.push(id);
  }
  return running;
}

/** The suite's checks and figures: what the cycles saw, the database audit and the log. */
async function record(
  rec: SuiteRecorder,
  seen: Evidence,
  dataDir: string,
  logPath: string,
  options: CrashRestartOptions,
): Promise<void> {
  rec.check(
    "every restart succeeds on the same folder and /readyz answers 200",
    seen.restart.length === 0 && seen.restartMs.length === options.cycles,
    seen.restart.join("; "),
  );
  rec.checkNone("the killed process's chain node (anvil) dies with it", seen.anvilLeft);
  rec.checkNone(
    "every genuine presentation answered before the kill was verified",
    seen.answeredNotVerified,
  );
  rec.checkNone(
    "every presentation answered before the kill is refused CHALLENGE_CONSUMED after the restart",
    seen.replayedAfterRestart,
  );
  rec.checkNone(
    "each presentation in flight at the kill was consumed with its receipt or verifies now, never twice",
    seen.inFlightTwice,
  );
  rec.checkNone(
    "receipts read before the kill are unchanged after the restart",
    seen.receiptsChanged,
  );
  const audit = auditDatabase(verifierPaths(dataDir).database, seen.allChallenges);
  rec.check(
    "PRAGMA integrity_check of the verifier database is ok",
    audit.integrity === "ok",
    audit.integrity,
  );
  rec.checkNone(
    "every consumed challenge has exactly one deciding receipt, the one it names",
    audit.consumedWithoutReceipt,
  );
  rec.checkNone(
    "every deciding receipt's challenge is consumed and names it",
    audit.receiptWithoutConsumed,
  );
  rec.checkNone(
    "every challenge of the run ends consumed (each presentation decided once)",
    audit.unconsumed,
  );
  const leaks = scanLog(await readFile(logPath, "utf8").catch(() => ""));
  rec.checkNone("the services' log holds no record data", leaks);
  rec.figure("cycles", options.cycles);
  rec.figure("presentations", seen.presentations);
  rec.figure("answeredBeforeKill", seen.answeredBeforeKill);
  rec.figure("inFlightAtKill", seen.inFlightAtKill);
  rec.figure("consumedWithoutAnswer", seen.consumedWithoutAnswer);
  rec.figure("reverifiedAfterRestart", seen.reverifiedAfterRestart);
  rec.figure("receiptsReadBeforeKill", seen.receiptsReadBeforeKill);
  rec.figure("receiptsAudited", audit.receipts);
  rec.figure("consumedChallengesAudited", audit.consumed);
  const restartMs = seen.restartMs;
  rec.figure("restartMsMax", restartMs.length ? Math.max(...restartMs) : 0);
  rec.figure(
    "restartMsMean",
    restartMs.length ? Math.round(restartMs.reduce((a, b) => a + b, 0) / restartMs.length) : 0,
  );
}

/** Runs the suite (see the file header) and returns its report. */
export async function runCrashRestart(options: CrashRestartOptions): Promise<SuiteReport> {
  const rec = new SuiteRecorder("crash-restart");
  const dataDir = await mkdtemp(join(tmpdir(), "crossproof-crash-restart-"));
  const logPath = join(dataDir, "services.log");
  const started: ServiceProcess[] = [];
  const seen = new Evidence();
  try {
    let running = await startProcess(dataDir, logPath, options);
    started.push(running.service);
    rec.figure("firstStartMs", running.startMs);
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const next = await crashCycle(running, dataDir, logPath, options, cycle, seen);
      if (!next) break;
      started.push(next.service);
      running = next;
    }
    const code = await running.service.stop();
    rec.check("the last process stops on SIGTERM with exit code 0", code === 0, `exit ${code}`);
  } finally {
    for (const service of started) await service.kill();
  }
  try {
    await record(rec, seen, dataDir, logPath, options);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return rec.report();
}

/** Step 1–2 refusals: they decide nothing and consume nothing (`verifier/verifier.ts`). */
const NOT_DECIDING = new Set([
  "CHALLENGE_CONSUMED",
  "CHALLENGE_EXPIRED",
  "CHALLENGE_UNKNOWN",
  "CHALLENGE_POLICY_MISMATCH",
  "MALFORMED",
]);

/** Reads the verifier's database read-only (after the last process stopped) and audits it. */
function auditDatabase(path: string, challengeIds: readonly string[]) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.pragma("integrity_check", { simple: true }) as string) ?? "";
    const challenges = db.prepare("SELECT id, consumed_at, receipt_id FROM challenges").all() as {
      id: string;
      consumed_at: number | null;
      receipt_id: string | null;
    }[];
    const receipts = db
      .prepare("SELECT id, challenge_id, verified, reasons FROM receipts")
      .all() as { id: string; challenge_id: string | null; verified: number; reasons: string }[];
    const deciding = receipts.filter((r) => {
      if (r.challenge_id === null) return false;
      const codes = JSON.parse(r.reasons) as string[];
      return r.verified === 1 || codes.length === 0 || codes.some((c) => !NOT_DECIDING.has(c));
    });
    const byChallenge = new Map<string, string[]>();
    for (const r of deciding) {
      const list = byChallenge.get(r.challenge_id as string) ?? [];
      list.push(r.id);
      byChallenge.set(r.challenge_id as string, list);
    }
    const state = new Map(challenges.map((c) => [c.id, c]));
    const consumedWithoutReceipt: string[] = [];
    for (const c of challenges) {
      if (c.consumed_at === null) continue;
      const decided = byChallenge.get(c.id) ?? [];
      if (decided.length !== 1 || decided[0] !== c.receipt_id) {
        consumedWithoutReceipt.push(`${c.id}: ${decided.length} deciding receipts`);
      }
    }
    const receiptWithoutConsumed = deciding
      .filter((r) => {
        const c = state.get(r.challenge_id as string);
        return !c || c.consumed_at === null || c.receipt_id !== r.id;
      })
      .map((r) => r.id);
    const unconsumed = challengeIds.filter((id) => state.get(id)?.consumed_at == null);
    return {
      integrity,
      receipts: receipts.length,
      consumed: challenges.filter((c) => c.consumed_at !== null).length,
      consumedWithoutReceipt,
      receiptWithoutConsumed,
      unconsumed,
    };
  } finally {
    db.close();
  }
}
