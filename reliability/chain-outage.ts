/**
 * Suite `chain-outage`: the `npm start` stack (`startApiStack`) under a mixed load from several
 * concurrent loops (challenges, generic proof checks, batch and single verifications of genuine
 * presentations, readiness polls) while its chain node is SIGKILLed, kept down a few seconds and
 * started again on the same folder and port. Just before each outage the issuer anchors a new
 * root and revokes the previous one, which some of the presentations were made against.
 *
 * It shows that `/readyz` fails within a bound of the kill and recovers; that while the node is
 * down a verification is a 503 REGISTRY_UNAVAILABLE that consumes nothing, or else (from the
 * root cache) a correct verdict, never a 500 nor a ROOT_UNKNOWN; that nothing is verified
 * wrongly (no presentation against the revoked root, none twice); that after recovery each
 * presentation refused with 503 verifies exactly once; and that no request hangs.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { LocalNode } from "../chain/local-node.js";
import { ApiError, type Presentation, type Verification, VerifierClient } from "../client/index.js";
import { getSchema } from "../core/schema.js";
import { SAMPLE_POLICY_ID } from "../deploy/local.js";
import { anchorNewRecords } from "../issuer/anchor.js";
import { readImportFile } from "../issuer/import-file.js";
import { syntheticRecordRows } from "../issuer/synthetic.js";
import { scanLog } from "../support/log-scan.js";
import { type ApiStack, startApiStack } from "./api-stack.js";
import { SuiteRecorder, type SuiteReport } from "./report.js";

/** Options of {@link runChainOutage}. */
export interface ChainOutageOptions {
  /** Kill/restart cycles of the chain node. */
  readonly cycles: number;
  /** How long the node stays down each time. */
  readonly outageMs: number;
  /** Genuine presentations against the live root, sent from the kill on, per cycle. */
  readonly genuine: number;
  /** Presentations against the root revoked just before the outage, per cycle. */
  readonly revoked: number;
  /** Concurrent verification loops (plus one loop each of challenges, proof checks, readiness). */
  readonly loops: number;
  /** Synthetic records the issuer imports on first start. */
  readonly records: number;
  /** The service's `CROSSPROOF_REQUEST_TIMEOUT_MS`; no request may take much longer. */
  readonly requestTimeoutMs: number;
  /** `/readyz` must fail within this of the kill, and answer 200 within this of the restart. */
  readonly readinessBoundMs: number;
}

/** The preset `npm test` runs: one outage of 3 s. */
export const short: ChainOutageOptions = {
  cycles: 1,
  outageMs: 3_000,
  genuine: 6,
  revoked: 3,
  loops: 3,
  records: 64,
  requestTimeoutMs: 10_000,
  readinessBoundMs: 5_000,
};

/** The preset `npm run soak` runs: several outages under a longer load. */
export const long: ChainOutageOptions = {
  cycles: 3,
  outageMs: 6_000,
  genuine: 14,
  revoked: 4,
  loops: 4,
  records: 200,
  requestTimeoutMs: 10_000,
  readinessBoundMs: 5_000,
};

/** The verifier's registry event poll (`CROSSPROOF_ROOT_POLL_MS`). */
const POLL_MS = 100;
/** Longest the verifier may take to see a confirmed revocation (its bound is one poll). */
const REVOCATION_SEEN_MS = 5_000;

/** One presentation sent during a cycle, and what became of it. */
interface Item {
  readonly presentation: Presentation;
  /** `verified` for a genuine presentation; `ROOT_REVOKED` for one against the revoked root. */
  readonly expected: "verified" | "ROOT_REVOKED";
  refused503: number;
  decided: number;
  verified: number;
}

type Phase = "before" | "outage" | "after";

/** `verified`, or the reason codes of a refusal. */
const verdictName = (v: Verification): string =>
  v.verified ? "verified" : v.reasons.map((r) => r.code).join("+");

