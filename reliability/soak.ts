/**
 * The soak: `crossproof start` in a child process under a mixed load for a fixed time —
 * challenges, genuine presentations (proved by the holder's service, verified, then replayed),
 * stateless proof checks single and batched (genuine and tampered), bad requests of every kind,
 * readiness and metrics polls — while the child's resident memory is sampled. Every answer is
 * compared with what it must be; anything else is an unexpected error.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ApiError,
  type Presentation,
  ProverClient,
  subjectHash,
  VerifierClient,
} from "../client/index.js";
import { FIELD_ORDER } from "../core/field.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { scanLog } from "../support/log-scan.js";
import { type ServiceProcess, startServiceProcess } from "../support/start-process.js";
import { MIB, MixTally, median, paced, round1, slope } from "./load-mix.js";
import { SuiteRecorder, type SuiteReport } from "./report.js";

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** How long the load runs. */
  readonly durationMs: number;
  /** The first part of the run, left out of the memory figures (pools, caches, JIT warm up). */
  readonly warmupMs: number;
  /** How often the child's resident memory is read. */
  readonly sampleEveryMs: number;
  /** Largest growth of resident memory allowed between the first and last third of the run. */
  readonly rssGrowthLimitMiB: number;
  /** Requests per second of each paced loop (challenges, proof checks, bad requests). */
  readonly ratePerLoop: number;
  /** Synthetic records the child imports. */
  readonly records: number;
}

/** What `npm test` runs: 30 s of the mix. */
export const short: SoakOptions = {
  durationMs: 30_000,
  warmupMs: 8_000,
  sampleEveryMs: 1_000,
  rssGrowthLimitMiB: 128,
  ratePerLoop: 10,
  records: 64,
};

/** What `npm run soak` runs: the published 10-minute soak. */
export const long: SoakOptions = {
  durationMs: 600_000,
  warmupMs: 60_000,
  sampleEveryMs: 5_000,
  rssGrowthLimitMiB: 64,
  ratePerLoop: 15,
  records: 200,
};

/** The kinds of request in the mix. */
const KINDS = [
  "challenge",
  "presentation",
  "verification",
  "replay",
  "ineligible",
  "proof-check",
  "proof-batch",
  "unknown-challenge",
  "bad-request",
  "readiness",
] as const;
type Kind = (typeof KINDS)[number];

/** A request whose answer must have this status and carry an error code. */
interface BadRequest {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  /** The key to send: the client's (default), none, or a made-up one. */
  readonly key?: "client" | "none" | "unknown";
  readonly status: number;
}

/** Bad requests the mix cycles through, each with the status it must get. */
const BAD_REQUESTS: readonly BadRequest[] = [
  {
    name: "truncated JSON",
    method: "POST",
    path: "/v1/verifications",
    body: '{"policyId":',
    status: 400,
  },
  {
    name: "wrong types",
    method: "POST",
    path: "/v1/verifications",
    body: '{"policyId":5,"presentation":[]}',
    status: 400,
  },
  { name: "no API key", method: "GET", path: "/v1/policies", key: "none", status: 401 },
  { name: "unknown API key", method: "GET", path: "/v1/policies", key: "unknown", status: 401 },
  {
    name: "admin route, client key",
    method: "POST",
    path: "/v1/policies",
    body: "{}",
    status: 403,
  },
  { name: "unknown route", method: "GET", path: "/v1/nothing-here", status: 404 },
  {
    name: "unknown policy",
    method: "POST",
    path: "/v1/challenges",
    body: '{"policyId":"no-such-policy"}',
    status: 404,
  },
  { name: "unknown receipt", method: "GET", path: "/v1/receipts/rc_unknown", status: 404 },
  {
    name: "not JSON",
    method: "POST",
    path: "/v1/challenges",
    body: "policyId=x",
    contentType: "text/plain",
    status: 415,
  },
  {
    name: "body over the limit",
    method: "POST",
    path: "/v1/challenges",
    body: `{"pad":"${"x".repeat(300 * 1024)}"}`,
    status: 413,
  },
  {
    name: "subject hash of r",
    method: "POST",
    path: "/v1/challenges",
    body: `{"policyId":"${SAMPLE_POLICY_ID}","subjectHash":"${FIELD_ORDER}"}`,
    status: 400,
  },
];

