/**
 * The multi-instance soak: three `crossproof verifier serve` instances over one PostgreSQL and
 * one Redis (reliability/scale-out-stack.ts; the stack's own in-process instance only sets up
 * and is sent nothing) under a mixed load for a fixed time, while each instance's resident
 * memory is sampled:
 *
 * - genuine presentations, proved by the holder's service, each raced to all three instances at
 *   once (exactly one must decide it, verified; the others answer CHALLENGE_CONSUMED), then
 *   replayed re-randomised to one of them (CHALLENGE_CONSUMED); each followed by re-randomised
 *   copies of its proof for copies of its challenge (scale-out-load.ts `copyChallenge`: more
 *   genuine decisions than the prover could make), raced the same way; every fourth one in a
 *   batch with three real proofs sent with other challenges, raced to all three in three orders;
 * - bad proofs: stateless checks of tampered proofs (and of genuine ones), real proofs presented
 *   with another challenge (refused CHALLENGE_MISMATCH, the challenge consumed once), unknown
 *   challenges;
 * - policy reads; readiness and metrics of every instance every second;
 * - key revocation: a key made through one instance, used on all, revoked through another, and
 *   refused by every instance within 1 s.
 *
 * Every answer is compared with what it must be. At the end the shared database is audited:
 * no challenge decided twice (whatever the answers said), every consumed challenge's receipt
 * present, every receipt an instance acknowledged present.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError, type Challenge, type Presentation } from "../client/index.js";
import { FIELD_ORDER } from "../core/field.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { type CircuitRelease, loadCircuitRelease } from "../infra/artifacts.js";
import { scanLog } from "../support/log-scan.js";
import { rerandomizeProof } from "../support/rerandomize.js";
import { probePostgres, probeRedis } from "../support/service-probes.js";
import { residentBytes } from "../support/start-process.js";
import { MIB, MixTally, median, type Outcome, paced, round1 } from "./load-mix.js";
import { SuiteRecorder, type SuiteReport } from "./report.js";
import {
  type Answer,
  copyChallenge,
  mismatched,
  missingReceipts,
  present,
  reasonsOf,
  receiptIdOf,
  rerandomizedFor,
  send,
} from "./scale-out-load.js";
import { type ScaleOut, startScaleOut } from "./scale-out-stack.js";

/** Options of {@link runScaleOutSoak}. */
export interface ScaleOutSoakOptions {
  /** How long the load runs. */
  readonly durationMs: number;
  /** The first part of the run, left out of the memory figures (pools, caches, JIT warm up). */
  readonly warmupMs: number;
  /** How often each instance's resident memory is read. */
  readonly sampleEveryMs: number;
  /** Largest growth of an instance's resident memory between the first and last third. */
  readonly rssGrowthLimitMiB: number;
  /** Requests per second of each paced loop (bad proofs, policy reads). */
  readonly ratePerLoop: number;
  /** Presentations proved at once (each loop proves, then races its presentation). */
  readonly provingLoops: number;
  /** Re-randomised copies of each proved presentation raced too (for copies of its challenge). */
  readonly copiesPerProof: number;
  /** How often a key is made, used, revoked and checked on every instance. */
  readonly revokeEveryMs: number;
  /** The shared per-key rate limit (a limit the load stays under: a 429 is unexpected). */
  readonly rateLimit: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
}

const SERVICES = {
  databaseUrl: process.env.CROSSPROOF_TEST_DATABASE_URL || "postgres://root@127.0.0.1:5432/test",
  redisUrl: process.env.CROSSPROOF_TEST_REDIS_URL || "redis://127.0.0.1:6379",
};

/** The quick run (about a minute of load). */
export const short: ScaleOutSoakOptions = {
  durationMs: 60_000,
  warmupMs: 15_000,
  sampleEveryMs: 2_000,
  rssGrowthLimitMiB: 128,
  ratePerLoop: 8,
  provingLoops: 2,
  copiesPerProof: 3,
  revokeEveryMs: 5_000,
  rateLimit: 1_000,
  ...SERVICES,
};

/** What `npm run soak` runs: 10 minutes. */
export const long: ScaleOutSoakOptions = {
  ...short,
  durationMs: 600_000,
  warmupMs: 60_000,
  sampleEveryMs: 5_000,
  rssGrowthLimitMiB: 64,
};