/** What the suite saw over all its cycles: the evidence its checks and figures are made of. */
class Observations {
  /** Requests by `phase.request.outcome`. */
  readonly outcomes: Record<string, number> = {};
  /** Wrong answers: a wrong verdict, a 5xx other than REGISTRY_UNAVAILABLE. */
  readonly wrong: string[] = [];
  /** Requests with no answer at all. */
  readonly hung: string[] = [];
  /** Readiness outside its bounds. */
  readonly readiness: string[] = [];
  /** Presentations decided other than exactly once. */
  readonly twice: string[] = [];
  /** Presentations refused with 503 and not decided exactly once afterwards. */
  readonly resentProblems: string[] = [];
  /** Challenges consumed though their presentation was refused with 503. */
  readonly notConsumedBefore: string[] = [];
  readonly toFailure: number[] = [];
  readonly toRecovery: number[] = [];
  maxLatencyMs = 0;
  resent = 0;
  resentVerified = 0;
  resentRevoked = 0;
  /** Verdicts (200) of the outage from the root cache while the node was down… */
  verdictsWhileDown = 0;
  /** …and after it was started again but before `/readyz` said so. */
  verdictsBeforeReady = 0;

  count(name: string): void {
    this.outcomes[name] = (this.outcomes[name] ?? 0) + 1;
  }

  /** The sum of the counts whose name starts with `prefix`. */
  sum(prefix: string): number {
    return Object.entries(this.outcomes)
      .filter(([k]) => k.startsWith(prefix))
      .reduce((a, [, n]) => a + n, 0);
  }

  /** Records a verdict on an item, and whether it was the one expected. */
  decide(item: Item, v: Verification): void {
    item.decided++;
    if (v.verified) item.verified++;
    const codes = v.reasons.map((r) => r.code).join(",");
    const ok = item.expected === "verified" ? v.verified : !v.verified && codes === "ROOT_REVOKED";
    if (!ok) this.wrong.push(`expected ${item.expected}, got ${v.verified ? "verified" : codes}`);
  }
}

/**
 * One cycle's load and clock: loops of challenges, proof checks and readiness polls from the
 * start, and verification loops that drain `queue` once the load is opened. A presentation
 * refused with 503 goes back on the queue.
 */
class CycleLoad {
  phase: Phase = "before";
  /** The verification loops start once readiness failed (the root cache is then empty). */
  loadOpen = false;
  killedAt = 0;
  restartedAt = 0;
  recoveredAt = 0;
  failedAt = 0;
  readonly queue: Item[];
  #stop = false;
  #loops: Promise<void>[] = [];

  constructor(
    private readonly client: VerifierClient,
    private readonly seen: Observations,
    private readonly api: ApiStack,
    readonly items: readonly Item[],
  ) {
    this.queue = [...items];
  }

