/**
 * Storage faults (issue 7, item 4): the verifier's database locked by another connection, the
 * verifier's disk full, and the holder's vault on a full disk, on the stack `npm start` runs.
 *
 * - Locked: a second connection holds the write lock (`BEGIN IMMEDIATE`) past the store's lock
 *   wait. Challenge issuance and verification answer 503 `STORE_UNAVAILABLE` with Retry-After,
 *   nothing is consumed or written, readiness fails, `/healthz` still answers meanwhile; a lock
 *   shorter than the wait only delays the request; once released, the presentation verifies
 *   exactly once.
 * - Full: the verifier's folder is a small tmpfs, filled to ENOSPC (after a checkpoint empties
 *   the WAL, so a write must grow a file): the same answers, nothing half-written
 *   (`integrity_check`, every consumed challenge with its receipt), the service stays up, and
 *   after the filler is removed it all works again.
 * - Vault: an import and an anchoring on a full tmpfs fail with `VAULT_UNAVAILABLE` and leave
 *   the vault (records, leaf indices, roots) and the chain as they were; after freeing, both work.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type Challenge, type Presentation, ProverClient, subjectHash } from "../client/index.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { getSchema } from "../core/schema.js";
import { SAMPLE_POLICY_ID, type Stack, startStack } from "../deploy/local.js";
import { createLogger } from "../infra/log.js";
import { verifierPaths } from "../infra/paths.js";
import { anchorNewRecords } from "../issuer/anchor.js";
import { readImportFile } from "../issuer/import-file.js";
import { syntheticRecordRows } from "../issuer/synthetic.js";
import { Vault } from "../issuer/vault.js";
import { serviceConfigFromEnv } from "../server/config.js";
import { SuiteRecorder, type SuiteReport } from "./report.js";
import { mountTmpfs, type Tmpfs } from "./tmpfs.js";

/** Options of {@link runStorageFaults}. */
export interface StorageFaultsOptions {
  /** Synthetic records in the stack's vault. */
  readonly records: number;
  /** Rounds of each verifier fault (lock held, disk full). */
  readonly rounds: number;
  /** Rows per import of the vault scenario (three imports). */
  readonly vaultRows: number;
  /** How long a short lock is held: less than the store's lock wait, so requests only wait. */
  readonly shortLockMs: number;
}

/** What `npm test` runs. */
export const short: StorageFaultsOptions = {
  records: 40,
  rounds: 1,
  vaultRows: 10,
  shortLockMs: 300,
};

/** What `npm run soak` runs. */
export const long: StorageFaultsOptions = {
  records: 200,
  rounds: 5,
  vaultRows: 200,
  shortLockMs: 800,
};

const SCHEMA = "credit-report-v1";

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfter: string | null;
  readonly body: unknown;
  /** When the answer arrived (performance.now()). */
  readonly at: number;
}

const describe = (a: Answer) => `${a.status} ${a.code ?? ""}`.trim();
const refusedAsUnavailable = (a: Answer) =>
  a.status === 503 && a.code === ErrorCode.STORE_UNAVAILABLE && a.retryAfter !== null;
const isVerified = (a: Answer) => (a.body as { verified?: unknown }).verified === true;
const issuedOk = (a: Answer) => a.status === 201 || a.status === 200;

/**
 * The verifier of the running stack as the suite sees it: requests with the client's key
 * (counted: requests, STORE_UNAVAILABLE, other 5xx, verified), and read-only looks at its
 * database from outside the service.
 */
class VerifierProbe {
  readonly counts = { requests: 0, storeUnavailable: 0, fiveHundreds: 0, verified: 0 };

  private constructor(
    private readonly stack: Stack,
    private readonly clientKey: string,
    private readonly databasePath: string,
  ) {}

  static async of(stack: Stack, databasePath: string): Promise<VerifierProbe> {
    const clientKey = (await readFile(stack.clientKeyPath, "utf8")).trim();
    return new VerifierProbe(stack, clientKey, databasePath);
  }

