/**
 * `crossproof demo`: the cross-boundary scenario played over HTTP with the client SDK, each step
 * printed with its timing. The bank (verifier) issues a challenge for its applicant; the
 * institution holding the applicant's credit report (prover) proves the report meets the policy;
 * the bank verifies it against the root on chain and reads its receipt. Then what must fail: the
 * same presentation replayed, a proof about someone else's report, a tampered public signal, and
 * an applicant whose report does not meet the policy. Then, when the deployment runs two
 * bureaus, the linked check across them: the holder proves the mainland bureau's credit report
 * and the Hong Kong bureau's residency record about one applicant, linked without revealing the
 * applicant's id, and the bank verifies both; and what must fail: someone else's Hong Kong
 * record beside the applicant's report, and an applicant the Hong Kong part does not hold for.
 */
import { performance } from "node:perf_hooks";
import {
  ApiError,
  type Challenge,
  type Presentation,
  ProverClient,
  subjectHash,
  type Verification,
  VerifierClient,
} from "../../client/index.js";
import { computeQueryHash, Op, type OpCode } from "../../core/query.js";
import type { LinkedApplicants } from "../../deploy/linked-applicants.js";
import type { Applicants } from "../../deploy/local.js";
import { formatMs } from "../output.js";

/** Where the demo runs. */
export interface DemoTarget {
  readonly verifierUrl: string;
  readonly proverUrl: string;
  readonly apiKey: string;
  readonly policyId: string;
  readonly applicants: Applicants;
  /** The policy linked across two bureaus and its applicants (left out: one bureau only). */
  readonly linked?: { readonly policyId: string; readonly applicants: LinkedApplicants };
}

/** What the linked part of the demo showed. */
export interface LinkedDemoResult {
  readonly verified: boolean;
  /** What the policy's own record (the credit report) disclosed. */
  readonly disclosed: Readonly<Record<string, string | boolean>>;
  /** What each linked record disclosed, by its schema. */
  readonly linkedDisclosed: readonly {
    readonly schema: string;
    readonly disclosed: Readonly<Record<string, string | boolean>>;
  }[];
  readonly receiptId: string;
  /** Reason code (or error code) of each thing that must fail. */
  readonly refusals: {
    /** Someone else's Hong Kong record beside the applicant's credit report. */
    readonly otherHongKong: string;
    /** An applicant whose Hong Kong record does not meet its part, or who has none. */
    readonly ineligible: string;
  };
}

/** What the demo showed. */
export interface DemoResult {
  readonly verified: boolean;
  readonly disclosed: Readonly<Record<string, string | boolean>>;
  readonly receiptId: string;
  /** Reason code (or error code) of each thing that must fail. */
  readonly refusals: {
    readonly replay: string;
    readonly otherSubject: string;
    readonly tampered: string;
    readonly ineligible: string;
  };
  /** The linked check across the two bureaus (when the deployment runs both). */
  readonly linked?: LinkedDemoResult;
  readonly timingsMs: Readonly<Record<string, number>>;
}

/** The hash of an applicant's id, as the bank computes it locally. */
const hashOf = (subjectId: string) => subjectHash("credit-report-v1", "subjectId", subjectId);

/** A verdict's reason codes, for the printout. */
const codes = (v: { reasons: readonly { code: string }[] }) =>
  v.reasons.map((r) => r.code).join(", ");

/** The demo's clients and printout: each step timed and printed on one line. */
class DemoSession {
  readonly verifier: VerifierClient;
  readonly prover: ProverClient;
  readonly timings: Record<string, number> = {};

  constructor(
    readonly target: DemoTarget,
    readonly print: (line: string) => void,
  ) {
    this.verifier = new VerifierClient({ url: target.verifierUrl, apiKey: target.apiKey });
    this.prover = new ProverClient({ url: target.proverUrl });
  }

  async step<T>(name: string, label: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await work();
    this.timings[name] = performance.now() - started;
    this.print(`  ${label.padEnd(64)} ${formatMs(this.timings[name]).padStart(9)}`);
    return result;
  }