  /** Starts the loops: `verificationLoops` of verifications plus one of each other kind. */
  start(verificationLoops: number, bundle: { proof: unknown; publicSignals: unknown }): void {
    this.#loops = [
      this.#every(25, () =>
        this.#timed("challenge", () =>
          this.client.issueChallenge(SAMPLE_POLICY_ID, this.api.eligibleSubjectHash),
        ),
      ),
      this.#every(25, async () => {
        const check = await this.#timed("proofCheck", () =>
          this.client.checkProof("query", bundle),
        );
        if (!(check instanceof ApiError) && !check.valid)
          this.seen.wrong.push("proof check: not valid");
      }),
      this.#every(50, () => this.#pollReadiness()),
      ...Array.from({ length: verificationLoops }, (_, loop) =>
        this.#every(20, () => this.#verifyNext(loop)),
      ),
    ];
  }

  /** Stops the loops and waits for the requests in flight. */
  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#loops);
  }

  /** Takes `item` off the queue and verifies it now. */
  async verifyNow(item: Item | undefined): Promise<void> {
    if (!item) return;
    this.queue.splice(this.queue.indexOf(item), 1);
    await this.#verifyOne(item);
  }

  async #every(pauseMs: number, step: () => Promise<unknown>): Promise<void> {
    while (!this.#stop) {
      await step();
      await delay(pauseMs);
    }
  }

  async #verifyNext(loop: number): Promise<void> {
    if (!this.loadOpen || this.queue.length === 0) return;
    const a = this.queue.shift() as Item;
    if (loop === 0 && this.queue.length > 0) await this.#verifyTwo(a, this.queue.shift() as Item);
    else await this.#verifyOne(a);
  }

  async #pollReadiness(): Promise<void> {
    const at = this.phase;
    const ready = await this.#timed(
      "readyz",
      () => this.client.ready(),
      (r) => (r.ready ? "200" : "503"),
    );
    if (ready instanceof ApiError) return;
    const now = performance.now();
    if (at === "outage" && !ready.ready && this.failedAt === 0) this.failedAt = now;
    if (this.restartedAt > 0 && ready.ready && this.recoveredAt === 0) {
      this.recoveredAt = now;
      this.phase = "after";
    }
  }

  /** One request of the load, counted by phase (at its start) and outcome. */
  async #timed<T>(
    what: string,
    call: () => Promise<T>,
    outcome: (result: T) => string = () => "200",
  ): Promise<T | ApiError> {
    const at = this.phase;
    const started = performance.now();
    try {
      const result = await call();
      this.seen.count(`${at}.${what}.${outcome(result)}`);
      return result;
    } catch (err) {
      if (!(err instanceof ApiError)) {
        this.seen.hung.push(`${what}: ${(err as Error).name}`);
        this.seen.count(`${at}.${what}.noAnswer`);
        return new ApiError(0, "NO_ANSWER", (err as Error).message);
      }
      this.seen.count(`${at}.${what}.${err.status}.${err.code}`);
      if (err.status >= 500 && err.code !== "REGISTRY_UNAVAILABLE") {
        this.seen.wrong.push(`${what}: ${err.status} ${err.code}`);
      }
      return err;
    } finally {
      this.seen.maxLatencyMs = Math.max(this.seen.maxLatencyMs, performance.now() - started);
    }
  }

  /** A verdict of the load; one given while the node is down can only come from the cache. */
  #verdict(item: Item, v: Verification): void {
    if (this.phase === "outage" && this.restartedAt === 0) this.seen.verdictsWhileDown++;
    else if (this.phase === "outage") this.seen.verdictsBeforeReady++;
    this.seen.decide(item, v);
  }

  /** Counts a 503 on an item and puts it back on the queue to be sent again. */
  #refused(item: Item): void {
    item.refused503++;
    this.queue.push(item);
  }

  async #verifyOne(item: Item): Promise<void> {
    const answer = await this.#timed(
      "verify",
      () => this.client.verify(SAMPLE_POLICY_ID, item.presentation),
      (v) => `200.${verdictName(v)}`,
    );
    if (!(answer instanceof ApiError)) this.#verdict(item, answer);
    else if (answer.code === "REGISTRY_UNAVAILABLE") this.#refused(item);
  }

  async #verifyTwo(a: Item, b: Item): Promise<void> {
    const at = this.phase;
    const answer = await this.#timed("verifyBatch", () =>
      this.client.verifyBatch([
        { policyId: SAMPLE_POLICY_ID, presentation: a.presentation },
        { policyId: SAMPLE_POLICY_ID, presentation: b.presentation },
      ]),
    );
    if (answer instanceof ApiError) {
      if (answer.code === "REGISTRY_UNAVAILABLE") for (const item of [a, b]) this.#refused(item);
      return;
    }
    answer.results.forEach((r, i) => {
      const item = i === 0 ? a : b;
      if ("error" in r) {
        this.seen.count(`${at}.verifyBatch.item.${r.error.code}`);
        if (r.error.code === "REGISTRY_UNAVAILABLE") this.#refused(item);
        else this.seen.wrong.push(`batch item: ${r.error.code}`);
      } else {
        this.seen.count(`${at}.verifyBatch.item.${verdictName(r)}`);
        this.#verdict(item, r);
      }
    });
  }
}

