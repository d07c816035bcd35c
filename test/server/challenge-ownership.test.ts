/**
 * A challenge belongs to the API key that issued it. Another client that gets hold of a
 * presentation (or only of a challenge id) can neither verify it, nor learn whether the id
 * exists, nor burn it: every path that takes a challenge answers `CHALLENGE_UNKNOWN`, exactly as
 * for an id that was never issued, and consumes nothing. The owner's presentation then verifies.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ApiError,
  type Challenge,
  type Presentation,
  ProverClient,
  subjectHash,
  VerifierClient,
} from "crossproof/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE_POLICY_ID, type Stack, startStack } from "../../deploy/local.js";
import { createLogger } from "../../infra/log.js";
import { serviceConfigFromEnv } from "../../server/config.js";

describe("challenge ownership", () => {
  let dataDir: string;
  let stack: Stack;
  let alice: VerifierClient;
  let bob: VerifierClient;
  let admin: VerifierClient;
  let prover: ProverClient;

  const codes = (v: { reasons: readonly { code: string }[] }) => v.reasons.map((r) => r.code);
  /** A challenge Alice issued and the holder's genuine presentation for it. */
  const alicesPresentation = async (): Promise<{
    challenge: Challenge;
    presentation: Presentation;
  }> => {
    const challenge = await alice.issueChallenge(
      SAMPLE_POLICY_ID,
      subjectHash("credit-report-v1", "subjectId", stack.applicants.eligible.subjectId),
    );
    const presentation = await prover.present(stack.applicants.eligible.recordId, challenge);
    return { challenge, presentation };
  };
  /** Alice still owns an unused challenge: Bob's attempts consumed nothing. */
  const expectUnused = async (challengeId: string) => {
    const seen = await alice.challenge(challengeId);
    expect(seen.consumedAt).toBeNull();
    expect(seen.receiptId).toBeNull();
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "crossproof-ownership-"));
    const env = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_VERIFY_WORKERS: "1",
      // The committed circuit keys are development keys: refused unless allowed.
      CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1",
    };
    stack = await startStack({
      config: serviceConfigFromEnv(env),
      env,
      logger: createLogger("crossproof"),
      records: 50,
      seed: 14,
      print: () => {},
      verifierPort: 0,
      proverPort: 0,
    });
    const url = stack.verifier.url;
    admin = new VerifierClient({
      url,
      apiKey: (await readFile(stack.adminKeyPath, "utf8")).trim(),
    });
    alice = new VerifierClient({
      url,
      apiKey: (await readFile(stack.clientKeyPath, "utf8")).trim(),
    });
    bob = new VerifierClient({ url, apiKey: (await admin.createApiKey("bob")).key });
    prover = new ProverClient({ url: stack.prover.url });
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses another client's genuine presentation as CHALLENGE_UNKNOWN, consumes nothing, and the owner's verifies afterwards", async () => {
    const { challenge, presentation } = await alicesPresentation();
    const stolen = await bob.verify(SAMPLE_POLICY_ID, presentation);
    expect(stolen.verified).toBe(false);
    expect(codes(stolen)).toEqual(["CHALLENGE_UNKNOWN"]);
    expect(stolen.disclosed).toEqual({});
    // Exactly the answer for an id that was never issued.
    const never = await bob.verify(SAMPLE_POLICY_ID, { ...presentation, challengeId: "ch_none" });
    expect(codes(never)).toEqual(codes(stolen));
    expect(stolen.reasons).toEqual(never.reasons);
    await expectUnused(challenge.challengeId);

    const own = await alice.verify(SAMPLE_POLICY_ID, presentation);
    expect(own).toMatchObject({ verified: true, reasons: [] });
    expect((await alice.challenge(challenge.challengeId)).receiptId).toBe(own.receiptId);
    // Receipts stay with their owner.
    await expect(bob.receipt(own.receiptId)).rejects.toMatchObject({
      status: 404,
      code: "NOT_FOUND",
    });
    await expect(bob.challenge(challenge.challengeId)).rejects.toBeInstanceOf(ApiError);
  });

  it("refuses another client's challenge in a batch as CHALLENGE_UNKNOWN, item by item, consuming nothing", async () => {
    const a = await alicesPresentation();
    const b = await alicesPresentation();
    const batch = await bob.verifyBatch([
      { policyId: SAMPLE_POLICY_ID, presentation: a.presentation },
      { policyId: SAMPLE_POLICY_ID, presentation: b.presentation },
    ]);
    expect(batch.results.map((r) => ("error" in r ? r.error.code : codes(r).join()))).toEqual([
      "CHALLENGE_UNKNOWN",
      "CHALLENGE_UNKNOWN",
    ]);
    await expectUnused(a.challenge.challengeId);
    await expectUnused(b.challenge.challengeId);
    const own = await alice.verifyBatch([
      { policyId: SAMPLE_POLICY_ID, presentation: a.presentation },
      { policyId: SAMPLE_POLICY_ID, presentation: b.presentation },
    ]);
    expect(own.results.map((r) => "verified" in r && r.verified)).toEqual([true, true]);
  });

  it("does not let another client burn a challenge with a junk proof", async () => {
    const { challenge, presentation } = await alicesPresentation();
    const a = presentation.proof.pi_a as string[];
    // A point off the curve: it would be refused at the pairing stage, after the challenge was
    // used up, if the caller got that far.
    const junk = {
      ...presentation,
      proof: {
        ...presentation.proof,
        pi_a: [a[0], (BigInt(a[1] as string) + 1n).toString(), a[2]],
      },
    };
    expect(codes(await bob.verify(SAMPLE_POLICY_ID, junk))).toEqual(["CHALLENGE_UNKNOWN"]);
    await expectUnused(challenge.challengeId);
    expect((await alice.verify(SAMPLE_POLICY_ID, presentation)).verified).toBe(true);
  });

  it("does not let the admin key use a client's challenge either", async () => {
    const { challenge, presentation } = await alicesPresentation();
    expect(codes(await admin.verify(SAMPLE_POLICY_ID, presentation))).toEqual([
      "CHALLENGE_UNKNOWN",
    ]);
    await expectUnused(challenge.challengeId);
  });
});