/** A random field element below 2^248, as a subject hash nobody has. */
function randomSubjectHash(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(31));
  return BigInt(`0x${Buffer.from(bytes).toString("hex")}`).toString();
}

/** Runs the soak on a fresh data folder and reports what it saw. */
export async function runSoak(options: SoakOptions): Promise<SuiteReport> {
  const recorder = new SuiteRecorder("soak");
  const dataDir = await mkdtemp(join(tmpdir(), "crossproof-soak-"));
  let service: ServiceProcess | undefined;
  try {
    service = await startServiceProcess({ dataDir, records: options.records });
    const report = await soak(service, options, recorder);
    return report;
  } finally {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The soak's load: concurrent loops, each paced, of presentations (with their verification and
 * replay), proof checks singly and in batches, challenges, unknown challenges, bad requests,
 * readiness and memory samples, until the end of the run.
 */
class SoakLoad {
  readonly tally = new MixTally<Kind>();
  /** Genuine presentations made so far (already consumed): their proofs for stateless checks. */
  readonly proofs: Presentation[] = [];
  readonly samples: { atMs: number; rss: number }[] = [];
  readonly badSeen = new Map<string, number>();
  readonly started = Date.now();
  readonly until: number;
  readonly client: VerifierClient;
  readonly #prover: ProverClient;
  readonly #eligibleHash: bigint;
  readonly #ineligibleHash: bigint;

  constructor(
    private readonly service: ServiceProcess,
    private readonly options: SoakOptions,
  ) {
    this.until = this.started + options.durationMs;
    this.client = new VerifierClient({ url: service.verifierUrl, apiKey: service.clientKey });
    this.#prover = new ProverClient({ url: service.proverUrl });
    const { eligible, ineligible } = service.applicants;
    this.#eligibleHash = subjectHash("credit-report-v1", "subjectId", eligible.subjectId);
    this.#ineligibleHash = subjectHash("credit-report-v1", "subjectId", ineligible.subjectId);
  }

  /** Runs every loop to the end of the run. */
  async run(): Promise<void> {
    await Promise.all([
      this.#presentations(),
      this.#proofChecks(),
      this.#challenges(),
      this.#unknownChallenges(),
      this.#badRequests(),
      this.#readiness(),
      this.#memory(),
    ]);
  }

  async #presentations(): Promise<void> {
    let round = 0;
    while (Date.now() < this.until) {
      round++;
      if (round % 5 === 0) await this.#ineligible();
      else await this.#presentVerifyReplay();
    }
  }

  /** An applicant whose report does not meet the policy: the holder refuses to prove. */
  async #ineligible(): Promise<void> {
    const { client, service } = this;
    await this.tally.time("ineligible", async () => {
      const challenge = await client.issueChallenge(SAMPLE_POLICY_ID, this.#ineligibleHash);
      try {
        await this.#prover.present(service.applicants.ineligible.recordId, challenge);
        return "a presentation for an ineligible applicant";
      } catch (err) {
        return err instanceof ApiError && err.status === 422 ? true : `${err}`;
      }
    });
  }

  /** A genuine presentation, verified, then replayed (refused CHALLENGE_CONSUMED). */
  async #presentVerifyReplay(): Promise<void> {
    const { client, tally, service } = this;
    let presentation: Presentation | undefined;
    await tally.time("presentation", async () => {
      const challenge = await client.issueChallenge(SAMPLE_POLICY_ID, this.#eligibleHash);
      presentation = await this.#prover.present(service.applicants.eligible.recordId, challenge);
      return true;
    });
    if (!presentation) return;
    const genuine = presentation;
    await tally.time("verification", async () => {
      const v = await client.verify(SAMPLE_POLICY_ID, genuine);
      return v.verified ? true : `refused: ${v.reasons.map((r) => r.code).join(",")}`;
    });
    await tally.time("replay", async () => {
      const v = await client.verify(SAMPLE_POLICY_ID, genuine);
      const codes = v.reasons.map((r) => r.code);
      return !v.verified && codes.includes("CHALLENGE_CONSUMED")
        ? true
        : `replay answered verified=${v.verified} ${codes.join(",")}`;
    });
    this.proofs.push(genuine);
    if (this.proofs.length > 32) this.proofs.shift();
  }

  #pick(): Presentation {
    return this.proofs[Math.floor(Math.random() * this.proofs.length)] as Presentation;
  }

  /** Genuine proofs (one in four tampered) checked statelessly; every tenth check a batch of 16. */
  async #proofChecks(): Promise<void> {
    let n = 0;
    await paced(this.until, this.options.ratePerLoop, async () => {
      if (this.proofs.length === 0) return;
      n++;
      if (n % 10 === 0) await this.#proofBatch();
      else await this.#proofCheck(n % 4 !== 0);
    });
  }

  async #proofBatch(): Promise<void> {
    const items = Array.from({ length: 16 }, (_, i) => ({ genuine: i % 4 !== 0, p: this.#pick() }));
    await this.tally.time("proof-batch", async () => {
      const answer = await this.client.checkProofs(
        "query",
        items.map(({ genuine, p }) =>
          genuine ? { proof: p.proof, publicSignals: p.publicSignals } : tamper(p),
        ),
      );
      const wrong = answer.results.filter((r, i) => r.valid !== items[i]?.genuine).length;
      return answer.results.length === items.length && wrong === 0
        ? true
        : `${wrong} of ${items.length} batch results wrong`;
    });
  }

  async #proofCheck(genuine: boolean): Promise<void> {
    const p = this.#pick();
    await this.tally.time("proof-check", async () => {
      const answer = await this.client.checkProof(
        "query",
        genuine ? { proof: p.proof, publicSignals: p.publicSignals } : tamper(p),
      );
      return answer.valid === genuine ? true : `valid=${answer.valid} for genuine=${genuine}`;
    });
  }

  #challenges(): Promise<void> {
    return paced(this.until, this.options.ratePerLoop, async () => {
      await this.tally.time("challenge", async () => {
        const c = await this.client.issueChallenge(SAMPLE_POLICY_ID, randomSubjectHash());
        const again = await this.client.challenge(c.challengeId);
        return again.challengeId === c.challengeId ? true : "the challenge read back differs";
      });
    });
  }

  #unknownChallenges(): Promise<void> {
    return paced(this.until, this.options.ratePerLoop / 5, async () => {
      if (this.proofs.length === 0) return;
      await this.tally.time("unknown-challenge", async () => {
        const v = await this.client.verify(SAMPLE_POLICY_ID, {
          ...this.#pick(),
          challengeId: `ch_${randomSubjectHash().slice(0, 20)}`,
        });
        const codes = v.reasons.map((r) => r.code);
        return !v.verified && codes.length > 0 ? true : `verified=${v.verified}`;
      });
    });
  }

  async #badRequests(): Promise<void> {
    let i = 0;
    await paced(this.until, this.options.ratePerLoop, async () => {
      const bad = BAD_REQUESTS[i++ % BAD_REQUESTS.length] as BadRequest;
      await this.tally.time("bad-request", () => this.#badRequest(bad));
    });
  }

  /** One bad request: its status and a stable code, or what came instead. */
  async #badRequest(bad: BadRequest): Promise<true | string> {
    const headers: Record<string, string> = {};
    if (bad.key !== "none")
      headers.authorization = `Bearer ${bad.key === "unknown" ? "cpk.nobody.0000" : this.service.clientKey}`;
    if (bad.body !== undefined) headers["content-type"] = bad.contentType ?? "application/json";
    const response = await fetch(`${this.service.verifierUrl}${bad.path}`, {
      method: bad.method,
      headers,
      ...(bad.body === undefined ? {} : { body: bad.body }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json().catch(() => undefined)) as
      | { error?: { code?: unknown } }
      | undefined;
    const code = typeof body?.error?.code === "string" ? body.error.code : "no code";
    const seen = `${response.status} ${code}`;
    this.badSeen.set(seen, (this.badSeen.get(seen) ?? 0) + 1);
    return response.status === bad.status && code !== "no code"
      ? true
      : `${bad.name}: ${response.status} ${code}`;
  }

  #readiness(): Promise<void> {
    return paced(this.until, 1, async () => {
      await this.tally.time("readiness", async () => {
        const ready = await this.client.ready();
        const metrics = await fetch(`${this.service.verifierUrl}/metrics`, {
          signal: AbortSignal.timeout(30_000),
        });
        return ready.ready && metrics.ok ? true : `ready=${ready.ready} metrics=${metrics.status}`;
      });
    });
  }

  #memory(): Promise<void> {
    return paced(this.until, 1_000 / this.options.sampleEveryMs, async () => {
      this.samples.push({ atMs: Date.now() - this.started, rss: await this.service.rssBytes() });
    });
  }
}