/** `n` presentations for fresh challenges, two proved at a time (the prover has two workers). */
async function presentations(
  api: ApiStack,
  n: number,
  expected: Item["expected"],
): Promise<Item[]> {
  const made: Item[] = [];
  for (let i = 0; i < n; i += 2) {
    const pair = await Promise.all(
      Array.from({ length: Math.min(2, n - i) }, () => api.freshPresentation()),
    );
    for (const { presentation } of pair) {
      made.push({ presentation, expected, refused503: 0, decided: 0, verified: 0 });
    }
  }
  return made;
}

/** The issuer imports 16 more records and anchors them: the old root and the new one. */
async function anchorNewRoot(
  api: ApiStack,
  dataFolder: string,
  cycle: number,
): Promise<{ oldRoot: bigint; newRoot: bigint }> {
  const { stack } = api;
  const schema = getSchema("credit-report-v1");
  const oldRoot = stack.vault.latestRoot(schema.id)?.root as bigint;
  const name = `more-${cycle}.jsonl`;
  const file = join(dataFolder, name);
  await writeFile(
    file,
    syntheticRecordRows({ count: 16, seed: 1_000 + cycle })
      .map((r) => `${JSON.stringify(r)}\n`)
      .join(""),
  );
  await stack.vault.importRecords(schema, await readImportFile(file, schema), name);
  await anchorNewRecords(stack.vault, stack.chain.registry);
  return { oldRoot, newRoot: stack.vault.latestRoot(schema.id)?.root as bigint };
}

/** Genuine and revoked presentations interleaved, so both kinds meet every part of the outage. */
function interleave(genuine: readonly Item[], revoked: readonly Item[]): Item[] {
  const items = genuine.flatMap((g, i) => {
    const r = revoked[i];
    return r ? [g, r] : [g];
  });
  items.push(...revoked.slice(genuine.length));
  return items;
}

/**
 * The revocation of the old root, confirmed on chain and seen by the verifier; then both roots'
 * statuses into the root cache (a lookup is kept once the event watch has reached its block),
 * and one presentation of each kind decided from it, so that the cache may answer in the moments
 * between the kill and the first failed poll.
 */
async function revokeAndPrimeCache(
  api: ApiStack,
  client: VerifierClient,
  load: CycleLoad,
  seen: Observations,
  roots: { oldRoot: bigint; newRoot: bigint },
  first: readonly (Item | undefined)[],
  cycle: number,
): Promise<void> {
  await delay(500);
  await api.stack.chain.registry.revokeRoot(roots.oldRoot);
  const seenBy = performance.now() + REVOCATION_SEEN_MS;
  while (!(await client.root(roots.oldRoot)).revokedAt) {
    if (performance.now() > seenBy) {
      seen.wrong.push(`cycle ${cycle}: the revocation unseen after ${REVOCATION_SEEN_MS} ms`);
      break;
    }
    await delay(POLL_MS / 2);
  }
  await delay(2 * POLL_MS);
  await client.root(roots.newRoot);
  await client.root(roots.oldRoot);
  for (const item of first) await load.verifyNow(item);
}

/**
 * The outage: the node SIGKILLed, one presentation of each kind sent at the kill (answered from
 * the cache or 503), the verification load opened once readiness failed, the node started again
 * on the same folder and port after `outageMs`, and the load kept on until every presentation is
 * decided. Returns the node now running.
 */
async function outage(
  node: LocalNode,
  load: CycleLoad,
  atKill: readonly (Item | undefined)[],
  options: ChainOutageOptions,
): Promise<LocalNode> {
  const port = Number(new URL(node.rpcUrl).port);
  const dataFolder = node.paths.dir.replace(/\/chain$/, "");
  await node.kill();
  load.killedAt = performance.now();
  load.phase = "outage";
  await Promise.all(atKill.map((item) => load.verifyNow(item)));
  const failBy = load.killedAt + options.readinessBoundMs;
  while (load.failedAt === 0 && performance.now() < failBy) await delay(20);
  load.loadOpen = true;
  await delay(options.outageMs);
  load.restartedAt = performance.now();
  const restarted = await LocalNode.start({ dataDir: dataFolder, port });
  const deadline = load.restartedAt + options.readinessBoundMs + 10_000;
  while (load.recoveredAt === 0 && performance.now() < deadline) await delay(50);
  const settle = performance.now() + 5_000;
  while (load.items.some((i) => i.decided === 0) && performance.now() < settle) await delay(50);
  return restarted;
}