/** The kinds of request in the mix. */
const KINDS = [
  "challenge",
  "raced-verification",
  "raced-batch",
  "replay",
  "proof-check",
  "mismatched-proof",
  "unknown-challenge",
  "policy-read",
  "revocation",
  "readiness",
] as const;
type Kind = (typeof KINDS)[number];

/** Why PostgreSQL or Redis cannot be used here, or undefined when both answer. */
async function missingServices(options: ScaleOutSoakOptions): Promise<string | undefined> {
  const problems = [await probePostgres(options.databaseUrl), await probeRedis(options.redisUrl)];
  const missing = problems.filter((p): p is string => p !== undefined);
  return missing.length > 0 ? missing.join("; ") : undefined;
}

/**
 * Starts three instances on the shared services, runs the soak, stops everything. Without
 * PostgreSQL or Redis the checks are reported as skipped, saying why.
 */
export async function runScaleOutSoak(options: ScaleOutSoakOptions): Promise<SuiteReport> {
  const recorder = new SuiteRecorder("scale-out-soak");
  const missing = await missingServices(options);
  if (missing) {
    recorder.skip("three instances on PostgreSQL and Redis under a mixed load", missing);
    return recorder.report();
  }
  // Instance 0 (in this process, with the chain and the prover) sets up; 1–3 take the load.
  const scale = await startScaleOut({
    instances: 4,
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    rateLimit: options.rateLimit,
  });
  try {
    return await soak(scale, options, recorder);
  } finally {
    await scale.close();
  }
}

/** A genuine proof with its first public signal changed: it must not check. */
function tamper(p: Presentation): { proof: Presentation["proof"]; publicSignals: string[] } {
  const signals = [...p.publicSignals];
  signals[0] = ((BigInt(signals[0] as string) + 1n) % FIELD_ORDER).toString();
  return { proof: p.proof, publicSignals: signals };
}

/** One item of a batch verification's answer. */
interface BatchResult {
  verified?: boolean;
  challengeId?: string;
  receiptId?: string;
  reasons?: { code: string }[];
}

/**
 * The soak's load over the three instances: loops of raced decisions (proved, copied, batched,
 * replayed), bad proofs, policy reads, key revocations, readiness and memory samples, until the
 * end of the run; and what they saw.
 */
class ScaleOutLoad {
  readonly tally = new MixTally<Kind>();
  /** Every challenge the load used, and every receipt an instance acknowledged. */
  readonly challengeIds: string[] = [];
  readonly acknowledged: string[] = [];
  /** Genuine presentations made so far (consumed): proofs for the bad-proof loop. */
  readonly genuine: Presentation[] = [];
  readonly revocationMs: number[] = [];
  readonly samples: { atMs: number; rss: number[] }[] = [];
  readonly started = Date.now();
  readonly until: number;
  readonly urls: readonly string[];
  racedChallenges = 0;
  verified = 0;
  readonly #key: string;
  readonly #subjectHash: string;

  constructor(
    private readonly scale: ScaleOut,
    private readonly options: ScaleOutSoakOptions,
    private readonly release: CircuitRelease,
  ) {
    this.until = this.started + options.durationMs;
    this.urls = scale.urls.slice(1);
    this.#key = scale.api.clientKey;
    this.#subjectHash = scale.api.eligibleSubjectHash.toString();
  }

  /** Runs every loop to the end of the run. */
  async run(): Promise<void> {
    await Promise.all([
      ...Array.from({ length: this.options.provingLoops }, (_, loop) => this.#decisions(loop)),
      this.#badProofs(),
      this.#policyReads(),
      this.#revocations(),
      this.#readiness(),
      this.#memory(),
    ]);
  }

  #instanceAt(n: number): string {
    return this.urls[n % this.urls.length] as string;
  }

