/**
 * The mutation phase of the fuzz: field and byte mutations of each target presentation, sent in
 * named steps: stateless (`/v1/circuits/query/verify`, singly and in batches), stateful with a
 * fresh challenge each, with another client's key against the owner's challenge, and against the
 * presentation's own challenge (shape refusals first: they must consume nothing).
 */
import { parseProofBundle } from "../../core/proof.js";
import { SAMPLE_POLICY_ID } from "../../deploy/local.js";
import type { ApiStack } from "../api-stack.js";
import type { FuzzOptions } from "../fuzz.js";
import type { SuiteRecorder } from "../report.js";
import { byteMutations, fieldMutations, labelOf, means, positionsOf } from "./mutations.js";
import type { Genuine } from "./requests.js";
import { CHECK_VERIFIED, pool, send, type Tally } from "./send.js";
import { Entries, edit, toJson, type Value } from "./values.js";

/** What the phase counted, for its checks and figures. */
class Counts {
  statelessSingle = 0;
  statelessBatch = 0;
  disagreements = 0;
  equivalentValid = 0;
  freshSent = 0;
  freshRefused = 0;
  crossClientSent = 0;
  crossClientUnknown = 0;
  crossClientGenuine = 0;
  crossClientConsumed = 0;
  nonConsuming = 0;
  cleanVerified = 0;
  equivalentVerified = 0;
  /** Verdicts `verified: true` by challenge id. */
  readonly perChallenge = new Map<string, number>();
}

/** One target presentation and its mutations. */
interface Target {
  readonly index: number;
  readonly genuine: Genuine;
  readonly bundle: { proof: unknown; publicSignals: readonly string[] };
  readonly request: { policyId: string; presentation: Genuine["presentation"] };
  readonly requestText: string;
  readonly fields: ReturnType<typeof fieldMutations>;
  readonly bundleBytes: ReturnType<typeof byteMutations>;
  readonly requestBytes: ReturnType<typeof byteMutations>;
}

/** What every step is given. */
interface Phase {
  readonly api: ApiStack;
  readonly tally: Tally;
  readonly options: FuzzOptions;
  readonly leaks: readonly string[];
  readonly counts: Counts;
}

function targetOf(genuine: Genuine, index: number, options: FuzzOptions): Target {
  const seed = options.seed + 1 + index;
  const bundle = {
    proof: genuine.presentation.proof,
    publicSignals: genuine.presentation.publicSignals,
  };
  const request = { policyId: SAMPLE_POLICY_ID, presentation: genuine.presentation };
  const bundleText = JSON.stringify(bundle);
  const requestText = JSON.stringify(request);
  return {
    index,
    genuine,
    bundle,
    request,
    requestText,
    fields: fieldMutations(bundle),
    bundleBytes: byteMutations(
      bundleText,
      positionsOf(bundleText.length, options.bytePositions, seed),
      seed,
    ),
    requestBytes: byteMutations(
      requestText,
      positionsOf(requestText.length, options.bytePositions, seed + 1000),
      seed + 1000,
    ),
  };
}

/** A presentation request (any text) to the stateful endpoint, counted as a mutation. */
function presentMutation(phase: Phase, body: string, key = phase.api.clientKey) {
  phase.tally.mutatedPresentations++;
  return send(
    phase.api,
    phase.tally,
    {
      service: "verifier",
      route: "/v1/verifications",
      method: "POST",
      path: "/v1/verifications",
      body,
      key,
    },
    phase.leaks,
  );
}

/**
 * Stateless, one at a time: every mutated bundle, valid only when it means the genuine one.
 * Returns each text's validity by index, for the batch step to agree with.
 */
async function statelessSingles(
  phase: Phase,
  t: Target,
  texts: readonly string[],
): Promise<Map<number, boolean>> {
  const { api, tally, options, leaks, counts } = phase;
  const single = new Map<number, boolean>();
  await pool(
    texts.map((text, i) => [text, i] as const),
    options.concurrency,
    async ([text, i]) => {
      tally.mutatedPresentations++;
      const answer = await send(
        api,
        tally,
        {
          service: "verifier",
          route: "/v1/circuits/{name}/verify",
          method: "POST",
          path: "/v1/circuits/query/verify",
          body: text,
          key: api.clientKey,
          genuine: "bundle",
        },
        leaks,
      );
      if (answer?.status !== 200) return;
      counts.statelessSingle++;
      const valid = (answer.body as { valid?: unknown }).valid === true;
      single.set(i, valid);
      if (valid !== means(text, t.bundle)) {
        tally.fail(
          CHECK_VERIFIED,
          `stateless verify: valid ${valid} for ${labelOf(i, t.fields, t.bundleBytes)}`,
        );
      }
      if (valid && means(text, t.bundle)) counts.equivalentValid++;
    },
  );
  return single;
}

