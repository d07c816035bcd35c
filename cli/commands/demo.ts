/**
 * `crossproof demo`: the cross-boundary scenario played over HTTP with the client SDK, each step
 * printed with its timing. The bank (verifier) issues a challenge for its applicant; the
 * institution holding the applicant's credit report (prover) proves the report meets the policy;
 * the bank verifies it against the root on chain and reads its receipt. Then what must fail: the
 * same presentation replayed, a proof about someone else's report, a tampered public signal, and
 * an applicant whose report does not meet the policy.
 */
import { performance } from "node:perf_hooks";
import {
  ApiError,
  type Presentation,
  ProverClient,
  subjectHash,
  VerifierClient,
} from "../../client/index.js";
import { computeQueryHash, Op, type OpCode } from "../../core/query.js";
import type { Applicants } from "../../deploy/local.js";
import { formatMs } from "../output.js";

/** Where the demo runs. */
export interface DemoTarget {
  readonly verifierUrl: string;
  readonly proverUrl: string;
  readonly apiKey: string;
  readonly policyId: string;
  readonly applicants: Applicants;
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
  readonly timingsMs: Readonly<Record<string, number>>;
}

/** Plays the scenario against running services. */
export async function runDemo(
  target: DemoTarget,
  print: (line: string) => void,
): Promise<DemoResult> {
  const verifier = new VerifierClient({ url: target.verifierUrl, apiKey: target.apiKey });
  const prover = new ProverClient({ url: target.proverUrl });
  const timings: Record<string, number> = {};
  const step = async <T>(name: string, label: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    timings[name] = performance.now() - started;
    print(`  ${label.padEnd(64)} ${formatMs(timings[name]).padStart(9)}`);
    return result;
  };
  const codeOf = (err: unknown) => (err instanceof ApiError ? err.code : String(err));
  const { eligible, other, ineligible } = target.applicants;
  const hashOf = (subjectId: string) => subjectHash("credit-report-v1", "subjectId", subjectId);

  print(`crossproof demo — verifier ${target.verifierUrl}, prover ${target.proverUrl}\n`);
  const ready = await step("ready", "GET /readyz: artifacts, store, registry, workers", () =>
    verifier.ready(),
  );
  if (!ready.ready) throw new Error(`the verifier is not ready: ${JSON.stringify(ready.checks)}`);
  const policy = await step("policy", `GET /v1/policies/${target.policyId}`, () =>
    verifier.policy(target.policyId),
  );
  print(`  ${policy.description ?? policy.id}`);
  const circuit = await verifier.circuit("query");
  // The query circuit's public signals: root, schemaId, challenge, queryHash, then K outputs.
  const k = circuit.publicSignals.length - 4;

  print("\nBank (verifier): a one-time challenge for its applicant");
  const challenge = await step(
    "challenge",
    "POST /v1/challenges (the applicant's id hashed locally)",
    () => verifier.issueChallenge(target.policyId, hashOf(eligible.subjectId)),
  );
  for (const q of challenge.query) print(`    ${JSON.stringify(q)}`);
  print(`  challenge ${challenge.challengeId}, expires ${challenge.expiresAt}`);

  print("\nHolder (prover): proves the applicant's report meets the query");
  const presentation = await step(
    "prove",
    `POST /v1/presentations (record ${eligible.recordId})`,
    () => prover.present(eligible.recordId, challenge),
  );
  print(
    `  sends: a Groth16 proof and ${presentation.publicSignals.length} public signals (${JSON.stringify(presentation).length} bytes); no field, salt or Merkle path`,
  );

  print("\nBank (verifier): checks it against the policy, the challenge and the root on chain");
  const verdict = await step("verify", "POST /v1/verifications", () =>
    verifier.verify(target.policyId, presentation),
  );
  print(`  verified: ${verdict.verified}; disclosed: ${JSON.stringify(verdict.disclosed)}`);
  const receipt = await step("receipt", `GET /v1/receipts/${verdict.receiptId}`, () =>
    verifier.receipt(verdict.receiptId),
  );
  print(
    `  receipt: root ${receipt.root?.slice(0, 16)}…, issuer ${receipt.issuer}, verified ${receipt.verified}`,
  );

  print("\nWhat must fail");
  const replay = await step("replay", "the same presentation again", () =>
    verifier.verify(target.policyId, presentation),
  );
  print(`  verified: ${replay.verified}; ${replay.reasons.map((r) => r.code).join(", ")}`);

  // A holder answering the applicant's challenge with another person's report: it must rewrite
  // the subject in the query to make a proof at all, and then the query is not the bank's.
  const second = await verifier.issueChallenge(target.policyId, hashOf(eligible.subjectId));
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
  const aboutOther = await step("otherSubject", "a proof about someone else's report", async () =>
    verifier.verify(target.policyId, await prover.present(other.recordId, forged)),
  );
  print(`  verified: ${aboutOther.verified}; ${aboutOther.reasons.map((r) => r.code).join(", ")}`);

  const third = await verifier.issueChallenge(target.policyId, hashOf(eligible.subjectId));
  const genuine = await prover.present(eligible.recordId, third);
  // The first K signals are the disclosed outputs, one per predicate: claim another jurisdiction.
  const disclosedAt = third.predicates.findIndex((p) => p.op === Op.DISCLOSE);
  const tampered: Presentation = {
    ...genuine,
    publicSignals: genuine.publicSignals.map((s, i) =>
      i === disclosedAt ? (BigInt(s) + 1n).toString() : s,
    ),
  };
  const tamper = await step("tampered", "a public signal changed (another disclosed value)", () =>
    verifier.verify(target.policyId, tampered),
  );
  print(`  verified: ${tamper.verified}; ${tamper.reasons.map((r) => r.code).join(", ")}`);

  const fourth = await verifier.issueChallenge(target.policyId, hashOf(ineligible.subjectId));
  const refusal = await step(
    "ineligible",
    "an applicant whose report does not meet the policy",
    async () => {
      try {
        await prover.present(ineligible.recordId, fourth);
        return "PROVED";
      } catch (err) {
        return codeOf(err);
      }
    },
  );
  print(`  the holder cannot prove it: ${refusal}`);

  const ok =
    verdict.verified &&
    !replay.verified &&
    !aboutOther.verified &&
    !tamper.verified &&
    refusal !== "PROVED";
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
    timingsMs: timings,
  };
}
