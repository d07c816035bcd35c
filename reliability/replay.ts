/**
 * Replay and malleability (issue 7, item 2). Groth16 proofs are malleable, so a verifier must
 * bind a presentation to its one-time challenge, never to the proof's bytes. On the `npm start`
 * stack this suite shows:
 * - after a presentation is verified, re-randomised proofs of the same statement (valid for the
 *   stateless `/v1/circuits/query/verify`, byte-different) with the same challenge are all
 *   refused `CHALLENGE_CONSUMED`;
 * - of concurrent attempts on one challenge exactly one is verified, whether they are 50 copies
 *   at once, 50 distinct re-randomisations at once, copies inside one `/v1/verifications/batch`
 *   request, or a mix of single and batch requests at once;
 * - the audit log (the verifier's receipts) then holds exactly one verified receipt for each
 *   challenge, the one the challenge names, and one receipt per attempt.
 */

import type { Challenge, Presentation, Verification } from "../client/index.js";
import type { ProofBundle } from "../core/proof.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { rerandomizeProof } from "../support/rerandomize.js";
import { type ApiStack, startApiStack } from "./api-stack.js";
import { SuiteRecorder, type SuiteReport } from "./report.js";

/** Options of {@link runReplay}. */
export interface ReplayOptions {
  /** Re-randomised proofs replayed after the first verification. */
  readonly rerandomizations: number;
  /** Rounds of the four concurrency scenarios (each round costs four proofs). */
  readonly rounds: number;
  /** Attempts sent at once in each scenario (at most 64: one batch request must hold them). */
  readonly concurrency: number;
}

/** What `npm test` runs: one round of each scenario, 50 at once (five proofs, ≈ 30 s). */
export const short: ReplayOptions = { rerandomizations: 5, rounds: 1, concurrency: 50 };

/** What `npm run soak` runs: ten rounds of each scenario (41 proofs, a few minutes). */
export const long: ReplayOptions = { rerandomizations: 20, rounds: 10, concurrency: 50 };

type Scenario = "copies" | "rerandomized" | "batch" | "mixed";
const SCENARIOS: readonly Scenario[] = ["copies", "rerandomized", "batch", "mixed"];

/** One attempt's outcome: a verdict, or the error code / status it failed with. */
type Outcome = { verdict: Verification } | { error: string };

/** Runs the replay suite on its own stack and returns its report. */
export async function runReplay(options: ReplayOptions = short): Promise<SuiteReport> {
  if (options.concurrency < 2 || options.concurrency > 64) {
    throw new RangeError("runReplay: concurrency must be 2 to 64");
  }
  const recorder = new SuiteRecorder("replay");
  // Rate limits are tested elsewhere; here they would only refuse the 50 at once.
  const api = await startApiStack({ env: { CROSSPROOF_RATE_LIMIT: "0" } });
  try {
    await replayRerandomized(api, options, recorder);
    await concurrentRounds(api, options, recorder);
  } finally {
    await api.close();
  }
  return recorder.report();
}

const bundleOf = (p: Presentation): ProofBundle => ({
  proof: p.proof as ProofBundle["proof"],
  publicSignals: p.publicSignals,
});

function codesOf(o: Outcome): string {
  return "verdict" in o ? o.verdict.reasons.map((r) => r.code).join(",") : `error:${o.error}`;
}

async function attempt(send: () => Promise<Verification>): Promise<Outcome> {
  try {
    return { verdict: await send() };
  } catch (err) {
    const e = err as { code?: string; status?: number };
    return { error: e.code ?? String(e.status ?? (err as Error).name) };
  }
}

/** Verified once, then each re-randomisation with the same challenge: valid, different, refused. */
async function replayRerandomized(
  api: ApiStack,
  options: ReplayOptions,
  recorder: SuiteRecorder,
): Promise<void> {
  const vk = api.stack.verifier.verifier.circuit("query").verificationKey;
  const { challenge, presentation } = await api.freshPresentation();
  const first = await api.client.verify(SAMPLE_POLICY_ID, presentation);
  recorder.check(
    "the genuine presentation is verified",
    first.verified,
    first.reasons.map((r) => r.code).join(","),
  );
  const seen = new Set([JSON.stringify(presentation.proof)]);
  let valid = 0;
  let distinct = 0;
  let refusedConsumed = 0;
  const wrong: string[] = [];
  for (let i = 0; i < options.rerandomizations; i++) {
    const twin = await rerandomizeProof(vk, bundleOf(presentation));
    const bytes = JSON.stringify(twin.proof);
    if (!seen.has(bytes)) distinct++;
    seen.add(bytes);
    const check = await api.client.checkProof("query", twin);
    if (check.valid) valid++;
    const outcome = await attempt(() =>
      api.client.verify(SAMPLE_POLICY_ID, { ...presentation, proof: twin.proof }),
    );
    if (codesOf(outcome) === "CHALLENGE_CONSUMED") refusedConsumed++;
    else wrong.push(codesOf(outcome) || "verified");
  }
  const n = options.rerandomizations;
  recorder.figure("rerandomizedReplays", n);
  recorder.figure("rerandomizedValidStateless", valid);
  recorder.figure("rerandomizedRefusedConsumed", refusedConsumed);
  recorder.check(
    "every re-randomised proof is valid for the stateless verify endpoint",
    valid === n,
    `${valid} of ${n}`,
  );
  recorder.check(
    "every re-randomised proof is byte-different from the genuine one and from each other",
    distinct === n,
    `${distinct} of ${n}`,
  );
  recorder.check(
    "every re-randomised replay of a consumed challenge is refused CHALLENGE_CONSUMED",
    refusedConsumed === n,
    wrong.slice(0, 5).join("; "),
  );
  await auditCheck(
    api,
    challenge,
    1 + n,
    first.verified ? first.receiptId : undefined,
    recorder,
    "replays",
  );
}

