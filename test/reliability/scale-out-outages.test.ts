/**
 * Three verifier instances over a PostgreSQL cluster and a Redis server of this file's own
 * (test/helpers/private-services.ts: the shared servers are never stopped), and each taken away
 * under load:
 *
 * - Redis stopped: every instance keeps serving with per-instance limits and says so (`/readyz`
 *   detail, `crossproof_verifier_rate_limit_shared 0`, a log line); back to shared limits when
 *   Redis returns;
 * - PostgreSQL stopped (a crash: `pg_ctl stop -m immediate`) and started again: `503
 *   STORE_UNAVAILABLE` with `Retry-After` meanwhile, never a 500 or a wrong or double decision,
 *   every acknowledged receipt kept, and every instance serving again without a restart.
 *
 * Skipped with the reason printed when PostgreSQL's binaries or redis-server are missing (a
 * failure in CI).
 */
import { existsSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Presentation } from "../../client/index.js";
import {
  type Answer,
  decisionsOf,
  mismatched,
  missingReceipts,
  present,
  presentationsAhead,
  reasonsOf,
  receiptIdOf,
  send,
} from "../../reliability/scale-out-load.js";
import { type ScaleOut, startScaleOut } from "../../reliability/scale-out-stack.js";
import {
  type PrivatePostgres,
  type PrivateRedis,
  postgresBinDir,
  startPrivatePostgres,
  startPrivateRedis,
} from "../helpers/private-services.js";

const RATE_LIMIT = 20;
const missing = [
  postgresBinDir() ? "" : "no PostgreSQL binaries under /usr/lib/postgresql/*/bin",
  ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].some((p) => existsSync(p))
    ? ""
    : "no redis-server",
]
  .filter(Boolean)
  .join("; ");
if (missing && !process.env.CI) {
  process.stderr.write(`SKIPPED the scale-out outage tests: ${missing}\n`);
}