/** A genuine proof with its first public signal changed: it must not check. */
function tamper(p: Presentation): { proof: Presentation["proof"]; publicSignals: string[] } {
  const signals = [...p.publicSignals];
  signals[0] = ((BigInt(signals[0] as string) + 1n) % FIELD_ORDER).toString();
  return { proof: p.proof, publicSignals: signals };
}

/** The figures of a finished load: requests, outcomes and latencies by kind. */
function recordLoad(recorder: SuiteRecorder, load: SoakLoad, elapsedS: number): void {
  const { tally, badSeen } = load;
  const requests = tally.total("expected") + tally.total("unexpected");
  recorder.figure("durationS", round1(elapsedS));
  recorder.figure("requests", requests);
  recorder.figure("requestsPerSecond", round1(requests / elapsedS));
  recorder.figure("unexpectedErrors", tally.total("unexpected"));
  tally.recordKinds(recorder, KINDS);
  recorder.figure("badRequestKinds", BAD_REQUESTS.length);
  recorder.figure(
    "badRequestAnswers",
    [...badSeen].map(([answer, n]) => `${answer} ×${n}`).join(", "),
  );
}

/** Memory after warm-up (first third against last third, and the slope); its growth in MiB. */
function recordMemory(
  recorder: SuiteRecorder,
  load: SoakLoad,
  options: SoakOptions,
): { steady: number; growth: number } {
  const { samples } = load;
  const steady = samples.filter((s) => s.atMs >= options.warmupMs);
  const third = Math.max(1, Math.floor(steady.length / 3));
  const first = median(steady.slice(0, third).map((s) => s.rss)) / MIB;
  const last = median(steady.slice(-third).map((s) => s.rss)) / MIB;
  const growth = last - first;
  const perMinute =
    slope(
      steady.map((s) => s.atMs / 60_000),
      steady.map((s) => s.rss / MIB),
    ) || 0;
  recorder.figure("rssSamples", samples.length);
  recorder.figure("rssAfterWarmupMiB", round1(first));
  recorder.figure("rssEndMiB", round1(last));
  recorder.figure("rssMaxMiB", round1(Math.max(...samples.map((s) => s.rss)) / MIB));
  recorder.figure("rssGrowthMiB", round1(growth));
  recorder.figure("rssSlopeMiBPerMin", round1(perMinute));
  return { steady: steady.length, growth };
}

async function soak(
  service: ServiceProcess,
  options: SoakOptions,
  recorder: SuiteRecorder,
): Promise<SuiteReport> {
  const load = new SoakLoad(service, options);
  await load.run();
  recordLoad(recorder, load, (Date.now() - load.started) / 1_000);
  const { steady, growth } = recordMemory(recorder, load, options);
  const { tally, client } = load;
  // Invariants.
  recorder.check(
    "every answer was the one it must be (zero unexpected errors)",
    tally.total("unexpected") === 0,
    tally.unexpected.join("; "),
  );
  tally.checkIncluded(recorder, [
    "verification",
    "replay",
    "proof-check",
    "challenge",
    "bad-request",
  ]);
  recorder.check(
    `resident memory stable: grew ${round1(growth)} MiB after warm-up (limit ${options.rssGrowthLimitMiB})`,
    steady >= 3 && growth <= options.rssGrowthLimitMiB,
    `${steady} samples after warm-up`,
  );
  const ready = await client.ready();
  recorder.check("the service is ready at the end", ready.ready === true);
  const logProblems = scanLog(await readFile(service.logFile, "utf8").catch(() => ""));
  recorder.checkNone("no record data, salt, path or body in the service's log", logProblems);
  return recorder.report();
}