/** Readiness failed within the bound of the kill and recovered within the bound of the restart. */
function checkReadiness(
  load: CycleLoad,
  seen: Observations,
  options: ChainOutageOptions,
  cycle: number,
): void {
  const bound = options.readinessBoundMs;
  if (load.failedAt === 0 || load.failedAt - load.killedAt > bound) {
    seen.readiness.push(`cycle ${cycle}: /readyz did not fail within ${bound} ms`);
  } else seen.toFailure.push(load.failedAt - load.killedAt);
  if (load.recoveredAt === 0 || load.recoveredAt - load.restartedAt > bound) {
    seen.readiness.push(`cycle ${cycle}: /readyz did not recover within ${bound} ms`);
  } else seen.toRecovery.push(load.recoveredAt - load.restartedAt);
}

/**
 * Each presentation refused with 503 and still undecided consumed nothing, and verifies (or is
 * refused ROOT_REVOKED) exactly once now; every one is decided exactly once and refused
 * CHALLENGE_CONSUMED when sent again.
 */
async function checkDecidedOnce(
  client: VerifierClient,
  seen: Observations,
  items: readonly Item[],
): Promise<void> {
  for (const item of items) {
    if (item.decided > 0) continue;
    const state = await client.challenge(item.presentation.challengeId);
    if (state.consumedAt) seen.notConsumedBefore.push(item.presentation.challengeId);
    seen.decide(item, await client.verify(SAMPLE_POLICY_ID, item.presentation));
  }
  for (const item of items) {
    const once = item.decided === 1 && item.verified === (item.expected === "verified" ? 1 : 0);
    if (item.refused503 > 0) {
      seen.resent++;
      if (item.expected === "verified" && once) seen.resentVerified++;
      if (item.expected === "ROOT_REVOKED" && once) seen.resentRevoked++;
      if (!once)
        seen.resentProblems.push(
          `${item.expected}: decided ${item.decided}, verified ${item.verified}`,
        );
    }
    const again = await client.verify(SAMPLE_POLICY_ID, item.presentation);
    const codes = again.reasons.map((r) => r.code).join(",");
    if (again.verified || codes !== "CHALLENGE_CONSUMED") {
      seen.twice.push(`decided again: ${again.verified ? "verified" : codes}`);
    }
    if (!once)
      seen.twice.push(`${item.expected}: decided ${item.decided}, verified ${item.verified}`);
  }
}

/** One cycle: presentations, a new root, the revocation of the old one, the outage, the checks. */
async function runCycle(
  api: ApiStack,
  client: VerifierClient,
  seen: Observations,
  node: LocalNode,
  options: ChainOutageOptions,
  cycle: number,
): Promise<LocalNode> {
  const dataFolder = node.paths.dir.replace(/\/chain$/, "");
  // Presentations against the current root, then a new root, then presentations against it.
  const revoked = await presentations(api, options.revoked, "ROOT_REVOKED");
  const roots = await anchorNewRoot(api, dataFolder, cycle);
  const genuine = await presentations(api, options.genuine, "verified");
  const load = new CycleLoad(client, seen, api, interleave(genuine, revoked));
  load.start(options.loops, {
    proof: genuine[0]?.presentation.proof,
    publicSignals: genuine[0]?.presentation.publicSignals,
  });
  let running = node;
  try {
    await revokeAndPrimeCache(api, client, load, seen, roots, [genuine[0], revoked[0]], cycle);
    running = await outage(node, load, [genuine[1], revoked[1]], options);
  } finally {
    await load.stop();
  }
  checkReadiness(load, seen, options, cycle);
  await checkDecidedOnce(client, seen, load.items);
  return running;
}