  #acknowledge(answers: readonly Answer[]): void {
    for (const a of answers) {
      const id = receiptIdOf(a);
      if (id) this.acknowledged.push(id);
    }
  }

  /** A fresh challenge from instance `n`. */
  async #issue(n: number): Promise<Challenge> {
    const issued = await send(this.#instanceAt(n), "POST", "/v1/challenges", this.#key, {
      policyId: SAMPLE_POLICY_ID,
      subjectHash: this.#subjectHash,
    });
    if (issued.status !== 201) throw new Error(`challenge: ${issued.status}`);
    this.challengeIds.push(issued.body.challengeId as string);
    return issued.body as unknown as Challenge;
  }

  /** A presentation for `challenge` from the holder's prover (busy: asked again). */
  async #prove(challenge: Challenge): Promise<Presentation> {
    const { api } = this.scale;
    for (let attempt = 1; ; attempt++) {
      try {
        return await api.prover.present(api.stack.applicants.eligible.recordId, challenge);
      } catch (err) {
        const busy = err instanceof ApiError && (err.status === 503 || err.status === 504);
        if (!busy || attempt >= 5) throw err;
        await sleep(500);
      }
    }
  }

  /** Proves, races each presentation to the three instances, replays it. */
  async #decisions(loop: number): Promise<void> {
    for (let n = loop; Date.now() < this.until; n += this.options.provingLoops) {
      let presentation: Presentation;
      try {
        presentation = await this.#prove(await this.#issue(n));
      } catch (err) {
        await this.tally.time(
          "raced-verification",
          async () => `proving: ${(err as Error).message}`,
        );
        continue;
      }
      if (n % 4 === 3 && this.genuine.length > 0) {
        await this.tally.time("raced-batch", async () => this.#raceBatch(n, presentation));
      } else {
        await this.#raceWithCopies(presentation);
      }
      await this.tally.time("replay", () => this.#replay(n, presentation));
      this.genuine.push(presentation);
      if (this.genuine.length > 16) this.genuine.shift();
    }
  }

  /**
   * The proved presentation, then re-randomised copies of its proof for copies of its challenge
   * (genuine, distinct presentations without proving again), each raced.
   */
  async #raceWithCopies(presentation: Presentation): Promise<void> {
    for (
      let copy = 0;
      copy === 0 || (copy <= this.options.copiesPerProof && Date.now() < this.until);
      copy++
    ) {
      let raced = presentation;
      if (copy > 0) {
        const id = await copyChallenge(this.scale, presentation.challengeId);
        this.challengeIds.push(id);
        raced = await rerandomizedFor(this.release.verificationKey, presentation, id);
      }
      await this.tally.time("raced-verification", async () => this.#race(raced));
    }
  }

  /** A re-randomised copy of a decided presentation, to another instance: CHALLENGE_CONSUMED. */
  async #replay(n: number, presentation: Presentation): Promise<Outcome> {
    const copy = await rerandomizeProof(this.release.verificationKey, presentation);
    const answer = await present(this.#instanceAt(n + 1), this.#key, { ...presentation, ...copy });
    this.#acknowledge([answer]);
    return answer.status === 200 &&
      answer.body.verified === false &&
      reasonsOf(answer).includes("CHALLENGE_CONSUMED")
      ? true
      : `replay: ${answer.status} verified=${answer.body.verified}`;
  }

  /** Presents `presentation` to the three instances at once: exactly one must verify it. */
  async #race(presentation: Presentation): Promise<Outcome> {
    const answers = await Promise.all(
      this.urls.map((url) => present(url, this.#key, presentation)),
    );
    this.#acknowledge(answers);
    this.racedChallenges++;
    const statuses = answers.map((a) => a.status);
    if (statuses.some((s) => s !== 200)) return `statuses ${statuses.join(",")}`;
    const deciding = answers.filter((a) => !reasonsOf(a).includes("CHALLENGE_CONSUMED"));
    if (deciding.length !== 1) return `${deciding.length} instances decided one challenge`;
    if (deciding[0]?.body.verified !== true)
      return `refused: ${reasonsOf(deciding[0] as Answer).join(",")}`;
    this.verified++;
    const others = answers.filter((a) => a !== deciding[0]);
    return others.every((a) => reasonsOf(a).join() === "CHALLENGE_CONSUMED")
      ? true
      : "a losing instance said something else than CHALLENGE_CONSUMED";
  }

  /** One genuine presentation and three real proofs with other challenges, raced as a batch. */
  async #raceBatch(n: number, presentation: Presentation): Promise<Outcome> {
    const template = this.genuine[this.genuine.length - 1] as Presentation;
    const items = [{ policyId: SAMPLE_POLICY_ID, presentation }];
    for (let i = 0; i < 3; i++) {
      const challenge = await this.#issue(n + i);
      items.push({
        policyId: SAMPLE_POLICY_ID,
        presentation: mismatched(template, challenge.challengeId),
      });
    }
    const orders = [items, [...items].reverse(), [...items.slice(2), ...items.slice(0, 2)]];
    const answers = await Promise.all(
      this.urls.map((url, i) =>
        send(url, "POST", "/v1/verifications/batch", this.#key, { items: orders[i] }),
      ),
    );
    this.racedChallenges += items.length;
    if (answers.some((a) => a.status !== 200))
      return `statuses ${answers.map((a) => a.status).join(",")}`;
    const results = answers.flatMap((a) => a.body.results as BatchResult[]);
    for (const r of results) if (r.receiptId) this.acknowledged.push(r.receiptId);
    const deciding = results.filter(
      (r) => !(r.reasons ?? []).some((x) => x.code === "CHALLENGE_CONSUMED"),
    );
    const decidedIds = deciding.map((r) => r.challengeId).sort();
    const expectedIds = items.map((i) => i.presentation.challengeId).sort();
    if (decidedIds.join() !== expectedIds.join())
      return `decided ${decidedIds.length} of ${expectedIds.length} once each`;
    const verifiedIds = results.filter((r) => r.verified === true).map((r) => r.challengeId);
    if (verifiedIds.length !== 1 || verifiedIds[0] !== presentation.challengeId)
      return `${verifiedIds.length} verified in a batch with one genuine presentation`;
    this.verified++;
    return true;
  }

  #pick(): Presentation {
    return this.genuine[Math.floor(Math.random() * this.genuine.length)] as Presentation;
  }

  /** Mismatched proofs, unknown challenges and stateless checks (genuine and tampered). */
  async #badProofs(): Promise<void> {
    let n = 0;
    await paced(this.until, this.options.ratePerLoop, async () => {
      if (this.genuine.length === 0) return;
      n++;
      const url = this.#instanceAt(n);
      const p = this.#pick();
      if (n % 3 === 0) await this.tally.time("mismatched-proof", () => this.#mismatched(n, url, p));
      else if (n % 7 === 0)
        await this.tally.time("unknown-challenge", () => this.#unknownChallenge(n, url, p));
      else await this.tally.time("proof-check", () => this.#proofCheck(url, p, n % 2 === 0));
    });
  }

  async #mismatched(n: number, url: string, p: Presentation): Promise<Outcome> {
    const challenge = await this.#issue(n);
    const answer = await present(url, this.#key, mismatched(p, challenge.challengeId));
    this.#acknowledge([answer]);
    return answer.status === 200 &&
      answer.body.verified === false &&
      reasonsOf(answer).includes("CHALLENGE_MISMATCH")
      ? true
      : `${answer.status} verified=${answer.body.verified} ${reasonsOf(answer).join(",")}`;
  }

  async #unknownChallenge(n: number, url: string, p: Presentation): Promise<Outcome> {
    const answer = await present(url, this.#key, {
      ...p,
      challengeId: `ch_unknown${n}_${this.started}`,
    });
    this.#acknowledge([answer]);
    return answer.status === 200 && reasonsOf(answer).includes("CHALLENGE_UNKNOWN")
      ? true
      : `${answer.status} ${reasonsOf(answer).join(",")}`;
  }

  async #proofCheck(url: string, p: Presentation, good: boolean): Promise<Outcome> {
    const answer = await send(
      url,
      "POST",
      "/v1/circuits/query/verify",
      this.#key,
      good ? { proof: p.proof, publicSignals: p.publicSignals } : tamper(p),
    );
    return answer.status === 200 && answer.body.valid === good
      ? true
      : `${answer.status} valid=${answer.body.valid} for genuine=${good}`;
  }

  #policyReads(): Promise<void> {
    let n = 0;
    return paced(this.until, this.options.ratePerLoop, async () => {
      n++;
      await this.tally.time("policy-read", async () => {
        const one = n % 2 === 0;
        const answer = await send(
          this.#instanceAt(n),
          "GET",
          one ? `/v1/policies/${SAMPLE_POLICY_ID}` : "/v1/policies",
          this.#key,
        );
        if (answer.status !== 200) return `${answer.status}`;
        const ok = one
          ? answer.body.id === SAMPLE_POLICY_ID
          : JSON.stringify(answer.body).includes(SAMPLE_POLICY_ID);
        return ok ? true : "the sample policy is missing";
      });
    });
  }

  #revocations(): Promise<void> {
    let n = 0;
    return paced(this.until, 1_000 / this.options.revokeEveryMs, async () => {
      n++;
      await this.tally.time("revocation", () => this.#revocation(n));
    });
  }

  /**
   * A key made through one instance and used on all, revoked through another: every instance
   * refuses it within 1 s (when each first refused it: the time that request was sent after the
   * revocation was acknowledged).
   */
  async #revocation(n: number): Promise<Outcome> {
    const { adminKey } = this.scale.api;
    const created = await send(this.#instanceAt(n), "POST", "/v1/api-keys", adminKey, {
      name: `soak ${n}`,
    });
    if (created.status !== 201) return `create: ${created.status}`;
    const revokedKey = created.body.key as string;
    for (const url of this.urls) {
      const before = await send(url, "GET", "/v1/policies", revokedKey);
      if (before.status !== 200) return `before revocation: ${before.status}`;
    }
    const revoked = await send(
      this.#instanceAt(n + 1),
      "DELETE",
      `/v1/api-keys/${created.body.id as string}`,
      adminKey,
    );
    if (revoked.status !== 204) return `revoke: ${revoked.status}`;
    const since = performance.now();
    const seen = await Promise.all(
      this.urls.map(async (url) => {
        for (;;) {
          const sent = performance.now() - since;
          const answer = await send(url, "GET", "/v1/policies", revokedKey);
          if (answer.status === 401) return sent;
          if (answer.status !== 200 || sent > 5_000) return Number.POSITIVE_INFINITY;
          await sleep(10);
        }
      }),
    );
    this.revocationMs.push(...seen);
    const slowest = Math.max(...seen);
    return slowest <= 1_000 ? true : `revocation seen after ${slowest} ms`;
  }

  #readiness(): Promise<void> {
    return paced(this.until, 1, async () => {
      await this.tally.time("readiness", async () => {
        for (const url of this.urls) {
          const ready = await send(url, "GET", "/readyz", undefined);
          const metrics = await send(url, "GET", "/metrics", undefined);
          const detail = (ready.body.checks as Record<string, { detail?: string }> | undefined)
            ?.rateLimits?.detail;
          if (ready.status !== 200 || metrics.status !== 200 || !detail?.startsWith("shared"))
            return `${url}: ready ${ready.status}, metrics ${metrics.status}, limits ${detail}`;
        }
        return true;
      });
    });
  }

  #memory(): Promise<void> {
    return paced(this.until, 1_000 / this.options.sampleEveryMs, async () => {
      this.samples.push({
        atMs: Date.now() - this.started,
        rss: await Promise.all(this.scale.children.map((c) => residentBytes(c.pid))),
      });
    });
  }
}

