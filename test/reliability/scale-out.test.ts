/**
 * Three verifier instances over the shared PostgreSQL and Redis (reliability/scale-out-stack.ts):
 * one challenge presented to all three at once, 100 rounds, each with a valid, distinct
 * presentation (10 proved, 90 re-randomised copies of their proofs for copies of their
 * challenges), is verified exactly once; on the batch endpoint the same for 100 challenges in
 * batches of ten;
 * a SIGKILL of one instance under load decides nothing twice and loses no acknowledged receipt
 * while the others keep serving; an API key revoked through one instance is refused by every
 * instance within 1 s; a key's rate limit holds across the instances within ±10 %; a
 * shared-mode instance writes nothing in its data folder.
 *
 * PostgreSQL and Redis missing: skipped with the reason printed, a failure in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Presentation } from "../../client/index.js";
import { SAMPLE_POLICY_ID } from "../../deploy/local.js";
import { loadCircuitRelease, type VerificationKey } from "../../infra/artifacts.js";
import {
  type Answer,
  copyChallenge,
  decisionsOf,
  mismatched,
  missingReceipts,
  present,
  presentationsAhead,
  reasonsOf,
  receiptIdOf,
  rerandomizedFor,
  send,
} from "../../reliability/scale-out-load.js";
import { type ScaleOut, startScaleOut } from "../../reliability/scale-out-stack.js";
import { checkServices, TEST_DATABASE_URL, TEST_REDIS_URL } from "../helpers/shared-services.js";

const ROUNDS = 100;
const RATE_LIMIT = 30;
const services = await checkServices(["postgres", "redis"], "the scale-out tests");

describe.runIf(services.run)("three verifier instances on PostgreSQL and Redis", () => {
  let scale: ScaleOut;
  let verificationKey: VerificationKey;
  beforeAll(async () => {
    services.assertAvailable();
    verificationKey = (await loadCircuitRelease("query")).verificationKey;
    scale = await startScaleOut({
      instances: 3,
      databaseUrl: TEST_DATABASE_URL,
      redisUrl: TEST_REDIS_URL,
      rateLimit: RATE_LIMIT,
    });
  }, 300_000);
  afterAll(async () => {
    await scale?.close();
  }, 120_000);

  /** A new client key (rate limits and challenge ownership are per key). */
  async function newKey(name: string): Promise<{ id: string; key: string }> {
    const created = await send(
      scale.urls[1] as string,
      "POST",
      "/v1/api-keys",
      scale.api.adminKey,
      {
        name,
      },
    );
    expect(created.status).toBe(201);
    return { id: created.body.id as string, key: created.body.key as string };
  }

  it("says in /readyz that rate limits are shared, on every instance", async () => {
    for (const url of scale.urls) {
      const ready = await send(url, "GET", "/readyz", undefined);
      expect(ready.status).toBe(200);
      expect((ready.body.checks as Record<string, { detail?: string }>).rateLimits?.detail).toMatch(
        /^shared in Redis \(redis:\/\/127\.0\.0\.1:6379\)$/,
      );
    }
  });

  it(`decides each of ${ROUNDS} challenges exactly once when all three instances get it at once`, async () => {
    // A valid, distinct presentation every round: every tenth proved by the holder's service,
    // the others a re-randomised copy of the last proved one for a copy of its challenge (a
    // proof binds the nonce, not the challenge id): genuine proofs at the cost of ten.
    const made = presentationsAhead(scale, ROUNDS / 10);
    const ids: string[] = [];
    let template: Presentation | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      let presentation: Presentation;
      if (round % 10 === 0) {
        const next = await made[round / 10];
        if (!next) throw new Error("no presentation");
        presentation = next.presentation;
        template = presentation;
      } else {
        const proved = template as Presentation;
        const copy = await copyChallenge(scale, proved.challengeId);
        presentation = await rerandomizedFor(verificationKey, proved, copy);
      }
      ids.push(presentation.challengeId);
      // At most four requests of this key per 250 ms: under its rate limit, so that every
      // instance takes part in every race.
      await new Promise((r) => setTimeout(r, 250));
      const answers = await Promise.all(
        scale.urls.map((url) => present(url, scale.api.clientKey, presentation)),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      const deciding = answers.filter((a) => !reasonsOf(a).includes("CHALLENGE_CONSUMED"));
      expect(deciding, presentation.challengeId).toHaveLength(1);
      expect(deciding[0]?.body.verified, reasonsOf(deciding[0] as Answer).join()).toBe(true);
      for (const a of answers.filter((x) => x !== deciding[0])) {
        expect(reasonsOf(a)).toEqual(["CHALLENGE_CONSUMED"]);
      }
    }
    expect(new Set(ids).size).toBe(ROUNDS);
    for (const [id, d] of await decisionsOf(scale, ids)) {
      expect(d, id).toEqual({ consuming: 1, verified: 1 });
    }
  }, 900_000);

  it(`decides each of ${ROUNDS} challenges exactly once on the batch endpoint of all three at once`, async () => {
    // Ten rounds of ten valid, distinct presentations: two proved by the holder's service, eight
    // re-randomised copies of their proofs for copies of their challenges.
    const made = presentationsAhead(scale, ROUNDS / 5);
    const ids: string[] = [];
    for (let round = 0; round < ROUNDS / 10; round++) {
      const items: { policyId: string; presentation: Presentation }[] = [];
      for (const next of made.slice(round * 2, round * 2 + 2)) {
        const { presentation } = await next;
        items.push({ policyId: SAMPLE_POLICY_ID, presentation });
      }
      for (let n = 0; n < 8; n++) {
        const proved = items[n % 2]?.presentation as Presentation;
        const copy = await copyChallenge(scale, proved.challengeId);
        items.push({
          policyId: SAMPLE_POLICY_ID,
          presentation: await rerandomizedFor(verificationKey, proved, copy),
        });
      }
      const roundIds = items.map((i) => i.presentation.challengeId);
      ids.push(...roundIds);
      await new Promise((r) => setTimeout(r, 1_000)); // a rate-limit window of its own
      // Each instance gets the ten in another order.
      const orders = [items, [...items].reverse(), [...items.slice(5), ...items.slice(0, 5)]];
      const answers = await Promise.all(
        scale.urls.map((url, i) =>
          send(url, "POST", "/v1/verifications/batch", scale.api.clientKey, {
            items: orders[i],
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      type Item = { verified?: boolean; challengeId?: string; reasons?: { code: string }[] };
      const results = answers.flatMap((a) => a.body.results as Item[]);
      const verified = results.filter((r) => r.verified === true).map((r) => r.challengeId);
      expect([...verified].sort()).toEqual([...roundIds].sort());
      const deciding = results.filter(
        (r) => !(r.reasons ?? []).some((x) => x.code === "CHALLENGE_CONSUMED"),
      );
      expect(deciding.map((r) => r.challengeId).sort()).toEqual([...roundIds].sort());
    }
    expect(new Set(ids).size).toBe(ROUNDS);
    for (const [id, d] of await decisionsOf(scale, ids)) {
      expect(d, id).toEqual({ consuming: 1, verified: 1 });
    }
  }, 900_000);

  it("refuses a key revoked through one instance on every instance within 1 s", async () => {
    const { id, key } = await newKey("revoked soon");
    for (const url of scale.urls) {
      expect((await send(url, "GET", "/v1/policies", key)).status).toBe(200);
    }
    const revoked = await send(
      scale.urls[2] as string,
      "DELETE",
      `/v1/api-keys/${id}`,
      scale.api.adminKey,
    );
    expect(revoked.status).toBe(204);
    const since = performance.now();
    // When each instance first refused it: the time the refused request was sent, after the
    // revocation was acknowledged (an answer's own latency is the machine's load, not staleness).
    const seen = await Promise.all(
      scale.urls.map(async (url) => {
        for (;;) {
          const sent = performance.now() - since;
          const answer = await send(url, "GET", "/v1/policies", key);
          if (answer.status === 401) return sent;
          expect(answer.status).toBe(200);
          if (sent > 5_000) return Number.POSITIVE_INFINITY;
          await new Promise((r) => setTimeout(r, 10));
        }
      }),
    );
    process.stdout.write(
      `revocation refused by the 3 instances for requests sent ${seen.map((ms) => ms.toFixed(1)).join(", ")} ms after it\n`,
    );
    for (const ms of seen) expect(ms).toBeLessThanOrEqual(1_000);
  });

  it(`holds one key's limit (${RATE_LIMIT}/s) across the three instances within ±10 %`, async () => {
    const { key } = await newKey("rate limited");
    // Three bursts of three times the limit, a third to each instance, all sent at once; each
    // burst in a window of its own (a key's window starts with its first request and lasts 1 s).
    // A burst whose answers took longer than the window (a loaded machine) may have reached a
    // second window, where more are rightly accepted: it is sent again, at most five times over.
    let accepted = 0;
    const spans: number[] = [];
    let kept = 0;
    for (let attempt = 0; kept < 3 && attempt < 8; attempt++) {
      const started = performance.now();
      const statuses = await Promise.all(
        Array.from({ length: 3 * RATE_LIMIT }, (_, n) =>
          send(scale.urls[n % 3] as string, "GET", "/v1/policies", key).then((a) => a.status),
        ),
      );
      const span = performance.now() - started;
      spans.push(span);
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      if (span < 900) {
        kept += 1;
        accepted += statuses.filter((s) => s === 200).length;
      }
      await new Promise((r) => setTimeout(r, 1_100));
    }
    process.stdout.write(
      `rate limit ${RATE_LIMIT}/s, bursts of ${3 * RATE_LIMIT} over 3 instances (${spans.map((s) => Math.round(s)).join(", ")} ms each; ${kept} within 900 ms kept): ${accepted} accepted\n`,
    );
    expect(kept).toBe(3);
    // Per-instance limits would accept up to three times as many.
    expect(accepted).toBeGreaterThanOrEqual(3 * RATE_LIMIT * 0.9);
    expect(accepted).toBeLessThanOrEqual(3 * RATE_LIMIT * 1.1);
  });

  it("decides nothing twice and loses no acknowledged receipt when an instance is SIGKILLed under load", async () => {
    const valid = await Promise.all(presentationsAhead(scale, 10));
    const template = valid[0]?.presentation;
    if (!template) throw new Error("no presentation");
    const keys = await Promise.all([0, 1, 2, 3].map((n) => newKey(`load ${n}`)));
    const answered: { challengeId: string; answers: Answer[]; after: boolean }[] = [];
    let killed = false;
    const victim = scale.children[1];
    if (!victim) throw new Error("no instance 2");
    const load = Array.from({ length: 4 }, async (_, worker) => {
      const key = (keys[worker] as { key: string }).key;
      for (let n = 0; n < 40; n++) {
        // Four requests an iteration under a key limited to RATE_LIMIT a second: paced so that a
        // fast machine is not refused 429 (this test is about kills, not limits).
        const paced = new Promise((resolve) =>
          setTimeout(resolve, (4 * 1_000) / (RATE_LIMIT * 0.8)),
        );
        const after = killed;
        let challengeId: string;
        let presentation: unknown;
        const validOne = worker === 0 && n < valid.length ? valid[n] : undefined;
        if (validOne) {
          // The valid presentations belong to the sample client key.
          challengeId = validOne.challenge.challengeId;
          presentation = validOne.presentation;
        } else {
          const issued = await send(
            scale.urls[worker % 2] as string,
            "POST",
            "/v1/challenges",
            key,
            {
              policyId: SAMPLE_POLICY_ID,
              subjectHash: scale.api.eligibleSubjectHash.toString(),
            },
          );
          expect(issued.status).toBe(201);
          challengeId = issued.body.challengeId as string;
          presentation = mismatched(template, challengeId);
        }
        const caller = validOne ? scale.api.clientKey : key;
        const answers = await Promise.all(
          scale.urls.map((url) => present(url, caller, presentation)),
        );
        answered.push({ challengeId, answers, after });
        await paced;
        if (worker === 1 && n === 15) {
          await victim.kill();
          killed = true;
        }
      }
    });
    await Promise.all(load);
    expect(killed).toBe(true);

    const ids = answered.map((a) => a.challengeId);
    const decisions = await decisionsOf(scale, ids);
    const acknowledged: string[] = [];
    for (const { challengeId, answers, after } of answered) {
      const d = decisions.get(challengeId);
      // Decided at most once; exactly once if any instance said so.
      expect(d?.consuming, challengeId).toBeLessThanOrEqual(1);
      expect(d?.verified, challengeId).toBeLessThanOrEqual(1);
      const deciding = answers.filter(
        (a) => a.status === 200 && !reasonsOf(a).includes("CHALLENGE_CONSUMED"),
      );
      expect(deciding.length, challengeId).toBeLessThanOrEqual(1);
      if (deciding.length === 1) expect(d?.consuming, challengeId).toBe(1);
      for (const a of answers) {
        const id = receiptIdOf(a);
        if (id) acknowledged.push(id);
        // A decision (200), nothing at all (the killed instance), or the key's rate limit
        // (429: nothing decided); never a 5xx.
        expect([0, 200, 429], challengeId).toContain(a.status);
      }
      // The two others kept answering after the kill.
      if (after) {
        for (const a of answers.slice(0, 2)) expect([200, 429], challengeId).toContain(a.status);
      }
    }
    expect(await missingReceipts(scale, acknowledged)).toEqual([]);
    expect(answered.filter((a) => a.after).length).toBeGreaterThan(40);
    for (const url of scale.urls.slice(0, 2)) {
      expect((await send(url, "GET", "/readyz", undefined)).status).toBe(200);
    }
  }, 600_000);

  it("leaves the data folders of the shared-mode instances empty", async () => {
    expect(await scale.childFoldersEmpty()).toBe(true);
  });
});

if (!services.run) {
  describe("three verifier instances on PostgreSQL and Redis", () => {
    it.skip(`are skipped: ${services.missing}`, () => undefined);
  });
}