  /** A fresh challenge of the demo's policy for an applicant (the id hashed locally). */
  challengeFor(subjectId: string): Promise<Challenge> {
    return this.verifier.issueChallenge(this.target.policyId, hashOf(subjectId));
  }

  verify(presentation: Presentation, policyId = this.target.policyId): Promise<Verification> {
    return this.verifier.verify(policyId, presentation);
  }
}

/** The services are ready and the policy is there; the query circuit's K. */
async function preflight(demo: DemoSession): Promise<number> {
  const { verifier, target, print } = demo;
  print(`crossproof demo — verifier ${target.verifierUrl}, prover ${target.proverUrl}\n`);
  const ready = await demo.step("ready", "GET /readyz: artifacts, store, registry, workers", () =>
    verifier.ready(),
  );
  if (!ready.ready) throw new Error(`the verifier is not ready: ${JSON.stringify(ready.checks)}`);
  const policy = await demo.step("policy", `GET /v1/policies/${target.policyId}`, () =>
    verifier.policy(target.policyId),
  );
  print(`  ${policy.description ?? policy.id}`);
  const circuit = await verifier.circuit("query");
  // The query circuit's public signals: root, schemaId, challenge, queryHash, then K outputs.
  return circuit.publicSignals.length - 4;
}

/** The scenario: challenge, proof, verification, receipt. Returns the presentation and verdict. */
async function happyPath(
  demo: DemoSession,
): Promise<{ presentation: Presentation; verdict: Verification }> {
  const { print } = demo;
  const { eligible } = demo.target.applicants;
  print("\nBank (verifier): a one-time challenge for its applicant");
  const challenge = await demo.step(
    "challenge",
    "POST /v1/challenges (the applicant's id hashed locally)",
    () => demo.challengeFor(eligible.subjectId),
  );
  for (const q of challenge.query) print(`    ${JSON.stringify(q)}`);
  print(`  challenge ${challenge.challengeId}, expires ${challenge.expiresAt}`);

  print("\nHolder (prover): proves the applicant's report meets the query");
  const presentation = await demo.step(
    "prove",
    `POST /v1/presentations (record ${eligible.recordId})`,
    () => demo.prover.present(eligible.recordId, challenge),
  );
  print(
    `  sends: a Groth16 proof and ${presentation.publicSignals.length} public signals (${JSON.stringify(presentation).length} bytes); no field, salt or Merkle path`,
  );

  print("\nBank (verifier): checks it against the policy, the challenge and the root on chain");
  const verdict = await demo.step("verify", "POST /v1/verifications", () =>
    demo.verify(presentation),
  );
  print(`  verified: ${verdict.verified}; disclosed: ${JSON.stringify(verdict.disclosed)}`);
  const receipt = await demo.step("receipt", `GET /v1/receipts/${verdict.receiptId}`, () =>
    demo.verifier.receipt(verdict.receiptId),
  );
  print(
    `  receipt: root ${receipt.root?.slice(0, 16)}…, issuer ${receipt.issuer}, verified ${receipt.verified}`,
  );
  return { presentation, verdict };
}

/**
 * A holder answering the applicant's challenge with another person's report: it must rewrite the
 * subject in the query to make a proof at all, and then the query is not the bank's.
 */
async function aboutSomeoneElse(demo: DemoSession, k: number): Promise<Verification> {
  const { eligible, other } = demo.target.applicants;
  const second = await demo.challengeFor(eligible.subjectId);
  // The subject binding is the query's first predicate (an EQ on subjectId).
  const swapped = second.predicates.map((p, index) =>
    index === 0 && p.op === Op.EQ ? { ...p, a: hashOf(other.subjectId).toString() } : p,
  );
  const forged = {
    ...second,
    predicates: swapped,
    queryHash: computeQueryHash(
      swapped.map((p) => ({ op: p.op as OpCode, i: p.i, j: p.j, a: BigInt(p.a), b: BigInt(p.b) })),
      k,
    ).toString(),
  };
  const verdict = await demo.step("otherSubject", "a proof about someone else's report", async () =>
    demo.verify(await demo.prover.present(other.recordId, forged)),
  );
  demo.print(`  verified: ${verdict.verified}; ${codes(verdict)}`);
  return verdict;
}