/** The figures of a finished load: requests, outcomes and latencies by kind. */
function recordLoad(recorder: SuiteRecorder, load: ScaleOutLoad, instances: number): void {
  const { tally } = load;
  const elapsedS = (Date.now() - load.started) / 1_000;
  const requests = tally.total("expected") + tally.total("unexpected");
  recorder.figure("instances", instances);
  recorder.figure("durationS", round1(elapsedS));
  recorder.figure("requests", requests);
  recorder.figure("requestsPerSecond", round1(requests / elapsedS));
  recorder.figure("unexpectedErrors", tally.total("unexpected"));
  recorder.figure("challengesIssued", load.challengeIds.length);
  recorder.figure("challengesRaced", load.racedChallenges);
  recorder.figure("genuineVerified", load.verified);
  recorder.figure("receiptsAcknowledged", load.acknowledged.length);
  tally.recordKinds(recorder, KINDS);
  if (load.revocationMs.length > 0) {
    recorder.figure("revocationSeenMaxMs", round1(Math.max(...load.revocationMs)));
  }
}

/** Memory per instance: after warm-up, the first third against the last third. */
function recordMemory(
  recorder: SuiteRecorder,
  load: ScaleOutLoad,
  instances: number,
  options: ScaleOutSoakOptions,
): void {
  const { samples } = load;
  const steady = samples.filter((s) => s.atMs >= options.warmupMs);
  const third = Math.max(1, Math.floor(steady.length / 3));
  recorder.figure("rssSamples", samples.length);
  recorder.figure(
    "rssSeries",
    samples
      .filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0)
      .map(
        (s) => `${Math.round(s.atMs / 1000)}s ${s.rss.map((b) => Math.round(b / MIB)).join("/")}`,
      )
      .join(", "),
  );
  for (let i = 0; i < instances; i++) {
    const series = (from: typeof steady) => from.map((s) => (s.rss[i] ?? 0) / MIB);
    const first = median(series(steady.slice(0, third)));
    const last = median(series(steady.slice(-third)));
    const name = `instance${i + 1}`;
    recorder.figure(`${name}.rssAfterWarmupMiB`, round1(first));
    recorder.figure(`${name}.rssEndMiB`, round1(last));
    recorder.figure(`${name}.rssMaxMiB`, round1(Math.max(...series(samples))));
    recorder.figure(`${name}.rssGrowthMiB`, round1(last - first));
    recorder.check(
      `instance ${i + 1}: resident memory stable: grew ${round1(last - first)} MiB after warm-up (limit ${options.rssGrowthLimitMiB})`,
      steady.length >= 3 && last - first <= options.rssGrowthLimitMiB,
      `${steady.length} samples after warm-up`,
    );
  }
}

