/**
 * `crossproof start` (`npm start`): the whole cross-boundary flow in one process, on embedded
 * defaults, with each step and its timing. An issuer commits synthetic credit reports, builds
 * its tree and anchors the root on the chain (the local node unless `CROSSPROOF_RPC_URL` is
 * set); a verifier states its policy and a challenge; the holder proves one record meets it; the
 * verifier checks the root against the registry, then the proof, off chain and on chain. Then
 * two ways it must fail.
 */
import { performance } from "node:perf_hooks";
import { type ChainConnection, openChain } from "../../chain/connect.js";
import { loadCircuitRelease } from "../../core/artifacts.js";
import { computeLeaf, randomSalt } from "../../core/commitment.js";
import { CrossproofError, ErrorCode } from "../../core/errors.js";
import { randomFieldElement } from "../../core/field.js";
import { parseQueryPublicSignals, queryInputIndex } from "../../core/public-signals.js";
import { compileQuery, evaluatePredicate, Op, type PredicateSpec } from "../../core/query.js";
import { codeName, dayNumber, decodeDate, encodeRecord } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import { syntheticCreditReports } from "../../core/synthetic.js";
import { CommitmentTree } from "../../core/tree.js";
import { proveQuery, queryShape } from "../../prover/prove-query.js";
import { checkQueryProof } from "../../verifier/check-query.js";
import { formatMs } from "../output.js";

/** Options of {@link runStart}. */
export interface StartOptions {
  readonly records: number;
  readonly seed: number;
  readonly print: (line: string) => void;
}

/** What the run showed, for tests and `--json`. */
export interface StartResult {
  readonly root: string;
  readonly recordIndex: number;
  readonly verified: boolean;
  readonly disclosed: Readonly<Record<string, string>>;
  readonly wrongChallengeRefused: boolean;
  readonly ineligibleRefused: boolean;
  /** Where the root was anchored, and what the chain said about the proof. */
  readonly chain: {
    readonly chainId: number;
    readonly registry: string;
    readonly anchoredInBlock: string;
    readonly rootCurrent: boolean;
    readonly verifiedOnChain: boolean;
  };
  readonly timingsMs: Readonly<Record<string, number>>;
}