/** A genuine presentation with one disclosed output changed (claiming another jurisdiction). */
async function tamperedSignal(demo: DemoSession): Promise<Verification> {
  const { eligible } = demo.target.applicants;
  const third = await demo.challengeFor(eligible.subjectId);
  const genuine = await demo.prover.present(eligible.recordId, third);
  // The first K signals are the disclosed outputs, one per predicate.
  const disclosedAt = third.predicates.findIndex((p) => p.op === Op.DISCLOSE);
  const tampered: Presentation = {
    ...genuine,
    publicSignals: genuine.publicSignals.map((s, i) =>
      i === disclosedAt ? (BigInt(s) + 1n).toString() : s,
    ),
  };
  const verdict = await demo.step(
    "tampered",
    "a public signal changed (another disclosed value)",
    () => demo.verify(tampered),
  );
  demo.print(`  verified: ${verdict.verified}; ${codes(verdict)}`);
  return verdict;
}

/** An applicant whose report does not meet the policy: the holder cannot prove it. */
async function ineligibleApplicant(demo: DemoSession): Promise<string> {
  const { ineligible } = demo.target.applicants;
  const fourth = await demo.challengeFor(ineligible.subjectId);
  const refusal = await demo.step(
    "ineligible",
    "an applicant whose report does not meet the policy",
    async () => {
      try {
        await demo.prover.present(ineligible.recordId, fourth);
        return "PROVED";
      } catch (err) {
        return err instanceof ApiError ? err.code : String(err);
      }
    },
  );
  demo.print(`  the holder cannot prove it: ${refusal}`);
  return refusal;
}

/** A refusal's code: an API error's, or PROVED when the holder could prove it after all. */
async function refusalOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return "PROVED";
  } catch (err) {
    return err instanceof ApiError ? err.code : String(err);
  }
}

/**
 * The linked check across the two bureaus: challenge, one presentation of a record from each
 * bureau, verification; then someone else's Hong Kong record in the applicant's presentation,
 * and an applicant the Hong Kong part does not hold for.
 */
