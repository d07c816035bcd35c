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
import { Redis } from "ioredis";
import pg from "pg";
import { ApiError, type Challenge, type Presentation } from "../client/index.js";
import { FIELD_ORDER } from "../core/field.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { loadCircuitRelease } from "../infra/artifacts.js";
import { scanLog } from "../support/log-scan.js";
import { rerandomizeProof } from "../support/rerandomize.js";
import { residentBytes } from "../support/start-process.js";
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

/** True when an answer was what it must be, else what it was instead. */
type Outcome = true | string;

/** Counts and latencies by kind, and the first unexpected answers. */
class Tally {
  readonly counts = new Map<Kind, { expected: number; unexpected: number; ms: number[] }>();
  readonly unexpected: string[] = [];

  async time(kind: Kind, request: () => Promise<Outcome>): Promise<void> {
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await request();
    } catch (err) {
      outcome =
        err instanceof ApiError ? `${err.status} ${err.code}` : `error ${(err as Error).message}`;
    }
    let entry = this.counts.get(kind);
    if (!entry) {
      entry = { expected: 0, unexpected: 0, ms: [] };
      this.counts.set(kind, entry);
    }
    entry.ms.push(performance.now() - started);
    if (outcome === true) entry.expected++;
    else {
      entry.unexpected++;
      if (this.unexpected.length < 20) this.unexpected.push(`${kind}: ${outcome}`);
    }
  }

  total(which: "expected" | "unexpected"): number {
    let n = 0;
    for (const entry of this.counts.values()) n += entry[which];
    return n;
  }
}

/** Runs `body` again and again until `until`, at most `perSecond` times a second. */
async function paced(until: number, perSecond: number, body: () => Promise<void>): Promise<void> {
  const interval = 1_000 / perSecond;
  while (Date.now() < until) {
    const started = Date.now();
    await body();
    const rest = interval - (Date.now() - started);
    if (rest > 0) await sleep(Math.min(rest, Math.max(0, until - Date.now())));
  }
}