/** Run the local end-to-end flow. */
export async function runStart(options: StartOptions): Promise<StartResult> {
  const { print } = options;
  const timings: Record<string, number> = {};
  const step = async <T>(name: string, label: string, work: () => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    const result = await work();
    timings[name] = performance.now() - started;
    print(`  ${label.padEnd(58)} ${formatMs(timings[name]).padStart(9)}`);
    return result;
  };

  print("crossproof — local end-to-end run (development keys: not for production)\n");
  const release = await step(
    "loadArtifacts",
    "load the query circuit release (checked against manifest)",
    () => loadCircuitRelease("query"),
  );
  const { k } = queryShape(release);
  const chain = await step("chain", "open the chain (local node; contracts deployed once)", () =>
    openChain(),
  );
  try {
    return await flow(chain);
  } finally {
    await chain.close();
  }

  async function flow(chain: ChainConnection): Promise<StartResult> {
    print("\nIssuer (credit reference agency)");
    const schema = getSchema("credit-report-v1");
    const today = new Date();
    const reports = syntheticCreditReports({
      count: options.records,
      seed: options.seed,
      asOf: today,
    });
    const committed = await step(
      "commit",
      `encode and commit ${reports.length} synthetic reports`,
      () =>
        reports.map((r) => {
          const slots = encodeRecord(schema, r);
          const salt = randomSalt();
          return { slots, salt, leaf: computeLeaf(schema.schemaId, slots, salt) };
        }),
    );
    const tree = await step(
      "tree",
      "build the Poseidon Merkle tree (LeanIMT)",
      () => new CommitmentTree(committed.map((c) => c.leaf)),
    );
    const anchored = await step("anchor", "anchor the root on chain (CommitmentRegistry)", () =>
      chain.registry.anchorRoot(schema.schemaId, tree.root),
    );
    print(`  root ${tree.root}`);
    print(`  anchored by ${anchored.issuer} in block ${anchored.blockNumber}`);

    print("\nVerifier (the bank across the boundary)");
    const freshSince = decodeDate(dayNumber(today) - 90n);
    const policyFor = (applicant: string): PredicateSpec[] => [
      { op: "EQ", field: "subjectId", value: applicant },
      { op: "GTE", field: "creditScore", value: 650 },
      { op: "RATIO_LTE", field: "totalDebt", per: "annualIncome", numerator: 40, denominator: 100 },
      { op: "EQ", field: "defaults24m", value: 0 },
      { op: "GTE", field: "reportDate", value: freshSince },
      { op: "DISCLOSE", field: "jurisdiction" },
    ];
    print(
      "  policy: about the applicant; score >= 650; debt/income <= 40 %; no default in 24 months;",
    );
    print(`          report dated ${freshSince} or later; disclose the jurisdiction`);

    // The applicant: the first synthetic person whose report meets the policy; and one who does not.
    const meetsPolicy = reports.map((r, i) =>
      compileQuery(schema, policyFor(r.subjectId as string), k).predicates.every((p) =>
        evaluatePredicate(p, committed[i]?.slots ?? []),
      ),
    );
    const eligible = meetsPolicy.indexOf(true);
    const ineligible = meetsPolicy.indexOf(false);
    if (eligible < 0) {
      throw new CrossproofError(
        ErrorCode.USAGE,
        "no synthetic report meets the policy: use more --records or another --seed",
      );
    }
    const applicant = reports[eligible]?.subjectId as string;
    const query = await step("policy", "compile the policy: schemaId and queryHash", () =>
      compileQuery(schema, policyFor(applicant), k),
    );
    const challenge = randomFieldElement();
    print(`  queryHash ${query.queryHash}`);
    print(`  challenge ${challenge} (one-time, from the verifier)`);

    print("\nHolder (the institution with the record)");
    const record = committed[eligible] as (typeof committed)[number];
    const bundle = await step("prove", `prove record #${eligible} meets the policy (Groth16)`, () =>
      proveQuery(release, {
        schemaId: schema.schemaId,
        slots: record.slots,
        salt: record.salt,
        path: tree.path(eligible),
        predicates: query.predicates,
        queryHash: query.queryHash,
        challenge,
      }),
    );
    print(
      `  sends: a proof (${JSON.stringify(bundle.proof).length} bytes) and ${bundle.publicSignals.length} public signals — no field, salt or path`,
    );

    print("\nVerifier");
    // The verifier trusts the root only as the registry reports it: anchored by the issuer it
    // accepts, not revoked, not replaced.
    const claimedRoot = parseQueryPublicSignals(bundle.publicSignals, k).root;
    const rootStatus = await step("lookup", "look the proof's root up in the registry", () =>
      chain.registry.lookupRoot(claimedRoot),
    );
    const rootCurrent =
      rootStatus !== null &&
      rootStatus.issuer === anchored.issuer &&
      rootStatus.issuerActive &&
      rootStatus.schemaId === schema.schemaId &&
      rootStatus.revokedAt === null &&
      rootStatus.replacedAt === null;
    print(
      `  root anchored ${rootStatus?.anchoredAt.toISOString() ?? "never"} by the accepted issuer; current: ${rootCurrent}`,
    );
    const expected = {
      root: claimedRoot,
      schemaId: schema.schemaId,
      queryHash: query.queryHash,
      challenge,
    };
    const verdict = await step("verify", "check signals against policy, then the pairing", () =>
      checkQueryProof(release, bundle, expected),
    );
    // Verified: the root is current in the registry, and the proof checks against the policy.
    const verified = rootCurrent && verdict.verified;
    const disclosedAt = query.predicates.findIndex((p) => p.op === Op.DISCLOSE);
    const jurisdictionCode = verdict.disclosed[disclosedAt] ?? 0n;
    const jurisdictionField = schema.fields[schema.slotOf.get("jurisdiction") ?? -1];
    const jurisdiction =
      (jurisdictionField && codeName(jurisdictionField, jurisdictionCode)) ?? "?";
    print(`  verified: ${verified}; disclosed jurisdiction: ${jurisdiction} (${jurisdictionCode})`);
    const verifiedOnChain = await step(
      "verifyOnChain",
      "the same proof, checked by the verifier contract",
      () => chain.verifyOnChain(bundle.proof, bundle.publicSignals),
    );
    print(`  verified on chain: ${verifiedOnChain}`);

    print("\nWhat must fail");
    // A replay: the same proof presented for a later challenge, its challenge signal rewritten.
    const nextChallenge = randomFieldElement();
    const replayed = {
      ...bundle,
      publicSignals: bundle.publicSignals.map((s, i) =>
        i === queryInputIndex("challenge", k) ? nextChallenge.toString() : s,
      ),
    };
    const replay = await step("replay", "the same proof replayed for a new challenge", () =>
      checkQueryProof(release, replayed, { ...expected, challenge: nextChallenge }),
    );
    print(
      `  verified: ${replay.verified}; reasons: ${replay.reasons.join(", ")} (the challenge is bound into the proof)`,
    );
    let ineligibleRefused = false;
    if (ineligible >= 0) {
      const other = committed[ineligible] as (typeof committed)[number];
      const otherQuery = compileQuery(
        schema,
        policyFor(reports[ineligible]?.subjectId as string),
        k,
      );
      const refusal = await step(
        "ineligible",
        `prove record #${ineligible}, which does not meet the policy`,
        async () => {
          try {
            await proveQuery(release, {
              schemaId: schema.schemaId,
              slots: other.slots,
              salt: other.salt,
              path: tree.path(ineligible),
              predicates: otherQuery.predicates,
              queryHash: otherQuery.queryHash,
              challenge,
            });
            return undefined;
          } catch (err) {
            if (!(err instanceof CrossproofError)) throw err;
            return err;
          }
        },
      );
      ineligibleRefused = refusal !== undefined;
      print(
        refusal
          ? `  refused: ${refusal.code} — ${refusal.message}`
          : "  UNEXPECTED: a proof was made",
      );
    }
    print(
      `\n${verified && verifiedOnChain && !replay.verified ? "Done: the verifier learned the policy holds, and nothing else." : "UNEXPECTED RESULT"}`,
    );
    return {
      root: tree.root.toString(),
      recordIndex: eligible,
      verified,
      disclosed: { jurisdiction },
      wrongChallengeRefused: !replay.verified,
      ineligibleRefused,
      chain: {
        chainId: chain.chainId,
        registry: chain.registryAddress,
        anchoredInBlock: anchored.blockNumber.toString(),
        rootCurrent,
        verifiedOnChain,
      },
      timingsMs: timings,
    };
  }
}
