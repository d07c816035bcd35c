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
import { startApiStack } from "./api-stack.js";
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
  const { stack } = api;
  const nodes: LocalNode[] = [];
  const outcomes: Record<string, number> = {};
  const count = (name: string) => {
    outcomes[name] = (outcomes[name] ?? 0) + 1;
  };
  const wrong: string[] = [];
  const hung: string[] = [];
  const readiness: string[] = [];
  let maxLatencyMs = 0;
  const toFailure: number[] = [];
  const toRecovery: number[] = [];
  let resent = 0;
  /** Verdicts (200) of the outage: while the node was down (from the root cache), or after it
   * was started again but before `/readyz` said so. */
  let verdictsWhileDown = 0;
  let verdictsBeforeReady = 0;
  let resentVerified = 0;
  let resentRevoked = 0;
  const twice: string[] = [];
  const resentProblems: string[] = [];
  const notConsumedBefore: string[] = [];
  // The client's own limit is well past the service's: a request cut off by it hung.
  const client = new VerifierClient({
    url: stack.verifier.url,
    apiKey: api.clientKey,
    timeoutMs: options.requestTimeoutMs + 10_000,
  });
  try {
    let node = stack.chain.node as LocalNode;
    const port = Number(new URL(node.rpcUrl).port);
    const dataFolder = node.paths.dir.replace(/\/chain$/, "");
    const schema = getSchema("credit-report-v1");
    const pick = (item: Item, v: Verification): void => {
      item.decided++;
      if (v.verified) item.verified++;
      const codes = v.reasons.map((r) => r.code).join(",");
      const ok =
        item.expected === "verified" ? v.verified : !v.verified && codes === "ROOT_REVOKED";
      if (!ok) wrong.push(`expected ${item.expected}, got ${v.verified ? "verified" : codes}`);
    };

    /** `n` presentations for fresh challenges, two proved at a time (the prover has two workers). */
    const presentations = async (n: number, expected: Item["expected"]): Promise<Item[]> => {
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
    };

    for (let cycle = 0; cycle < options.cycles; cycle++) {
      // Presentations against the current root, then a new root, then presentations against it.
      const revoked = await presentations(options.revoked, "ROOT_REVOKED");
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
      const newRoot = stack.vault.latestRoot(schema.id)?.root as bigint;
      const genuine = await presentations(options.genuine, "verified");
      // Interleaved, so that both kinds meet every part of the outage.
      const items = genuine.flatMap((g, i) => {
        const r = revoked[i];
        return r ? [g, r] : [g];
      });
      items.push(...revoked.slice(genuine.length));

      // The load: loops of challenges, proof checks and readiness from now on; verifications from
      // the moment readiness fails, so that every presentation but the four sent just before and
      // at the kill meets the outage.
      let phase: Phase = "before";
      /** The verification loops start once readiness failed (the root cache is then empty). */
      let loadOpen = false;
      let stop = false;
      let killedAt = 0;
      let restartedAt = 0;
      let recoveredAt = 0;
      let failedAt = 0;
      const queue: Item[] = [...items];
      /** One request of the load, counted by phase (at its start) and outcome. */
      const timed = async <T>(
        what: string,
        call: () => Promise<T>,
        outcome: (result: T) => string = () => "200",
      ): Promise<T | ApiError> => {
        const at = phase;
        const started = performance.now();
        try {
          const result = await call();
          count(`${at}.${what}.${outcome(result)}`);
          return result;
        } catch (err) {
          if (!(err instanceof ApiError)) {
            hung.push(`${what}: ${(err as Error).name}`);
            count(`${at}.${what}.noAnswer`);
            return new ApiError(0, "NO_ANSWER", (err as Error).message);
          }
          count(`${at}.${what}.${err.status}.${err.code}`);
          if (err.status >= 500 && err.code !== "REGISTRY_UNAVAILABLE") {
            wrong.push(`${what}: ${err.status} ${err.code}`);
          }
          return err;
        } finally {
          maxLatencyMs = Math.max(maxLatencyMs, performance.now() - started);
        }
      };
      /** A verdict of the load; one given while the node is down can only come from the cache. */
      const verdict = (item: Item, v: Verification): void => {
        if (phase === "outage" && restartedAt === 0) verdictsWhileDown++;
        else if (phase === "outage") verdictsBeforeReady++;
        pick(item, v);
      };
      const verifyOne = async (item: Item) => {
        const answer = await timed(
          "verify",
          () => client.verify(SAMPLE_POLICY_ID, item.presentation),
          (v) => `200.${verdictName(v)}`,
        );
        if (answer instanceof ApiError) {
          if (answer.code === "REGISTRY_UNAVAILABLE") {
            item.refused503++;
            queue.push(item);
          }
        } else verdict(item, answer);
      };
      const verifyTwo = async (a: Item, b: Item) => {
        const at = phase;
        const answer = await timed("verifyBatch", () =>
          client.verifyBatch([
            { policyId: SAMPLE_POLICY_ID, presentation: a.presentation },
            { policyId: SAMPLE_POLICY_ID, presentation: b.presentation },
          ]),
        );
        if (answer instanceof ApiError) {
          for (const item of [a, b]) {
            if (answer.code === "REGISTRY_UNAVAILABLE") {
              item.refused503++;
              queue.push(item);
            }
          }
          return;
        }
        answer.results.forEach((r, i) => {
          const item = i === 0 ? a : b;
          if ("error" in r) {
            count(`${at}.verifyBatch.item.${r.error.code}`);
            if (r.error.code === "REGISTRY_UNAVAILABLE") {
              item.refused503++;
              queue.push(item);
            } else wrong.push(`batch item: ${r.error.code}`);
          } else {
            count(`${at}.verifyBatch.item.${verdictName(r)}`);
            verdict(item, r);
          }
        });
      };
      const bundle = {
        proof: genuine[0]?.presentation.proof,
        publicSignals: genuine[0]?.presentation.publicSignals,
      };
      const loops: Promise<void>[] = [
        (async () => {
          while (!stop) {
            await timed("challenge", () =>
              client.issueChallenge(SAMPLE_POLICY_ID, api.eligibleSubjectHash),
            );
            await delay(25);
          }
        })(),
        (async () => {
          while (!stop) {
            const check = await timed("proofCheck", () => client.checkProof("query", bundle));
            if (!(check instanceof ApiError) && !check.valid) wrong.push("proof check: not valid");
            await delay(25);
          }
        })(),
        (async () => {
          while (!stop) {
            const at = phase as Phase; // (the loop runs across phases)
            const ready = await timed(
              "readyz",
              () => client.ready(),
              (r) => (r.ready ? "200" : "503"),
            );
            if (!(ready instanceof ApiError)) {
              const now = performance.now();
              if (at === "outage" && !ready.ready && failedAt === 0) failedAt = now;
              if (restartedAt > 0 && ready.ready && recoveredAt === 0) {
                recoveredAt = now;
                phase = "after";
              }
            }
            await delay(50);
          }
        })(),
        ...Array.from({ length: options.loops }, async (_, loop) => {
          while (!stop) {
            if (!loadOpen || queue.length === 0) {
              await delay(20);
              continue;
            }
            const a = queue.shift() as Item;
            if (loop === 0 && queue.length > 0) await verifyTwo(a, queue.shift() as Item);
            else await verifyOne(a);
            await delay(20);
          }
        }),
      ];

      try {
        // The revocation, confirmed and saved on chain; the kill as soon as the verifier sees it.
        await delay(500);
        await stack.chain.registry.revokeRoot(oldRoot);
        const seenBy = performance.now() + REVOCATION_SEEN_MS;
        while (!(await client.root(oldRoot)).revokedAt) {
          if (performance.now() > seenBy) {
            wrong.push(`cycle ${cycle}: the revocation unseen after ${REVOCATION_SEEN_MS} ms`);
            break;
          }
          await delay(POLL_MS / 2);
        }
        // Both roots' statuses into the root cache (a lookup is kept once the event watch has
        // reached its block), and one presentation of each kind decided from it now; the cache
        // may then answer in the moments between the kill and the first failed poll.
        await delay(2 * POLL_MS);
        await client.root(newRoot);
        await client.root(oldRoot);
        for (const item of [genuine[0], revoked[0]]) {
          if (!item) continue;
          queue.splice(queue.indexOf(item), 1);
          await verifyOne(item);
        }
        await node.kill();
        killedAt = performance.now();
        phase = "outage";
        // One of each kind at the kill: answered from the cache (a correct verdict) or 503.
        await Promise.all(
          [genuine[1], revoked[1]].map(async (item) => {
            if (!item) return;
            queue.splice(queue.indexOf(item), 1);
            await verifyOne(item);
          }),
        );
        const failBy = killedAt + options.readinessBoundMs;
        while (failedAt === 0 && performance.now() < failBy) await delay(20);
        loadOpen = true;
        await delay(options.outageMs);
        restartedAt = performance.now();
        node = await LocalNode.start({ dataDir: dataFolder, port });
        nodes.push(node);
        const deadline = restartedAt + options.readinessBoundMs + 10_000;
        while (recoveredAt === 0 && performance.now() < deadline) await delay(50);
        // Load goes on for a moment after recovery, until every presentation is decided.
        const settle = performance.now() + 5_000;
        while (items.some((i) => i.decided === 0) && performance.now() < settle) await delay(50);
      } finally {
        stop = true;
        await Promise.all(loops);
      }

      if (failedAt === 0 || failedAt - killedAt > options.readinessBoundMs) {
        readiness.push(
          `cycle ${cycle}: /readyz did not fail within ${options.readinessBoundMs} ms`,
        );
      } else toFailure.push(failedAt - killedAt);
      if (recoveredAt === 0 || recoveredAt - restartedAt > options.readinessBoundMs) {
        readiness.push(
          `cycle ${cycle}: /readyz did not recover within ${options.readinessBoundMs} ms`,
        );
      } else toRecovery.push(recoveredAt - restartedAt);

      // Each presentation refused with 503 and still undecided consumed nothing, and verifies
      // (or is refused ROOT_REVOKED) exactly once now; every one is decided exactly once.
      for (const item of items) {
        if (item.decided > 0) continue;
        const state = await client.challenge(item.presentation.challengeId);
        if (state.consumedAt) notConsumedBefore.push(item.presentation.challengeId);
        const verdict = await client.verify(SAMPLE_POLICY_ID, item.presentation);
        pick(item, verdict);
      }
      for (const item of items) {
        const once = item.decided === 1 && item.verified === (item.expected === "verified" ? 1 : 0);
        if (item.refused503 > 0) {
          resent++;
          if (item.expected === "verified" && once) resentVerified++;
          if (item.expected === "ROOT_REVOKED" && once) resentRevoked++;
          if (!once)
            resentProblems.push(
              `${item.expected}: decided ${item.decided}, verified ${item.verified}`,
            );
        }
        const again = await client.verify(SAMPLE_POLICY_ID, item.presentation);
        const codes = again.reasons.map((r) => r.code).join(",");
        if (again.verified || codes !== "CHALLENGE_CONSUMED") {
          twice.push(`decided again: ${again.verified ? "verified" : codes}`);
        }
        if (!once)
          twice.push(`${item.expected}: decided ${item.decided}, verified ${item.verified}`);
      }
    }

    const sum = (prefix: string) =>
      Object.entries(outcomes)
        .filter(([k]) => k.startsWith(prefix))
        .reduce((a, [, n]) => a + n, 0);
    rec.checkNone(
      "/readyz answers 503 within the bound of each kill and 200 within the bound of each restart",
      readiness,
    );
    rec.checkNone(
      "every answer is a correct verdict or a 503 REGISTRY_UNAVAILABLE (while the node is down too): no other 5xx, no ROOT_UNKNOWN, no presentation against the revoked root verified",
      wrong,
    );
    rec.checkNone(
      "every presentation is decided exactly once, and refused CHALLENGE_CONSUMED when sent again",
      twice,
    );
    rec.checkNone("a presentation refused with 503 consumed nothing", notConsumedBefore);
    rec.check(
      "after recovery every presentation refused with 503 is decided exactly once (genuine: verified; against the revoked root: ROOT_REVOKED)",
      resent > 0 && resentProblems.length === 0,
      `${resent} re-sent; ${resentProblems.slice(0, 5).join("; ")}`,
    );
    rec.check(
      `no request went unanswered or took longer than the request timeout (${options.requestTimeoutMs} ms) plus 5 s`,
      hung.length === 0 && maxLatencyMs <= options.requestTimeoutMs + 5_000,
      `${hung.slice(0, 5).join("; ")} max ${Math.round(maxLatencyMs)} ms`,
    );
    const leaks = scanLog(await api.log());
    rec.checkNone("the services' log holds no record data", leaks);
    rec.figure("cycles", options.cycles);
    rec.figure("outageMs", options.outageMs);
    rec.figure("requestsTotal", sum(""));
    rec.figure("requestsDuringOutage", sum("outage."));
    for (const [k, n] of Object.entries(outcomes).sort()) rec.figure(`requests.${k}`, n);
    rec.figure("msToReadinessFailureMax", Math.round(Math.max(0, ...toFailure)));
    rec.figure("msToRecoveryMax", Math.round(Math.max(0, ...toRecovery)));
    rec.figure("presentationsResentAfterRecovery", resent);
    rec.figure("presentationsResentVerified", resentVerified);
    rec.figure("presentationsResentRefusedRevoked", resentRevoked);
    rec.figure("maxRequestLatencyMs", Math.round(maxLatencyMs));
    rec.figure("outageVerdictsWhileNodeDown", verdictsWhileDown);
    rec.figure("outageVerdictsAfterRestartBeforeReady", verdictsBeforeReady);
  } finally {
    for (const n of nodes.reverse()) await n.stop().catch(() => undefined);
    await api.close();
  }
  return rec.report();
}