describe.runIf(!missing || process.env.CI)("three instances losing PostgreSQL or Redis", () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let scale: ScaleOut;
  beforeAll(async () => {
    if (missing) throw new Error(`the outage tests need their binaries in CI: ${missing}`);
    postgres = await startPrivatePostgres();
    redis = await startPrivateRedis();
    scale = await startScaleOut({
      instances: 3,
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      rateLimit: RATE_LIMIT,
    });
  }, 300_000);
  afterAll(async () => {
    await scale?.close();
    await redis?.destroy();
    await postgres?.destroy();
  }, 120_000);

  const detailOf = async (url: string) => {
    const ready = await send(url, "GET", "/readyz", undefined);
    const checks = ready.body.checks as Record<string, { ok: boolean; detail?: string }>;
    return { status: ready.status, rateLimits: checks.rateLimits?.detail, store: checks.store };
  };
  const sharedGauge = async (url: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return /^crossproof_verifier_rate_limit_shared (\d)$/m.exec(text)?.[1];
  };
  /** Requests of one new key over all instances for `ms`: how many were accepted, and statuses. */
  const hammer = async (key: string, ms: number) => {
    const statuses: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 6 }, async (_, caller) => {
        for (let n = caller; performance.now() - started < ms; n++) {
          const url = scale.urls[n % scale.urls.length] as string;
          statuses.push((await send(url, "GET", "/v1/policies", key)).status);
        }
      }),
    );
    return { accepted: statuses.filter((s) => s === 200).length, statuses };
  };
  const newKey = async (name: string) => {
    const created = await send(
      scale.urls[0] as string,
      "POST",
      "/v1/api-keys",
      scale.api.adminKey,
      {
        name,
      },
    );
    expect(created.status).toBe(201);
    return created.body.key as string;
  };

  it("keeps serving with per-instance limits while Redis is down, and says so", async () => {
    for (const url of scale.urls) expect((await detailOf(url)).rateLimits).toMatch(/^shared/);
    const shared = await hammer(await newKey("shared"), 1_900);
    await redis.stop();
    for (const url of scale.urls) {
      for (let waited = 0; (await detailOf(url)).rateLimits?.startsWith("shared"); waited += 50) {
        expect(waited).toBeLessThan(5_000);
        await delay(50);
      }
      const ready = await detailOf(url);
      expect(ready.status).toBe(200);
      expect(ready.rateLimits).toBe("per instance: Redis unreachable");
      expect(await sharedGauge(url)).toBe("0");
    }
    const alone = await hammer(await newKey("alone"), 1_900);
    process.stdout.write(
      `rate limit ${RATE_LIMIT}/s, 3 instances, 1.9 s: ${shared.accepted} accepted with Redis, ${alone.accepted} without\n`,
    );
    expect(alone.statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(shared.accepted).toBeLessThanOrEqual(2 * RATE_LIMIT * 1.1);
    // Each instance counts alone: up to three times the shared limit, never nothing.
    expect(alone.accepted).toBeGreaterThan(2 * RATE_LIMIT * 1.5);
    expect(alone.accepted).toBeLessThanOrEqual(3 * 2 * RATE_LIMIT * 1.1);
    expect(await scale.api.log()).toContain('"event":"rate-limits-per-instance"');

    await redis.start();
    for (const url of scale.urls) {
      for (let waited = 0; !(await detailOf(url)).rateLimits?.startsWith("shared"); waited += 50) {
        expect(waited).toBeLessThan(10_000);
        await delay(50);
      }
      expect(await sharedGauge(url)).toBe("1");
    }
    expect(await scale.api.log()).toContain('"event":"rate-limits-shared"');
  }, 120_000);

  it("answers 503 STORE_UNAVAILABLE while PostgreSQL is down, decides nothing wrong or twice, and recovers", async () => {
    const valid = await Promise.all(presentationsAhead(scale, 6));
    const template = valid[0]?.presentation as Presentation;
    const keys = await Promise.all([0, 1, 2].map((n) => newKey(`outage ${n}`)));
    const answered: { challengeId: string; valid: boolean; answers: Answer[] }[] = [];
    let phase: "before" | "down" | "after" = "before";
    const downAnswers: Answer[] = [];

    const load = keys.map(async (key, worker) => {
      // Until PostgreSQL is back, then ten more rounds (at most 400 in all).
      for (let n = 0, after = 0; n < 400 && after < 10; n++) {
        if (phase === "after") after += 1;
        const issued = await send(scale.urls[worker] as string, "POST", "/v1/challenges", key, {
          policyId: "pilot-credit-v1",
          subjectHash: scale.api.eligibleSubjectHash.toString(),
        });
        if (issued.status === 429) {
          await delay(100); // this key's limit: nothing was issued
          continue;
        }
        if (issued.status !== 201) {
          expect(issued.status).toBe(503);
          expect((issued.body.error as { code: string }).code).toBe("STORE_UNAVAILABLE");
          downAnswers.push(issued);
          await delay(20);
          continue;
        }
        const challengeId = issued.body.challengeId as string;
        const answers = await Promise.all(
          scale.urls.map((url) => present(url, key, mismatched(template, challengeId))),
        );
        answered.push({ challengeId, valid: false, answers });
      }
    });
    await delay(1_500);
    await postgres.stop("immediate");
    phase = "down";
    // The valid presentations, sent while it is down: nothing can be decided.
    for (const v of valid.slice(0, 3)) {
      const answers = await Promise.all(
        scale.urls.map((url) => present(url, scale.api.clientKey, v.presentation)),
      );
      for (const a of answers) {
        expect(a.status).toBe(503);
        expect(a.retryAfter).toBe("1");
        expect((a.body.error as { code: string }).code).toBe("STORE_UNAVAILABLE");
      }
      downAnswers.push(...answers);
    }
    for (const url of scale.urls) {
      const ready = await detailOf(url);
      expect(ready.status).toBe(503);
      expect(ready.store?.ok).toBe(false);
    }
    await delay(2_000);
    await postgres.start();
    const restarted = performance.now();
    for (const url of scale.urls) {
      for (let waited = 0; (await detailOf(url)).status !== 200; waited += 100) {
        expect(waited).toBeLessThan(15_000);
        await delay(100);
      }
    }
    process.stdout.write(
      `PostgreSQL restarted: all 3 instances ready again after ${Math.round(performance.now() - restarted)} ms\n`,
    );
    phase = "after";
    await Promise.all(load);

    // Every valid presentation, sent again now to all three: verified exactly once.
    for (const v of valid) {
      const answers = await Promise.all(
        scale.urls.map((url) => present(url, scale.api.clientKey, v.presentation)),
      );
      answered.push({ challengeId: v.challenge.challengeId, valid: true, answers });
    }
    expect(downAnswers.length).toBeGreaterThan(0);
    const acknowledged: string[] = [];
    for (const { challengeId, valid: isValid, answers } of answered) {
      for (const a of answers) {
        expect([200, 429, 503], challengeId).toContain(a.status);
        if (a.status === 503) {
          expect((a.body.error as { code: string }).code).toBe("STORE_UNAVAILABLE");
        }
        if (a.status !== 200) continue;
        const reasons = reasonsOf(a);
        // Never a wrong verdict: a valid proof is verified or was beaten to its challenge;
        // a mismatched one is refused for that, or beaten.
        if (isValid) {
          if (a.body.verified !== true) expect(reasons).toEqual(["CHALLENGE_CONSUMED"]);
        } else {
          expect(a.body.verified).toBe(false);
          expect([["CHALLENGE_MISMATCH"], ["CHALLENGE_CONSUMED"]]).toContainEqual(reasons);
        }
        const id = receiptIdOf(a);
        if (id) acknowledged.push(id);
      }
    }
    const decisions = await decisionsOf(
      scale,
      answered.map((a) => a.challengeId),
    );
    for (const { challengeId, valid: isValid } of answered) {
      const d = decisions.get(challengeId);
      expect(d?.consuming, challengeId).toBeLessThanOrEqual(1);
      if (isValid) expect(d, challengeId).toEqual({ consuming: 1, verified: 1 });
      else expect(d?.verified, challengeId).toBe(0);
    }
    expect(await missingReceipts(scale, acknowledged)).toEqual([]);
  }, 600_000);
});

if (missing && !process.env.CI) {
  describe("three instances losing PostgreSQL or Redis", () => {
    it.skip(`are skipped: ${missing}`, () => undefined);
  });
}