/** The suite's checks and figures from what it saw. */
function record(
  rec: SuiteRecorder,
  seen: Observations,
  options: ChainOutageOptions,
  leaks: readonly string[],
): void {
  rec.checkNone(
    "/readyz answers 503 within the bound of each kill and 200 within the bound of each restart",
    seen.readiness,
  );
  rec.checkNone(
    "every answer is a correct verdict or a 503 REGISTRY_UNAVAILABLE (while the node is down too): no other 5xx, no ROOT_UNKNOWN, no presentation against the revoked root verified",
    seen.wrong,
  );
  rec.checkNone(
    "every presentation is decided exactly once, and refused CHALLENGE_CONSUMED when sent again",
    seen.twice,
  );
  rec.checkNone("a presentation refused with 503 consumed nothing", seen.notConsumedBefore);
  rec.check(
    "after recovery every presentation refused with 503 is decided exactly once (genuine: verified; against the revoked root: ROOT_REVOKED)",
    seen.resent > 0 && seen.resentProblems.length === 0,
    `${seen.resent} re-sent; ${seen.resentProblems.slice(0, 5).join("; ")}`,
  );
  rec.check(
    `no request went unanswered or took longer than the request timeout (${options.requestTimeoutMs} ms) plus 5 s`,
    seen.hung.length === 0 && seen.maxLatencyMs <= options.requestTimeoutMs + 5_000,
    `${seen.hung.slice(0, 5).join("; ")} max ${Math.round(seen.maxLatencyMs)} ms`,
  );
  rec.checkNone("the services' log holds no record data", leaks);
  rec.figure("cycles", options.cycles);
  rec.figure("outageMs", options.outageMs);
  rec.figure("requestsTotal", seen.sum(""));
  rec.figure("requestsDuringOutage", seen.sum("outage."));
  for (const [k, n] of Object.entries(seen.outcomes).sort()) rec.figure(`requests.${k}`, n);
  rec.figure("msToReadinessFailureMax", Math.round(Math.max(0, ...seen.toFailure)));
  rec.figure("msToRecoveryMax", Math.round(Math.max(0, ...seen.toRecovery)));
  rec.figure("presentationsResentAfterRecovery", seen.resent);
  rec.figure("presentationsResentVerified", seen.resentVerified);
  rec.figure("presentationsResentRefusedRevoked", seen.resentRevoked);
  rec.figure("maxRequestLatencyMs", Math.round(seen.maxLatencyMs));
  rec.figure("outageVerdictsWhileNodeDown", seen.verdictsWhileDown);
  rec.figure("outageVerdictsAfterRestartBeforeReady", seen.verdictsBeforeReady);
}

/** Runs the suite (see the file header) and returns its report. */
export async function runChainOutage(options: ChainOutageOptions): Promise<SuiteReport> {
  const rec = new SuiteRecorder("chain-outage");
  const api = await startApiStack({
    records: options.records,
    env: {
      CROSSPROOF_ROOT_POLL_MS: String(POLL_MS),
      CROSSPROOF_RATE_LIMIT: "0",
      CROSSPROOF_VERIFY_WORKERS: "1",
      CROSSPROOF_REQUEST_TIMEOUT_MS: String(options.requestTimeoutMs),
    },
  });
  const seen = new Observations();
  // The client's own limit is well past the service's: a request cut off by it hung.
  const client = new VerifierClient({
    url: api.stack.verifier.url,
    apiKey: api.clientKey,
    timeoutMs: options.requestTimeoutMs + 10_000,
  });
  const started: LocalNode[] = [];
  try {
    let node = api.stack.chain.node as LocalNode;
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const next = await runCycle(api, client, seen, node, options, cycle);
      if (next !== node) started.push(next);
      node = next;
    }
    record(rec, seen, options, scanLog(await api.log()));
  } finally {
    for (const n of started.reverse()) await n.stop().catch(() => undefined);
    await api.close();
  }
  return rec.report();
}