/** `rounds` × each scenario, `concurrency` attempts at once on one fresh challenge. */
async function concurrentRounds(
  api: ApiStack,
  options: ReplayOptions,
  recorder: SuiteRecorder,
): Promise<void> {
  const vk = api.stack.verifier.verifier.circuit("query").verificationKey;
  const n = options.concurrency;
  let attempts = 0;
  let verified = 0;
  let consumed = 0;
  const failures: string[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (const scenario of SCENARIOS) {
      const { challenge, presentation } = await api.freshPresentation();
      const variants: Presentation[] =
        scenario === "rerandomized"
          ? await Promise.all(
              Array.from({ length: n }, async () => ({
                ...presentation,
                proof: (await rerandomizeProof(vk, bundleOf(presentation))).proof,
              })),
            )
          : Array.from({ length: n }, () => presentation);
      const outcomes = await sendAtOnce(api, scenario, variants);
      const ok = outcomes.filter((o) => "verdict" in o && o.verdict.verified);
      const refused = outcomes.filter((o) => codesOf(o) === "CHALLENGE_CONSUMED");
      attempts += outcomes.length;
      verified += ok.length;
      consumed += refused.length;
      if (ok.length !== 1 || refused.length !== n - 1) {
        const histogram = new Map<string, number>();
        for (const o of outcomes) {
          const c = codesOf(o) || "verified";
          histogram.set(c, (histogram.get(c) ?? 0) + 1);
        }
        failures.push(
          `round ${round} ${scenario}: ${[...histogram].map(([c, k]) => `${c}×${k}`).join(" ")}`,
        );
      }
      const winner = ok[0];
      await auditCheck(
        api,
        challenge,
        n,
        winner && "verdict" in winner ? winner.verdict.receiptId : undefined,
        recorder,
        `round ${round} ${scenario}`,
      );
    }
  }
  const scenarios = options.rounds * SCENARIOS.length;
  recorder.figure("concurrentScenarios", scenarios);
  recorder.figure("concurrentAttemptsPerChallenge", n);
  recorder.figure("concurrentAttempts", attempts);
  recorder.figure("concurrentVerified", verified);
  recorder.figure("concurrentRefusedConsumed", consumed);
  recorder.check(
    `of ${n} concurrent attempts on one challenge exactly one is verified and the others are refused CHALLENGE_CONSUMED (copies, re-randomisations, one batch, singles and batches mixed)`,
    failures.length === 0 && verified === scenarios,
    failures.slice(0, 5).join("; "),
  );
}

/** Sends the attempts of one scenario all at once. */
async function sendAtOnce(
  api: ApiStack,
  scenario: Scenario,
  variants: readonly Presentation[],
): Promise<Outcome[]> {
  const single = (p: Presentation) => attempt(() => api.client.verify(SAMPLE_POLICY_ID, p));
  const batch = async (ps: readonly Presentation[]): Promise<Outcome[]> => {
    try {
      const { results } = await api.client.verifyBatch(
        ps.map((presentation) => ({ policyId: SAMPLE_POLICY_ID, presentation })),
      );
      return results.map((r) =>
        "error" in r ? { error: r.error.code } : { verdict: r as Verification },
      );
    } catch (err) {
      return ps.map(() => ({ error: (err as { code?: string }).code ?? "request failed" }));
    }
  };
  switch (scenario) {
    case "copies":
    case "rerandomized":
      return Promise.all(variants.map(single));
    case "batch":
      return batch(variants);
    case "mixed": {
      // Half as single requests, the rest as batches of five, all sent at once.
      const half = Math.floor(variants.length / 2);
      const batches: Presentation[][] = [];
      for (let i = half; i < variants.length; i += 5) batches.push(variants.slice(i, i + 5));
      const settled = await Promise.all([
        ...variants.slice(0, half).map(async (p) => [await single(p)]),
        ...batches.map(batch),
      ]);
      return settled.flat();
    }
  }
}

/** The audit log of `challenge`: one receipt per attempt, exactly one verified, the winner's. */
async function auditCheck(
  api: ApiStack,
  challenge: Challenge,
  attempts: number,
  winnerReceipt: string | undefined,
  recorder: SuiteRecorder,
  what: string,
): Promise<void> {
  const audit = api.receiptsOf(challenge.challengeId);
  const named = (await api.admin.challenge(challenge.challengeId)).receiptId;
  const ok =
    audit.total === attempts &&
    audit.verified === 1 &&
    audit.ids[0] === winnerReceipt &&
    named === winnerReceipt;
  recorder.check(
    `audit log after ${what}: one receipt per attempt, exactly one verified: the one answered and named by the challenge`,
    ok,
    `${audit.total} receipts for ${attempts} attempts, ${audit.verified} verified, challenge names ${named === winnerReceipt ? "the winner" : "another receipt"}`,
  );
}