/** Stateless, in batches of 64: the parseable texts; each result agrees with its single check. */
async function statelessBatches(
  phase: Phase,
  t: Target,
  texts: readonly string[],
  single: ReadonlyMap<number, boolean>,
): Promise<void> {
  const { api, tally, leaks, counts } = phase;
  const parseable = texts
    .map((text, i) => [text, i] as const)
    .filter(([text]) => {
      try {
        JSON.parse(text);
        return true;
      } catch {
        return false;
      }
    });
  const chunks: (readonly [string, number])[][] = [];
  for (let i = 0; i < parseable.length; i += 64) chunks.push(parseable.slice(i, i + 64));
  await pool(chunks, 2, async (chunk) => {
    const answer = await send(
      api,
      tally,
      {
        service: "verifier",
        route: "/v1/circuits/{name}/verify/batch",
        method: "POST",
        path: "/v1/circuits/query/verify/batch",
        body: `{"items":[${chunk.map(([text]) => text).join(",")}]}`,
        key: api.clientKey,
        genuine: "bundles",
      },
      leaks,
    );
    if (answer?.status !== 200) return;
    const results = (answer.body as { results: { valid: boolean }[] }).results;
    chunk.forEach(([text, i], n) => {
      const valid = results[n]?.valid === true;
      counts.statelessBatch++;
      if (valid !== means(text, t.bundle)) {
        tally.fail(
          CHECK_VERIFIED,
          `stateless batch: valid ${valid} for ${labelOf(i, t.fields, t.bundleBytes)}`,
        );
      }
      if (single.has(i) && single.get(i) !== valid) counts.disagreements++;
    });
  });
}

/** Stateful, fresh challenges: each field mutation with a challenge nobody used; all refused. */
async function freshChallengeMutations(phase: Phase, t: Target): Promise<void> {
  const { api, tally, options, counts } = phase;
  await pool(t.fields, options.concurrency, async (f) => {
    const fresh = await api.freshChallenge();
    const mutated = edit(f.value, [], {
      kind: "add",
      key: "challengeId",
      with: fresh.challengeId,
    }) as Value;
    const body = toJson(
      new Entries([
        ["policyId", SAMPLE_POLICY_ID],
        ["presentation", mutated],
      ]),
    );
    counts.freshSent++;
    const answer = await presentMutation(phase, body);
    if (!answer) return;
    // Refused: a 4xx (the body parser refuses a `__proto__` key, for one) or verified: false.
    if (answer.status === 200 && (answer.body as { verified?: unknown }).verified === true) {
      tally.fail(CHECK_VERIFIED, `fresh challenge: verified ${f.label}`);
    } else if (answer.status < 500) counts.freshRefused++;
  });
}

/**
 * Stateful, another client's challenge: the genuine request and every byte mutation of it, sent
 * with the second client's key, verify nothing and leave the owner's challenge unused (it is used
 * by the next step). A parseable answer names the challenge as unknown.
 */
async function crossClientMutations(phase: Phase, t: Target): Promise<void> {
  const { api, tally, options, counts } = phase;
  await pool(
    [{ label: "genuine", text: t.requestText }, ...t.requestBytes],
    options.concurrency,
    async (b) => {
      counts.crossClientSent++;
      const answer = await presentMutation(phase, b.text, api.otherClientKey);
      if (answer?.status !== 200) return;
      const verdict = answer.body as { verified?: unknown; reasons?: { code?: unknown }[] };
      if (verdict.verified === true) {
        tally.fail(CHECK_VERIFIED, `another client's challenge: verified ${b.label}`);
      }
      const codes = verdict.reasons?.map((r) => r.code) ?? [];
      if (codes.includes("CHALLENGE_UNKNOWN")) counts.crossClientUnknown++;
      if (b.text === t.requestText && codes.join() === "CHALLENGE_UNKNOWN") {
        counts.crossClientGenuine++;
      }
    },
  );
  if ((await api.client.challenge(t.genuine.challenge.challengeId)).consumedAt !== null) {
    counts.crossClientConsumed++;
  }
}

/** Whether a request text is refused at the shape step (before its challenge is looked at). */
function refusedAtShape(text: string, t: Target): boolean {
  try {
    const parsed = JSON.parse(text) as { policyId?: unknown; presentation?: unknown };
    const p = parsed.presentation as Record<string, unknown> | null;
    if (typeof p !== "object" || p === null || Array.isArray(p)) return true;
    const { challengeId, ...rest } = p;
    if (challengeId !== t.genuine.challenge.challengeId) return false; // another challenge's answer
    if (Object.keys(parsed).length !== 2 || parsed.policyId !== SAMPLE_POLICY_ID) return false;
    parseProofBundle(rest, t.bundle.publicSignals.length);
    return false;
  } catch {
    return true;
  }
}