/**
 * The audit of the shared database: no challenge decided or verified twice (whatever the answers
 * said), every consumed challenge's receipt stored, every acknowledged receipt stored.
 */
async function audit(recorder: SuiteRecorder, scale: ScaleOut, load: ScaleOutLoad) {
  const twice = await scale.query<{ challenge_id: string; consuming: string; verified: string }>(
    `SELECT challenge_id,
            count(*) FILTER (WHERE NOT (reasons::jsonb ?| array['CHALLENGE_CONSUMED', 'CHALLENGE_EXPIRED'])) AS consuming,
            count(*) FILTER (WHERE verified) AS verified
       FROM receipts WHERE challenge_id IS NOT NULL
      GROUP BY challenge_id
     HAVING count(*) FILTER (WHERE NOT (reasons::jsonb ?| array['CHALLENGE_CONSUMED', 'CHALLENGE_EXPIRED'])) > 1
         OR count(*) FILTER (WHERE verified) > 1`,
  );
  const decided = await scale.query<{ n: string }>(
    "SELECT count(*) AS n FROM challenges WHERE consumed_at IS NOT NULL AND id = ANY($1)",
    [load.challengeIds],
  );
  const orphans = await scale.query<{ id: string }>(
    `SELECT c.id FROM challenges c
      WHERE c.consumed_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.id = c.receipt_id AND r.challenge_id = c.id)`,
  );
  const receipts = await scale.query<{ n: string }>("SELECT count(*) AS n FROM receipts");
  recorder.figure("challengesConsumed", Number(decided[0]?.n ?? 0));
  recorder.figure("receiptsStored", Number(receipts[0]?.n ?? 0));
  recorder.checkNone(
    "no challenge decided twice or verified twice (the database, every challenge of the run)",
    twice.map((r) => `${r.challenge_id}: ${r.consuming} decisions, ${r.verified} verified`),
  );
  recorder.checkNone(
    "every consumed challenge's receipt is stored",
    orphans.map((r) => r.id),
  );
  recorder.checkNone(
    "every receipt an instance acknowledged is stored",
    await missingReceipts(scale, load.acknowledged),
  );
}

async function soak(
  scale: ScaleOut,
  options: ScaleOutSoakOptions,
  recorder: SuiteRecorder,
): Promise<SuiteReport> {
  const load = new ScaleOutLoad(scale, options, await loadCircuitRelease("query"));
  await load.run();
  const instances = scale.children.length;
  recordLoad(recorder, load, instances);
  recordMemory(recorder, load, instances, options);
  recorder.check(
    "every answer was the one it must be (zero unexpected answers)",
    load.tally.total("unexpected") === 0,
    load.tally.unexpected.join("; "),
  );
  await audit(recorder, scale, load);
  load.tally.checkIncluded(recorder, [
    "raced-verification",
    "raced-batch",
    "replay",
    "proof-check",
    "mismatched-proof",
    "policy-read",
    "revocation",
  ]);
  const ready = await Promise.all(load.urls.map((url) => send(url, "GET", "/readyz", undefined)));
  recorder.check(
    "all three instances are ready at the end",
    ready.every((a) => a.status === 200),
  );
  recorder.check("the instances' data folders are empty", await scale.childFoldersEmpty());
  recorder.checkNone(
    "no record data, salt, path or body in the services' log",
    scanLog(await scale.api.log()),
  );
  return recorder.report();
}