async function acrossBureaus(
  demo: DemoSession,
  linked: NonNullable<DemoTarget["linked"]>,
): Promise<LinkedDemoResult> {
  const { print } = demo;
  const { policyId, applicants } = linked;
  const { eligible, otherHongKong, ineligible } = applicants;
  const challengeFor = (subjectId: string) =>
    demo.verifier.issueChallenge(policyId, hashOf(subjectId));

  print(`\nAcross two bureaus: the bank's linked policy ${policyId}`);
  const policy = await demo.step("linkedPolicy", `GET /v1/policies/${policyId}`, () =>
    demo.verifier.policy(policyId),
  );
  print(`  ${policy.description ?? policy.id}`);
  const challenge = await demo.step(
    "linkedChallenge",
    "POST /v1/challenges (the applicant's id hashed locally)",
    () => challengeFor(eligible.subjectId),
  );
  const parts = 1 + (challenge.linked?.length ?? 0);
  print(`  challenge ${challenge.challengeId}: ${parts} records to prove, linked on the applicant`);

  print(
    "\nHolder (prover): the mainland bureau's credit report and the Hong Kong bureau's residency record",
  );
  const presentation = await demo.step(
    "linkedProve",
    `POST /v1/presentations/linked (${eligible.records.map((r) => `${r.bureau} ${r.recordId}`).join(", ")})`,
    () => demo.prover.presentLinked(challenge, eligible.records),
  );
  const proofs = 1 + (presentation.linked?.length ?? 0);
  print(
    `  sends: ${proofs} Groth16 proofs (${JSON.stringify(presentation).length} bytes) whose link outputs match under a nonce drawn for this presentation; not the id, a field, a salt or a path`,
  );

  print(
    "\nBank (verifier): every proof, every bureau's root and issuer, the challenge and the link",
  );
  const verdict = await demo.step("linkedVerify", "POST /v1/verifications", () =>
    demo.verify(presentation, policyId),
  );
  const further = (verdict.linked ?? []).map(
    (r) => `; ${r.schema}: ${JSON.stringify(r.disclosed)}`,
  );
  print(
    `  verified: ${verdict.verified}; disclosed: ${JSON.stringify(verdict.disclosed)}${further.join("")}`,
  );

  print("\nWhat must fail across the bureaus");
  const swapped = await demo.step(
    "linkedOther",
    "someone else's Hong Kong record beside the applicant's report",
    async () => {
      const next = await challengeFor(eligible.subjectId);
      const records = [
        ...eligible.records.filter((r) => r.bureau !== otherHongKong.records[0]?.bureau),
        ...otherHongKong.records,
      ];
      try {
        return codes(await demo.verify(await demo.prover.presentLinked(next, records), policyId));
      } catch (err) {
        // The holder's own service may refuse to make it at all.
        return err instanceof ApiError ? err.code : String(err);
      }
    },
  );
  print(`  refused: ${swapped || "NOT REFUSED"}`);
  // With no Hong Kong record, the holder has only the report to send for a two-record challenge.
  const unmet = await demo.step(
    "linkedIneligible",
    ineligible.records.length < 2
      ? "an applicant the Hong Kong bureau holds no record about"
      : "an applicant whose Hong Kong record does not meet the policy",
    async () => {
      const next = await challengeFor(ineligible.subjectId);
      return refusalOf(() => demo.prover.presentLinked(next, ineligible.records));
    },
  );
  print(`  the holder cannot prove it: ${unmet}`);
  return {
    verified: verdict.verified,
    disclosed: verdict.disclosed,
    linkedDisclosed: verdict.linked ?? [],
    receiptId: verdict.receiptId,
    refusals: { otherHongKong: swapped.split(", ")[0] ?? "", ineligible: unmet },
  };
}

/** Plays the scenario against running services. */
export async function runDemo(
  target: DemoTarget,
  print: (line: string) => void,
): Promise<DemoResult> {
  const demo = new DemoSession(target, print);
  const k = await preflight(demo);
  const { presentation, verdict } = await happyPath(demo);

  print("\nWhat must fail");
  const replay = await demo.step("replay", "the same presentation again", () =>
    demo.verify(presentation),
  );
  print(`  verified: ${replay.verified}; ${codes(replay)}`);
  const aboutOther = await aboutSomeoneElse(demo, k);
  const tamper = await tamperedSignal(demo);
  const refusal = await ineligibleApplicant(demo);
  const linked = target.linked ? await acrossBureaus(demo, target.linked) : undefined;

  const ok =
    verdict.verified &&
    !replay.verified &&
    !aboutOther.verified &&
    !tamper.verified &&
    refusal !== "PROVED" &&
    (linked === undefined ||
      (linked.verified &&
        linked.refusals.otherHongKong !== "" &&
        linked.refusals.ineligible !== "PROVED"));
  print(
    `\n${ok ? "Done: the bank learned the policy holds for its applicant, and nothing else." : "UNEXPECTED RESULT"}`,
  );
  return {
    verified: verdict.verified,
    disclosed: verdict.disclosed,
    receiptId: verdict.receiptId,
    refusals: {
      replay: replay.reasons[0]?.code ?? "NONE",
      otherSubject: aboutOther.reasons[0]?.code ?? "NONE",
      tampered: tamper.reasons[0]?.code ?? "NONE",
      ineligible: refusal,
    },
    ...(linked ? { linked } : {}),
    timingsMs: demo.timings,
  };
}