/** Counts a verified answer to a mutation on its own challenge: only the genuine, only once. */
async function ownChallengeMutation(phase: Phase, t: Target, text: string): Promise<void> {
  const { tally, counts } = phase;
  const answer = await presentMutation(phase, text);
  if (answer?.status !== 200) return;
  const verdict = answer.body as { verified?: unknown; challengeId?: unknown };
  if (verdict.verified !== true) return;
  const id = String(verdict.challengeId);
  counts.perChallenge.set(id, (counts.perChallenge.get(id) ?? 0) + 1);
  if (means(text, t.request)) counts.equivalentVerified++;
  if (!means(text, t.request)) tally.fail(CHECK_VERIFIED, "own challenge: verified a mutation");
  else if ((counts.perChallenge.get(id) ?? 0) > 1) {
    tally.fail(CHECK_VERIFIED, "own challenge: verified twice");
  }
}

/**
 * Stateful, own challenge: for the first target, the mutations refused at the shape step first
 * (they must consume nothing: the genuine presentation still verifies after them), then the rest.
 */
async function ownChallengeMutations(phase: Phase, t: Target): Promise<void> {
  const { api, options, counts } = phase;
  const firstPass = t.index === 0 ? t.requestBytes.filter((b) => refusedAtShape(b.text, t)) : [];
  const secondPass = t.requestBytes.filter((b) => !firstPass.includes(b));
  await pool(firstPass, options.concurrency, (b) => ownChallengeMutation(phase, t, b.text));
  counts.nonConsuming += firstPass.length;
  if (t.index === 0) {
    const verdict = await api.client.verify(SAMPLE_POLICY_ID, t.genuine.presentation);
    if (verdict.verified) counts.cleanVerified++;
    const id = t.genuine.challenge.challengeId;
    counts.perChallenge.set(id, (counts.perChallenge.get(id) ?? 0) + (verdict.verified ? 1 : 0));
  }
  await pool(secondPass, options.concurrency, (b) => ownChallengeMutation(phase, t, b.text));
}

function record(recorder: SuiteRecorder, counts: Counts, targets: number): void {
  recorder.figure("statelessMutationsChecked", counts.statelessSingle + counts.statelessBatch);
  recorder.figure("freshChallengeMutations", counts.freshSent);
  recorder.figure("shapeRefusedMutationsBeforeGenuine", counts.nonConsuming);
  // Byte mutations that parse to the genuine values (whitespace): the genuine proof, rightly
  // valid (stateless), and verified when its challenge was still fresh.
  recorder.figure("equivalentMutationsValidStateless", counts.equivalentValid);
  recorder.figure("equivalentMutationsVerified", counts.equivalentVerified);
  recorder.check(
    "single and batch stateless verification agree on every mutated proof",
    counts.disagreements === 0,
    `${counts.disagreements} disagreements`,
  );
  recorder.figure("crossClientPresentations", counts.crossClientSent);
  recorder.figure("crossClientAnsweredUnknown", counts.crossClientUnknown);
  recorder.check(
    "another client's presentations consume nothing: every target challenge is unused after them",
    counts.crossClientConsumed === 0,
    `${counts.crossClientConsumed} of ${targets} consumed`,
  );
  recorder.check(
    "another client's genuine presentation is answered CHALLENGE_UNKNOWN",
    counts.crossClientGenuine === targets,
    `${counts.crossClientGenuine} of ${targets}`,
  );
  recorder.check(
    "every field mutation with a fresh challenge is refused",
    counts.freshRefused === counts.freshSent,
    `${counts.freshRefused} of ${counts.freshSent}`,
  );
  recorder.check(
    "mutations refused at the shape step consume nothing: the genuine presentation is verified after them",
    targets === 0 || counts.cleanVerified === 1,
    `${counts.nonConsuming} refused first`,
  );
}

/** Field and byte mutations of each target presentation, stateless and stateful. */
export async function mutationPhase(
  api: ApiStack,
  tally: Tally,
  options: FuzzOptions,
  targets: readonly Genuine[],
  leaks: readonly string[],
  recorder: SuiteRecorder,
): Promise<void> {
  const phase: Phase = { api, tally, options, leaks, counts: new Counts() };
  for (const [index, genuine] of targets.entries()) {
    const t = targetOf(genuine, index, options);
    const texts = [...t.fields.map((f) => toJson(f.value)), ...t.bundleBytes.map((b) => b.text)];
    const single = await statelessSingles(phase, t, texts);
    await statelessBatches(phase, t, texts, single);
    await freshChallengeMutations(phase, t);
    await crossClientMutations(phase, t);
    await ownChallengeMutations(phase, t);
  }
  record(recorder, phase.counts, targets.length);
}