const MIB = 2 ** 20;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const percentile = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Why PostgreSQL or Redis cannot be used here, or undefined when both answer. */
async function missingServices(options: ScaleOutSoakOptions): Promise<string | undefined> {
  const problems: string[] = [];
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    connectionTimeoutMillis: 2_000,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    problems.push(`PostgreSQL does not answer (${(err as { code?: string }).code ?? "error"})`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(options.redisUrl, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    problems.push(`Redis does not answer (${(err as { code?: string }).code ?? "error"})`);
  } finally {
    redis.disconnect();
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
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

async function soak(
  scale: ScaleOut,
  options: ScaleOutSoakOptions,
  recorder: SuiteRecorder,
): Promise<SuiteReport> {
  const { api } = scale;
  const urls = scale.urls.slice(1);
  const instances = scale.children;
  const key = api.clientKey;
  const subjectHash = api.eligibleSubjectHash.toString();
  const release = await loadCircuitRelease("query");
  const tally = new Tally();
  /** Every challenge the load used, and every receipt an instance acknowledged. */
  const challengeIds: string[] = [];
  const acknowledged: string[] = [];
  /** Genuine presentations made so far (consumed): proofs for the bad-proof loop. */
  const genuine: Presentation[] = [];
  const revocationMs: number[] = [];
  let racedChallenges = 0;
  let verified = 0;
  const started = Date.now();
  const until = started + options.durationMs;
  const samples: { atMs: number; rss: number[] }[] = [];
  const instanceAt = (n: number) => urls[n % urls.length] as string;
  const acknowledge = (answers: readonly Answer[]) => {
    for (const a of answers) {
      const id = receiptIdOf(a);
      if (id) acknowledged.push(id);
    }
  };

  /** A fresh challenge from instance `n`. */
  const issue = async (n: number): Promise<Challenge> => {
    const issued = await send(instanceAt(n), "POST", "/v1/challenges", key, {
      policyId: SAMPLE_POLICY_ID,
      subjectHash,
    });
    if (issued.status !== 201) throw new Error(`challenge: ${issued.status}`);
    challengeIds.push(issued.body.challengeId as string);
    return issued.body as unknown as Challenge;
  };

  /** A presentation for `challenge` from the holder's prover (busy: asked again). */
  const prove = async (challenge: Challenge): Promise<Presentation> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await api.prover.present(api.stack.applicants.eligible.recordId, challenge);
      } catch (err) {
        const busy = err instanceof ApiError && (err.status === 503 || err.status === 504);
        if (!busy || attempt >= 5) throw err;
        await sleep(500);
      }
    }
  };

  /** Proves, races each presentation to the three instances, replays it. */
  const decisions = async (loop: number) => {
    for (let n = loop; Date.now() < until; n += options.provingLoops) {
      let presentation: Presentation;
      try {
        presentation = await prove(await issue(n));
      } catch (err) {
        await tally.time("raced-verification", async () => `proving: ${(err as Error).message}`);
        continue;
      }
      if (n % 4 === 3 && genuine.length > 0) {
        await tally.time("raced-batch", async () => raceBatch(n, presentation));
      } else {
        // The proved presentation, then re-randomised copies of its proof for copies of its
        // challenge (genuine, distinct presentations without proving again), each raced.
        for (
          let copy = 0;
          copy === 0 || (copy <= options.copiesPerProof && Date.now() < until);
          copy++
        ) {
          let raced = presentation;
          if (copy > 0) {
            const id = await copyChallenge(scale, presentation.challengeId);
            challengeIds.push(id);
            raced = await rerandomizedFor(release.verificationKey, presentation, id);
          }
          await tally.time("raced-verification", async () => race(raced));
        }
      }
      await tally.time("replay", async () => {
        const copy = await rerandomizeProof(release.verificationKey, presentation);
        const answer = await present(instanceAt(n + 1), key, { ...presentation, ...copy });
        acknowledge([answer]);
        return answer.status === 200 &&
          answer.body.verified === false &&
          reasonsOf(answer).includes("CHALLENGE_CONSUMED")
          ? true
          : `replay: ${answer.status} verified=${answer.body.verified}`;
      });
      genuine.push(presentation);
      if (genuine.length > 16) genuine.shift();
    }
  };

  /** Presents `presentation` to the three instances at once: exactly one must verify it. */
  const race = async (presentation: Presentation): Promise<Outcome> => {
    const answers = await Promise.all(urls.map((url) => present(url, key, presentation)));
    acknowledge(answers);
    racedChallenges++;
    const statuses = answers.map((a) => a.status);
    if (statuses.some((s) => s !== 200)) return `statuses ${statuses.join(",")}`;
    const deciding = answers.filter((a) => !reasonsOf(a).includes("CHALLENGE_CONSUMED"));
    if (deciding.length !== 1) return `${deciding.length} instances decided one challenge`;
    if (deciding[0]?.body.verified !== true)
      return `refused: ${reasonsOf(deciding[0] as Answer).join(",")}`;
    verified++;
    const others = answers.filter((a) => a !== deciding[0]);
    return others.every((a) => reasonsOf(a).join() === "CHALLENGE_CONSUMED")
      ? true
      : "a losing instance said something else than CHALLENGE_CONSUMED";
  };

  /** One genuine presentation and three real proofs with other challenges, raced as a batch. */
  const raceBatch = async (n: number, presentation: Presentation): Promise<Outcome> => {
    const template = genuine[genuine.length - 1] as Presentation;
    const items = [{ policyId: SAMPLE_POLICY_ID, presentation }];
    for (let i = 0; i < 3; i++) {
      const challenge = await issue(n + i);
      items.push({
        policyId: SAMPLE_POLICY_ID,
        presentation: mismatched(template, challenge.challengeId),
      });
    }
    const orders = [items, [...items].reverse(), [...items.slice(2), ...items.slice(0, 2)]];
    const answers = await Promise.all(
      urls.map((url, i) => send(url, "POST", "/v1/verifications/batch", key, { items: orders[i] })),
    );
    racedChallenges += items.length;
    if (answers.some((a) => a.status !== 200))
      return `statuses ${answers.map((a) => a.status).join(",")}`;
    type Item = {
      verified?: boolean;
      challengeId?: string;
      receiptId?: string;
      reasons?: { code: string }[];
    };
    const results = answers.flatMap((a) => a.body.results as Item[]);
    for (const r of results) if (r.receiptId) acknowledged.push(r.receiptId);
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
    verified++;
    return true;
  };

  const tamper = (p: Presentation) => {
    const signals = [...p.publicSignals];
    signals[0] = ((BigInt(signals[0] as string) + 1n) % FIELD_ORDER).toString();
    return { proof: p.proof, publicSignals: signals };
  };
  const pick = () => genuine[Math.floor(Math.random() * genuine.length)] as Presentation;

  const badProofs = async () => {
    let n = 0;
    await paced(until, options.ratePerLoop, async () => {
      if (genuine.length === 0) return;
      n++;
      const url = instanceAt(n);
      const p = pick();
      if (n % 3 === 0) {
        await tally.time("mismatched-proof", async () => {
          const challenge = await issue(n);
          const answer = await present(url, key, mismatched(p, challenge.challengeId));
          acknowledge([answer]);
          return answer.status === 200 &&
            answer.body.verified === false &&
            reasonsOf(answer).includes("CHALLENGE_MISMATCH")
            ? true
            : `${answer.status} verified=${answer.body.verified} ${reasonsOf(answer).join(",")}`;
        });
      } else if (n % 7 === 0) {
        await tally.time("unknown-challenge", async () => {
          const answer = await present(url, key, {
            ...p,
            challengeId: `ch_unknown${n}_${started}`,
          });
          acknowledge([answer]);
          return answer.status === 200 && reasonsOf(answer).includes("CHALLENGE_UNKNOWN")
            ? true
            : `${answer.status} ${reasonsOf(answer).join(",")}`;
        });
      } else {
        const good = n % 2 === 0;
        await tally.time("proof-check", async () => {
          const answer = await send(
            url,
            "POST",
            "/v1/circuits/query/verify",
            key,
            good ? { proof: p.proof, publicSignals: p.publicSignals } : tamper(p),
          );
          return answer.status === 200 && answer.body.valid === good
            ? true
            : `${answer.status} valid=${answer.body.valid} for genuine=${good}`;
        });
      }
    });
  };

  const policyReads = () => {
    let n = 0;
    return paced(until, options.ratePerLoop, async () => {
      n++;
      await tally.time("policy-read", async () => {
        const one = n % 2 === 0;
        const answer = await send(
          instanceAt(n),
          "GET",
          one ? `/v1/policies/${SAMPLE_POLICY_ID}` : "/v1/policies",
          key,
        );
        if (answer.status !== 200) return `${answer.status}`;
        const ok = one
          ? answer.body.id === SAMPLE_POLICY_ID
          : JSON.stringify(answer.body).includes(SAMPLE_POLICY_ID);
        return ok ? true : "the sample policy is missing";
      });
    });
  };

  const revocations = () => {
    let n = 0;
    return paced(until, 1_000 / options.revokeEveryMs, async () => {
      n++;
      await tally.time("revocation", async () => {
        const created = await send(instanceAt(n), "POST", "/v1/api-keys", api.adminKey, {
          name: `soak ${n}`,
        });
        if (created.status !== 201) return `create: ${created.status}`;
        const revokedKey = created.body.key as string;
        for (const url of urls) {
          const before = await send(url, "GET", "/v1/policies", revokedKey);
          if (before.status !== 200) return `before revocation: ${before.status}`;
        }
        const revoked = await send(
          instanceAt(n + 1),
          "DELETE",
          `/v1/api-keys/${created.body.id as string}`,
          api.adminKey,
        );
        if (revoked.status !== 204) return `revoke: ${revoked.status}`;
        const since = performance.now();
        // When each instance first refused it: the time that request was sent after the
        // revocation was acknowledged.
        const seen = await Promise.all(
          urls.map(async (url) => {
            for (;;) {
              const sent = performance.now() - since;
              const answer = await send(url, "GET", "/v1/policies", revokedKey);
              if (answer.status === 401) return sent;
              if (answer.status !== 200 || sent > 5_000) return Number.POSITIVE_INFINITY;
              await sleep(10);
            }
          }),
        );
        revocationMs.push(...seen);
        const slowest = Math.max(...seen);
        return slowest <= 1_000 ? true : `revocation seen after ${slowest} ms`;
      });
    });
  };

  const readiness = () =>
    paced(until, 1, async () => {
      await tally.time("readiness", async () => {
        for (const url of urls) {
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

  const memory = () =>
    paced(until, 1_000 / options.sampleEveryMs, async () => {
      samples.push({
        atMs: Date.now() - started,
        rss: await Promise.all(instances.map((c) => residentBytes(c.pid))),
      });
    });

  await Promise.all([
    ...Array.from({ length: options.provingLoops }, (_, loop) => decisions(loop)),
    badProofs(),
    policyReads(),
    revocations(),
    readiness(),
    memory(),
  ]);
  const elapsedS = (Date.now() - started) / 1_000;

  // Figures: load, outcomes, latencies by kind.
  const requests = tally.total("expected") + tally.total("unexpected");
  recorder.figure("instances", instances.length);
  recorder.figure("durationS", round1(elapsedS));
  recorder.figure("requests", requests);
  recorder.figure("requestsPerSecond", round1(requests / elapsedS));
  recorder.figure("unexpectedErrors", tally.total("unexpected"));
  recorder.figure("challengesIssued", challengeIds.length);
  recorder.figure("challengesRaced", racedChallenges);
  recorder.figure("genuineVerified", verified);
  recorder.figure("receiptsAcknowledged", acknowledged.length);
  for (const kind of KINDS) {
    const entry = tally.counts.get(kind);
    if (!entry) continue;
    recorder.figure(`${kind}.count`, entry.expected + entry.unexpected);
    recorder.figure(`${kind}.p50Ms`, round1(percentile(entry.ms, 50)));
    recorder.figure(`${kind}.p99Ms`, round1(percentile(entry.ms, 99)));
  }
  if (revocationMs.length > 0) {
    recorder.figure("revocationSeenMaxMs", round1(Math.max(...revocationMs)));
  }

  // Memory per instance: after warm-up, the first third against the last third.
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
  instances.forEach((_, i) => {
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
  });

  // The audit of the shared database.
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
    [challengeIds],
  );
  const orphans = await scale.query<{ id: string }>(
    `SELECT c.id FROM challenges c
      WHERE c.consumed_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.id = c.receipt_id AND r.challenge_id = c.id)`,
  );
  const receipts = await scale.query<{ n: string }>("SELECT count(*) AS n FROM receipts");
  recorder.figure("challengesConsumed", Number(decided[0]?.n ?? 0));
  recorder.figure("receiptsStored", Number(receipts[0]?.n ?? 0));
  recorder.check(
    "every answer was the one it must be (zero unexpected answers)",
    tally.total("unexpected") === 0,
    tally.unexpected.join("; "),
  );
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
    await missingReceipts(scale, acknowledged),
  );
  for (const kind of [
    "raced-verification",
    "raced-batch",
    "replay",
    "proof-check",
    "mismatched-proof",
    "policy-read",
    "revocation",
  ] as const) {
    recorder.check(`the mix included ${kind}`, (tally.counts.get(kind)?.expected ?? 0) > 0);
  }
  const ready = await Promise.all(urls.map((url) => send(url, "GET", "/readyz", undefined)));
  recorder.check(
    "all three instances are ready at the end",
    ready.every((a) => a.status === 200),
  );
  recorder.check("the instances' data folders are empty", await scale.childFoldersEmpty());
  recorder.checkNone(
    "no record data, salt, path or body in the services' log",
    scanLog(await api.log()),
  );
  return recorder.report();
}