  async call(method: string, path: string, body?: unknown): Promise<Answer> {
    this.counts.requests++;
    const response = await fetch(`${this.stack.verifier.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.clientKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    const code = (parsed as { error?: { code?: string } } | null)?.error?.code;
    if (code === ErrorCode.STORE_UNAVAILABLE) this.counts.storeUnavailable++;
    else if (response.status >= 500 && path !== "/readyz") this.counts.fiveHundreds++;
    if ((parsed as { verified?: unknown } | null)?.verified === true) this.counts.verified++;
    return {
      status: response.status,
      code,
      retryAfter: response.headers.get("retry-after"),
      body: parsed,
      at: performance.now(),
    };
  }

  issue(): Promise<Answer> {
    const subject = subjectHash(SCHEMA, "subjectId", this.stack.applicants.eligible.subjectId);
    return this.call("POST", "/v1/challenges", {
      policyId: SAMPLE_POLICY_ID,
      subjectHash: subject.toString(),
    });
  }

  verify(presentation: unknown): Promise<Answer> {
    return this.call("POST", "/v1/verifications", { policyId: SAMPLE_POLICY_ID, presentation });
  }

  /** A challenge and the eligible applicant's presentation for it, made before a fault. */
  async fresh(): Promise<{ challenge: Challenge; presentation: Presentation }> {
    const answer = await this.issue();
    if (!issuedOk(answer)) {
      throw new Error(
        `a challenge could not be issued before the fault: ${answer.status} ${answer.code}`,
      );
    }
    const challenge = answer.body as Challenge;
    const prover = new ProverClient({ url: this.stack.prover.url });
    const presentation = await prover.present(this.stack.applicants.eligible.recordId, challenge);
    return { challenge, presentation };
  }

  /** A read-only look at the verifier's database, from outside the service. */
  inspect<T>(look: (db: Database.Database) => T): T {
    const db = new Database(this.databasePath, { readonly: true, fileMustExist: true });
    try {
      return look(db);
    } finally {
      db.close();
    }
  }

  /** Whether a challenge is consumed, and its receipts (all, and verified ones). */
  decisionOf(challengeId: string): { consumed: number | null; receipts: number; verified: number } {
    return this.inspect((db) => ({
      consumed:
        (
          db.prepare("SELECT consumed_at FROM challenges WHERE id = ?").get(challengeId) as
            | { consumed_at: number | null }
            | undefined
        )?.consumed_at ?? null,
      receipts: db
        .prepare("SELECT COUNT(*) FROM receipts WHERE challenge_id = ?")
        .pluck()
        .get(challengeId) as number,
      verified: db
        .prepare(
          `SELECT COUNT(*) FROM receipts r JOIN challenges c ON c.receipt_id = r.id
           WHERE r.challenge_id = ? AND c.id = r.challenge_id AND r.verified = 1`,
        )
        .pluck()
        .get(challengeId) as number,
    }));
  }
}

/**
 * Once a fault is over: a challenge is issued, the presentation refused during it verifies
 * exactly once, and its challenge is consumed by one verified receipt.
 */
async function checkRecovery(
  rec: SuiteRecorder,
  probe: VerifierProbe,
  label: string,
  challenge: Challenge,
  presentation: Presentation,
): Promise<void> {
  const again = await probe.issue();
  rec.check(`${label}: once it is over, a challenge is issued`, issuedOk(again), describe(again));
  const first = await probe.verify(presentation);
  const second = await probe.verify(presentation);
  const reasons =
    (second.body as { reasons?: { code: string }[] }).reasons?.map((r) => r.code) ?? [];
  rec.check(
    `${label}: once it is over, the same presentation verifies, exactly once`,
    isVerified(first) && !isVerified(second) && reasons.join() === "CHALLENGE_CONSUMED",
    `${describe(first)} then ${describe(second)} ${reasons.join()}`,
  );
  const after = probe.decisionOf(challenge.challengeId);
  // Two receipts: the verification that consumed it, and the replay refused as consumed.
  rec.check(
    `${label}: the challenge is consumed by one verified receipt`,
    after.consumed !== null && after.verified === 1 && after.receipts === 2,
    JSON.stringify(after),
  );
}

/**
 * One round of the database locked by another connection past the store's wait: 503s with
 * Retry-After, nothing consumed or written, readiness failing, `/healthz` answering meanwhile;
 * then recovery. Returns whether `/healthz` was answered before the refused write.
 */
async function lockedRound(
  rec: SuiteRecorder,
  probe: VerifierProbe,
  databasePath: string,
): Promise<boolean> {
  const { challenge, presentation } = await probe.fresh();
  const other = new Database(databasePath);
  other.exec("BEGIN IMMEDIATE");
  let challengeAnswer: Answer;
  let verifyAnswer: Answer;
  let ready: Answer;
  let health: Answer;
  const started = performance.now();
  try {
    const pendingChallenge = probe.issue();
    const pendingVerify = probe.verify(presentation);
    await new Promise((resolve) => setTimeout(resolve, 100));
    health = await probe.call("GET", "/healthz");
    ready = await probe.call("GET", "/readyz");
    [challengeAnswer, verifyAnswer] = await Promise.all([pendingChallenge, pendingVerify]);
    const during = probe.decisionOf(challenge.challengeId);
    rec.check(
      "locked: the challenge is not consumed and no receipt is written",
      during.consumed === null && during.receipts === 0,
      JSON.stringify(during),
    );
  } finally {
    other.exec("ROLLBACK");
    other.close();
  }
  rec.figure("lockedAnswerMs", Math.round(challengeAnswer.at - started));
  rec.check(
    "locked: challenge issuance answers 503 STORE_UNAVAILABLE with Retry-After",
    refusedAsUnavailable(challengeAnswer),
    describe(challengeAnswer),
  );
  rec.check(
    "locked: the verification answers 503 STORE_UNAVAILABLE with Retry-After",
    refusedAsUnavailable(verifyAnswer),
    describe(verifyAnswer),
  );
  const storeCheck = (ready.body as { checks?: { store?: { ok?: boolean; detail?: string } } })
    .checks?.store;
  rec.check(
    "locked: readiness fails on the store (STORE_UNAVAILABLE)",
    ready.status === 503 &&
      storeCheck?.ok === false &&
      storeCheck.detail === ErrorCode.STORE_UNAVAILABLE,
    `${describe(ready)} ${JSON.stringify(storeCheck)}`,
  );
  rec.check("locked: /healthz answers 200 meanwhile", health.status === 200, describe(health));
  await checkRecovery(rec, probe, "locked", challenge, presentation);
  const readyAfter = await probe.call("GET", "/readyz");
  rec.check(
    "locked: readiness comes back once released",
    readyAfter.status === 200,
    describe(readyAfter),
  );
  return health.at < challengeAnswer.at;
}

/** A lock shorter than the store's wait: the requests wait for it, then succeed. */
async function briefLockRound(
  rec: SuiteRecorder,
  probe: VerifierProbe,
  databasePath: string,
  lockMs: number,
): Promise<void> {
  const next = await probe.fresh();
  const brief = new Database(databasePath);
  brief.exec("BEGIN IMMEDIATE");
  const release = new Promise<void>((resolve) =>
    setTimeout(() => {
      brief.exec("ROLLBACK");
      brief.close();
      resolve();
    }, lockMs),
  );
  const [waited, waitedVerify] = await Promise.all([
    probe.issue(),
    probe.verify(next.presentation),
    release,
  ]);
  rec.check(
    "a lock shorter than the store's wait only delays the requests",
    issuedOk(waited) && isVerified(waitedVerify),
    `${describe(waited)}, ${describe(waitedVerify)}`,
  );
}

/**
 * One round of the verifier's disk full (after a checkpoint empties the WAL, so a write must grow
 * a file): 503 SQLITE_FULL for issuance, verification and a refusal whose receipt cannot be
 * stored, the service up, nothing half-written; then recovery once the filler is removed.
 */
async function diskFullRound(
  rec: SuiteRecorder,
  probe: VerifierProbe,
  databasePath: string,
  disk: Tmpfs,
): Promise<void> {
  const { challenge, presentation } = await probe.fresh();
  truncateWal(databasePath);
  rec.figure("fillerBytes", await disk.fill());
  let answers: Answer[];
  try {
    answers = [
      await probe.issue(),
      await probe.verify(presentation),
      await probe.verify({ challengeId: challenge.challengeId, proof: "truncated" }),
    ];
    const health = await probe.call("GET", "/healthz");
    rec.check("full: the service stays up (/healthz 200)", health.status === 200, describe(health));
  } finally {
    await disk.free();
  }
  const [issued, verified, malformed] = answers as [Answer, Answer, Answer];
  const full = (a: Answer) =>
    refusedAsUnavailable(a) && JSON.stringify(a.body).includes("SQLITE_FULL");
  rec.check(
    "full: challenge issuance answers 503 STORE_UNAVAILABLE (SQLITE_FULL)",
    full(issued),
    describe(issued),
  );
  rec.check(
    "full: the verification answers 503 STORE_UNAVAILABLE (SQLITE_FULL)",
    full(verified),
    describe(verified),
  );
  rec.check(
    "full: a refusal whose receipt cannot be stored answers 503 too",
    full(malformed),
    describe(malformed),
  );
  const during = probe.decisionOf(challenge.challengeId);
  rec.check(
    "full: the challenge is not consumed and no receipt is written",
    during.consumed === null && during.receipts === 0,
    JSON.stringify(during),
  );
  const sound = probe.inspect((db) => ({
    integrity: String(db.pragma("integrity_check", { simple: true })),
    orphans: db
      .prepare(
        `SELECT COUNT(*) FROM challenges c WHERE c.consumed_at IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM receipts r WHERE r.id = c.receipt_id AND r.challenge_id = c.id)`,
      )
      .pluck()
      .get() as number,
  }));
  rec.check(
    "full: nothing half-written (integrity_check ok, every consumed challenge has its receipt)",
    sound.integrity === "ok" && sound.orphans === 0,
    JSON.stringify(sound),
  );
  await checkRecovery(rec, probe, "full", challenge, presentation);
}

/** The stack `npm start` runs, on `dataDir`, with one worker each and a fast registry poll. */
function startFaultStack(dataDir: string, records: number): Promise<Stack> {
  const env: NodeJS.ProcessEnv = {
    CROSSPROOF_DATA_DIR: dataDir,
    CROSSPROOF_ROOT_POLL_MS: "100",
    CROSSPROOF_VERIFY_WORKERS: "1",
    CROSSPROOF_PROVER_WORKERS: "1",
    CROSSPROOF_LOG_FILE: join(dataDir, "services.log"),
    CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1", // the committed keys are development keys
  };
  return startStack({
    config: serviceConfigFromEnv(env),
    env,
    logger: createLogger("crossproof", env),
    records,
    seed: 17,
    print: () => {},
    verifierPort: 0,
    proverPort: 0,
  });
}

/** Runs the storage fault scenarios and reports what held. */
export async function runStorageFaults(options: StorageFaultsOptions): Promise<SuiteReport> {
  const rec = new SuiteRecorder("storage-faults");
  const dataDir = await mkdtemp(join(tmpdir(), "crossproof-storage-faults-"));
  const mounts: Tmpfs[] = [];
  let stack: Stack | undefined;
  try {
    const paths = verifierPaths(dataDir);
    const verifierFs = await mountTmpfs(paths.dir, 32 * 1024 * 1024);
    if ("dir" in verifierFs) mounts.push(verifierFs);
    const vaultFs = await mountTmpfs(join(dataDir, "holder-b"), 16 * 1024 * 1024);
    if ("dir" in vaultFs) mounts.push(vaultFs);
    rec.figure("diskFullMethod", "dir" in verifierFs ? "tmpfs" : `none: ${verifierFs.reason}`);
    if (!("dir" in verifierFs)) {
      rec.skip("a full disk under the verifier and the vault (a real tmpfs)", verifierFs.reason);
    }
    stack = await startFaultStack(dataDir, options.records);
    const probe = await VerifierProbe.of(stack, paths.database);

    // The database locked by another connection, then a lock shorter than the store's wait.
    let healthzAnsweredFirst = 0;
    for (let round = 0; round < options.rounds; round++) {
      if (await lockedRound(rec, probe, paths.database)) healthzAnsweredFirst++;
      await briefLockRound(rec, probe, paths.database, options.shortLockMs);
    }
    rec.check(
      "locked: /healthz is answered while writes wait for the lock (the event loop is not blocked)",
      healthzAnsweredFirst === options.rounds,
      `${healthzAnsweredFirst} of ${options.rounds} rounds`,
    );
    rec.figure("lockRounds", options.rounds);

    // The verifier's disk full.
    let fullRounds = 0;
    if ("dir" in verifierFs) {
      for (let round = 0; round < options.rounds; round++) {
        await diskFullRound(rec, probe, paths.database, verifierFs);
        fullRounds++;
      }
    }
    rec.figure("diskFullRounds", fullRounds);

    // The holder's vault on a full disk (last: it anchors roots of the stack's issuer).
    if ("dir" in vaultFs) {
      await vaultScenario(rec, stack, vaultFs, dataDir, options.vaultRows);
    }
    const { counts } = probe;
    rec.figure("requests", counts.requests);
    rec.figure("storeUnavailable", counts.storeUnavailable);
    rec.figure("verified", counts.verified);
    rec.check(
      "no 5xx but STORE_UNAVAILABLE",
      counts.fiveHundreds === 0,
      `${counts.fiveHundreds} other 5xx`,
    );
    const log = await readFile(join(dataDir, "services.log"), "utf8").catch(() => "");
    rec.check(
      "no uncaught error logged (INTERNAL)",
      !log.includes('"code":"INTERNAL"'),
      "an INTERNAL error was logged",
    );
  } finally {
    await stack?.close();
    for (const m of mounts.reverse()) await m.unmount().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
  return rec.report();
}

/** Empties the WAL into the database file, so the next write must grow a file. */
function truncateWal(path: string): void {
  const db = new Database(path, { timeout: 2_000 });
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

async function vaultScenario(
  rec: SuiteRecorder,
  stack: Stack,
  fs: Tmpfs,
  dataDir: string,
  rows: number,
): Promise<void> {
  const schema = getSchema(SCHEMA);
  const source = join(dataDir, "vault-b.jsonl");
  const all = syntheticRecordRows({ count: 3 * rows, seed: 91 });
  const part = async (n: number) => {
    await writeFile(
      source,
      all
        .slice(n * rows, (n + 1) * rows)
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(""),
      { mode: 0o600 },
    );
    return readImportFile(source, schema);
  };
  const path = join(fs.dir, "vault.sqlite");
  const vault = await Vault.open(path);
  try {
    await vault.importRecords(schema, await part(0), "part-0.jsonl");
    await anchorNewRecords(vault, stack.chain.registry);
    await vault.importRecords(schema, await part(1), "part-1.jsonl");
    const third = await part(2);
    const signer = stack.chain.registry.signer as `0x${string}`;
    const before = { status: vault.status(), pending: vault.pendingRoots().length };
    const chainBefore = await stack.chain.registry.latestRoot(signer, schema.schemaId);

    truncateWal(path);
    await fs.fill();
    let importError: unknown;
    let anchorError: unknown;
    try {
      try {
        await vault.importRecords(schema, third, "part-2.jsonl");
      } catch (err) {
        importError = err;
      }
      try {
        await anchorNewRecords(vault, stack.chain.registry);
      } catch (err) {
        anchorError = err;
      }
      const after = { status: vault.status(), pending: vault.pendingRoots().length };
      rec.check(
        "vault full: the import fails with VAULT_UNAVAILABLE",
        importError instanceof CrossproofError && importError.code === ErrorCode.VAULT_UNAVAILABLE,
        String(importError),
      );
      rec.check(
        "vault full: the anchoring fails with VAULT_UNAVAILABLE",
        anchorError instanceof CrossproofError && anchorError.code === ErrorCode.VAULT_UNAVAILABLE,
        String(anchorError),
      );
      rec.check(
        "vault full: the vault is as it was (records, unanchored, no leaf index without its root, no pending root)",
        JSON.stringify(after, big) === JSON.stringify(before, big),
        `${JSON.stringify(before, big)} → ${JSON.stringify(after, big)}`,
      );
      const chainAfter = await stack.chain.registry.latestRoot(signer, schema.schemaId);
      rec.check(
        "vault full: nothing was anchored on chain",
        chainAfter === chainBefore,
        `${chainBefore} → ${chainAfter}`,
      );
      rec.check(
        "vault full: integrity_check ok",
        vault.integrityCheck() === "ok",
        vault.integrityCheck(),
      );
    } finally {
      await fs.free();
    }
    await vault.importRecords(schema, third, "part-2.jsonl");
    const outcomes = await anchorNewRecords(vault, stack.chain.registry);
    const latest = vault.latestRoot(SCHEMA);
    const onChain = await stack.chain.registry.latestRoot(signer, schema.schemaId);
    const status = vault.status()[0];
    rec.check(
      "vault: after freeing, the import and the anchoring succeed",
      outcomes.length === 1 &&
        latest?.state === "anchored" &&
        onChain === latest.root &&
        status?.records === 3 * rows &&
        status.unanchored === 0,
      JSON.stringify({ outcomes: outcomes.length, status }, big),
    );
    rec.figure("vaultRecords", status?.records ?? 0);
  } finally {
    vault.close();
  }
}

function big(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
