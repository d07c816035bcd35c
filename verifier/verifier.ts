/**
 * The verifier: policies, one-time challenges, verification of presentations and the receipt
 * log, independent of HTTP (the Koa service in `server/verifier-service.ts` is a thin layer over
 * it). What "verified" means is DESIGN.md's, "Verification"; the checks run cheapest first:
 *
 * 1. well-formed: exact shapes, every signal < r, as many signals as the key's `nPublic`;
 * 2. the challenge: issued by this verifier, for this policy, unexpired, unused;
 * 3. the proof's challenge, `schemaId` and `queryHash` signals equal the challenge's;
 * 4. the root: anchored (registry) by an issuer the policy accepts, still registered, for the
 *    policy's schema, not revoked, current or replaced less than the grace period ago;
 * 5. the points (on the curve, B in G2's subgroup) and the pairing check, in the worker pool.
 *
 * Then the challenge is consumed and the receipt stored in one transaction: of concurrent
 * presentations for one challenge exactly one is decided on its merits, the others are refused
 * with `CHALLENGE_CONSUMED`. A check that could not be completed (the registry unreachable, the
 * pool full) throws instead, and consumes nothing: the same presentation can be sent again.
 * A presentation refused at step 1 or 2 consumes nothing either; from step 3 on, one attempt
 * uses the challenge up, whatever the verdict.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { RootStatus } from "../chain/registry.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { DECIMAL_PATTERN, isFieldElement, randomFieldElement } from "../core/field.js";
import { type ProofBundle, parseProofBundle } from "../core/proof.js";
import { parseQueryPublicSignals } from "../core/public-signals.js";
import { type FailedCheck, failed, Reason } from "../core/reasons.js";
import { getSchema } from "../core/schema.js";
import { firstIssue } from "../core/validation.js";
import { ID_PATTERN } from "../core/wire/common.js";
import type { CircuitRelease } from "../infra/artifacts.js";
import {
  type DisclosedValue,
  decodeDisclosed,
  parsePolicyDefinition,
  resolveQuery,
  type StoredPolicy,
} from "./policy.js";
import type { ProofChecker, VerifyOutcome } from "./pool.js";
import type { ChallengeRecord, ConsumeOutcome, Receipt, VerifierStore } from "./store.js";

/** Where root statuses come from: the registry, through its event-invalidated cache. */
export interface RootLookup {
  /** `REGISTRY_UNAVAILABLE` when the chain cannot answer; never a guess. */
  lookupRoot(root: bigint): Promise<RootStatus | null>;
}

/** The outcome of one verification. */
export interface Verdict {
  readonly verified: boolean;
  readonly reasons: readonly FailedCheck[];
  /** The disclosed values by field name; empty unless verified. */
  readonly disclosed: Readonly<Record<string, DisclosedValue>>;
  readonly receipt: Receipt;
}

/** The outcome of a generic proof check. */
export interface ProofCheck {
  readonly valid: boolean;
  readonly reasons: readonly FailedCheck[];
}

/** Options of {@link Verifier}. */
export interface VerifierOptions {
  readonly store: VerifierStore;
  readonly roots: RootLookup;
  readonly checker: ProofChecker;
  /** The circuit releases this verifier knows, by name; must include `query`. */
  readonly circuits: ReadonlyMap<string, CircuitRelease>;
  /** The clock (tests may move it). */
  readonly now?: () => Date;
  /** Called with each verdict and how long it took (metrics). */
  readonly onVerdict?: (verdict: Verdict, seconds: number) => void;
}

/** A presentation that passed checks 1–4, waiting for its pairing check. */
interface Screened {
  readonly definition: StoredPolicy["definition"];
  readonly challenge: ChallengeRecord;
  readonly bundle: ProofBundle;
  readonly root: bigint;
  readonly disclosedSignals: readonly bigint[];
  readonly issuer: string | null;
  /** Problems found by checks 3 and 4 (a refusal still consumes the challenge). */
  readonly reasons: readonly FailedCheck[];
  readonly clientId: string;
}

/** Most presentations in one batch request. */
export const MAX_BATCH = 64;

const presentationShape = z.strictObject({
  challengeId: z.string().regex(ID_PATTERN),
  proof: z.unknown(),
  publicSignals: z.unknown(),
});

/** A new random id: a prefix and 128 random bits, base64url. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString("base64url")}`;
}

function notFound(what: string, id: string): CrossproofError {
  return new CrossproofError(ErrorCode.NOT_FOUND, `no ${what} "${id}"`, {
    details: { [what]: id },
  });
}

/** The verifier's operations. */
export class Verifier {
  readonly #store: VerifierStore;
  readonly #roots: RootLookup;
  readonly #checker: ProofChecker;
  readonly #circuits: ReadonlyMap<string, CircuitRelease>;
  readonly #query: CircuitRelease;
  readonly #k: number;
  readonly #now: () => Date;
  readonly #onVerdict: ((verdict: Verdict, seconds: number) => void) | undefined;

  constructor(options: VerifierOptions) {
    this.#store = options.store;
    this.#roots = options.roots;
    this.#checker = options.checker;
    this.#circuits = options.circuits;
    const query = options.circuits.get("query");
    if (!query) throw new Error("the verifier needs the query circuit's release");
    this.#query = query;
    this.#k = query.manifest.nOutputs;
    this.#now = options.now ?? (() => new Date());
    this.#onVerdict = options.onVerdict;
  }

  /** The circuit releases, by name. */
  get circuits(): ReadonlyMap<string, CircuitRelease> {
    return this.#circuits;
  }

  /** The release of a circuit, or `NOT_FOUND`. */
  circuit(name: string): CircuitRelease {
    const release = this.#circuits.get(name);
    if (!release) throw notFound("circuit", name);
    return release;
  }

  /** Validates and stores a new policy (`INVALID_POLICY`, `POLICY_EXISTS`). */
  async createPolicy(json: unknown): Promise<StoredPolicy> {
    const definition = parsePolicyDefinition(json, this.#k);
    return this.#store.createPolicy(definition, this.#now());
  }

  async policy(id: string): Promise<StoredPolicy> {
    const policy = await this.#store.getPolicy(id);
    if (!policy) throw notFound("policy", id);
    return policy;
  }

  listPolicies(): Promise<StoredPolicy[]> {
    return this.#store.listPolicies();
  }

  /**
   * Issues a one-time challenge for a policy: resolves its relative thresholds for today, binds
   * the subject when the policy does (`subjectHash`: the subject field's value, hashed to the
   * field by the schema's encoding, as a decimal string), and stores it.
   */
  async issueChallenge(
    policyId: string,
    subjectHash: string | undefined,
    clientId: string,
  ): Promise<ChallengeRecord> {
    const { definition } = await this.policy(policyId);
    let subject: bigint | undefined;
    if (definition.subject) {
      if (subjectHash === undefined || !DECIMAL_PATTERN.test(subjectHash)) {
        throw new CrossproofError(
          ErrorCode.INVALID_SUBJECT,
          `policy "${policyId}" binds a subject: give subjectHash, the ${definition.subject.field} value hashed with subjectHash("${definition.schema}", "${definition.subject.field}", value) from crossproof/client, as a decimal string (the identifier itself is never sent)`,
        );
      }
      subject = BigInt(subjectHash);
      if (!isFieldElement(subject)) {
        throw new CrossproofError(ErrorCode.INVALID_SUBJECT, "subjectHash must be below r");
      }
    } else if (subjectHash !== undefined) {
      throw new CrossproofError(
        ErrorCode.INVALID_SUBJECT,
        `policy "${policyId}" binds no subject: leave subjectHash out`,
      );
    }
    const issuedAt = this.#now();
    const query = resolveQuery(definition, this.#k, issuedAt, subject);
    const challenge: ChallengeRecord = {
      id: newId("ch"),
      policyId,
      nonce: randomFieldElement(),
      schemaId: query.schema.schemaId,
      queryHash: query.compiled.queryHash,
      predicates: query.compiled.predicates.slice(0, query.predicates.length),
      query: query.predicates,
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + definition.challengeTtlSeconds * 1000),
      clientId,
      consumedAt: null,
      receiptId: null,
    };
    await this.#store.insertChallenge(challenge);
    return challenge;
  }

  async challenge(id: string): Promise<ChallengeRecord> {
    const challenge = await this.#store.getChallenge(id);
    if (!challenge) throw notFound("challenge", id);
    return challenge;
  }

  async receipt(id: string): Promise<Receipt> {
    const receipt = await this.#store.getReceipt(id);
    if (!receipt) throw notFound("receipt", id);
    return receipt;
  }

  /**
   * Verifies one presentation `{challengeId, proof, publicSignals}` (untrusted JSON) against a
   * policy. `NOT_FOUND` for an unknown policy; `REGISTRY_UNAVAILABLE`, `QUEUE_FULL`,
   * `VERIFY_FAILED` or `STORE_UNAVAILABLE` when a check could not be completed (nothing consumed).
   * The pairing check shares a batch with other verifications under way (`micro-batch.ts`).
   */
  async verify(policyId: string, presentation: unknown, clientId: string): Promise<Verdict> {
    const started = performance.now();
    const policy = await this.policy(policyId);
    const screened = await this.#screen(policy, presentation, clientId);
    const verdict =
      "verdict" in screened
        ? screened.verdict
        : await this.#decide(
            screened,
            await this.#checker.check(this.#query.verificationKey, screened.bundle),
          );
    this.#onVerdict?.(verdict, (performance.now() - started) / 1000);
    return verdict;
  }

  /**
   * Verifies up to {@link MAX_BATCH} presentations; one result per item, in order: a verdict, or
   * the error that kept it from being decided. The items that pass checks 1–4 go to the workers
   * together, as batches of one pairing product each.
   */
  async verifyBatch(
    items: readonly { readonly policyId: string; readonly presentation: unknown }[],
    clientId: string,
  ): Promise<(Verdict | CrossproofError)[]> {
    const started = performance.now();
    const settle = <T>(s: PromiseSettledResult<T>): T | CrossproofError => {
      if (s.status === "fulfilled") return s.value;
      if (s.reason instanceof CrossproofError) return s.reason;
      throw s.reason;
    };
    const screened = (
      await Promise.allSettled(
        items.map(async (item) =>
          this.#screen(await this.policy(item.policyId), item.presentation, clientId),
        ),
      )
    ).map(settle);
    const pending = screened.filter((s): s is Screened => !(s instanceof Error) && "bundle" in s);
    let outcomes: VerifyOutcome[] | CrossproofError;
    try {
      outcomes = await this.#checker.checkMany(
        this.#query.verificationKey,
        pending.map((p) => p.bundle),
      );
    } catch (err) {
      if (!(err instanceof CrossproofError)) throw err;
      outcomes = err;
    }
    const decided = await Promise.allSettled(
      screened.map(async (s) => {
        if (s instanceof Error) throw s;
        if ("verdict" in s) return s.verdict;
        if (outcomes instanceof Error) throw outcomes;
        return this.#decide(s, outcomes[pending.indexOf(s)] as VerifyOutcome);
      }),
    );
    const results = decided.map(settle);
    const seconds = (performance.now() - started) / 1000;
    for (const r of results) if (!(r instanceof Error)) this.#onVerdict?.(r, seconds);
    return results;
  }

  /**
   * Checks 1–4 of one presentation: a refusal (stored with its receipt) when one fails, else
   * what the pairing check's outcome is needed for.
   */
  async #screen(
    policy: StoredPolicy,
    presentation: unknown,
    clientId: string,
  ): Promise<{ readonly verdict: Verdict } | Screened> {
    const { definition } = policy;
    const refuse = async (
      reasons: FailedCheck[],
      challengeId: string | null,
    ): Promise<{ verdict: Verdict }> => {
      const receipt = this.#receipt(definition.id, challengeId, null, null, reasons, clientId);
      await this.#store.insertReceipt(receipt);
      return { verdict: { verified: false, reasons, disclosed: {}, receipt } };
    };

    // 1. Shape and ranges.
    const shape = presentationShape.safeParse(presentation);
    if (!shape.success) {
      return refuse(
        [failed(Reason.MALFORMED, `malformed presentation: ${firstIssue(shape.error)}`)],
        null,
      );
    }
    const { challengeId } = shape.data;
    let bundle: ProofBundle;
    try {
      bundle = parseProofBundle(
        { proof: shape.data.proof, publicSignals: shape.data.publicSignals },
        this.#query.verificationKey.nPublic,
      );
    } catch (err) {
      if (!(err instanceof CrossproofError)) throw err;
      return refuse([failed(Reason.MALFORMED, err.message)], challengeId);
    }

    // 2. The challenge (read only: consumed at the end, with the receipt). A challenge belongs
    // to the key that issued it: another caller's is answered exactly as one never issued, so
    // ids cannot be probed, and is neither used nor burnt (the admin key included).
    const found = await this.#store.getChallenge(challengeId);
    const challenge = found?.clientId === clientId ? found : null;
    const now = this.#now();
    if (!challenge) return refuse([failed(Reason.CHALLENGE_UNKNOWN)], challengeId);
    if (challenge.policyId !== definition.id) {
      return refuse([failed(Reason.CHALLENGE_POLICY_MISMATCH)], challengeId);
    }
    if (challenge.consumedAt !== null) {
      return refuse([failed(Reason.CHALLENGE_CONSUMED)], challengeId);
    }
    if (challenge.expiresAt.getTime() <= now.getTime()) {
      return refuse([failed(Reason.CHALLENGE_EXPIRED)], challengeId);
    }

    // 3. The statement: this challenge, this schema, this query.
    const signals = parseQueryPublicSignals(bundle.publicSignals, this.#k);
    const reasons: FailedCheck[] = [];
    if (signals.challenge !== challenge.nonce) reasons.push(failed(Reason.CHALLENGE_MISMATCH));
    if (signals.schemaId !== challenge.schemaId) reasons.push(failed(Reason.SCHEMA_MISMATCH));
    if (signals.queryHash !== challenge.queryHash) reasons.push(failed(Reason.QUERY_MISMATCH));

    // 4. The root, as the registry has it now. An outage throws: nothing is consumed.
    const status = await this.#roots.lookupRoot(signals.root);
    reasons.push(...rootProblems(status, definition, challenge.schemaId, now));

    const screened: Screened = {
      definition,
      challenge,
      bundle,
      root: signals.root,
      disclosedSignals: signals.disclosed,
      issuer: status?.issuer ?? null,
      reasons,
      clientId,
    };
    // 5 (points and pairings) only for what passed everything else.
    return reasons.length === 0 ? screened : { verdict: await this.#decide(screened, null) };
  }

  /**
   * The verdict of a screened presentation, given the outcome of its pairing check (null when an
   * earlier check failed): consume the challenge and store the receipt, atomically.
   */
  async #decide(screened: Screened, outcome: VerifyOutcome | null): Promise<Verdict> {
    const { definition, challenge, clientId } = screened;
    const reasons = [...screened.reasons];
    if (outcome && "malformed" in outcome) {
      reasons.push(failed(Reason.MALFORMED, `malformed proof: ${outcome.malformed}`));
    } else if (outcome && !outcome.valid) {
      reasons.push(failed(Reason.PROOF_INVALID));
    }
    const receipt = this.#receipt(
      definition.id,
      challenge.id,
      screened.root,
      screened.issuer,
      reasons,
      clientId,
    );
    const consumed = await this.#store.consumeChallenge(challenge.id, receipt);
    if (consumed !== "consumed") {
      const lost = [failed(LOST_CHALLENGE[consumed])];
      const refusal = this.#receipt(
        definition.id,
        challenge.id,
        screened.root,
        null,
        lost,
        clientId,
      );
      await this.#store.insertReceipt(refusal);
      return { verified: false, reasons: lost, disclosed: {}, receipt: refusal };
    }
    const schema = getSchema(definition.schema);
    return {
      verified: receipt.verified,
      reasons,
      disclosed: receipt.verified
        ? decodeDisclosed(schema, challenge.predicates, screened.disclosedSignals)
        : {},
      receipt,
    };
  }

  /**
   * Checks any Groth16 proof `{proof, publicSignals}` against a known circuit's verification
   * key: shape, ranges, points, pairings. Says nothing about roots, challenges or policies.
   */
  async checkProof(circuit: string, json: unknown): Promise<ProofCheck> {
    const [check] = await this.#checkProofs(circuit, [json], false);
    return check as ProofCheck;
  }

  /** {@link checkProof} for up to {@link MAX_BATCH} proofs of one circuit, checked together. */
  checkProofs(circuit: string, jsons: readonly unknown[]): Promise<ProofCheck[]> {
    return this.#checkProofs(circuit, jsons, true);
  }

  async #checkProofs(
    circuit: string,
    jsons: readonly unknown[],
    together: boolean,
  ): Promise<ProofCheck[]> {
    const release = this.circuit(circuit);
    const checks: (ProofCheck | ProofBundle)[] = jsons.map((json) => {
      try {
        return parseProofBundle(json, release.verificationKey.nPublic);
      } catch (err) {
        if (!(err instanceof CrossproofError)) throw err;
        return { valid: false, reasons: [failed(Reason.MALFORMED, err.message)] };
      }
    });
    const bundles = checks.filter((c): c is ProofBundle => "proof" in c);
    const vk = release.verificationKey;
    const outcomes = together
      ? await this.#checker.checkMany(vk, bundles)
      : await Promise.all(bundles.map((b) => this.#checker.check(vk, b)));
    return checks.map((c) => {
      if (!("proof" in c)) return c;
      const outcome = outcomes[bundles.indexOf(c)] as VerifyOutcome;
      if ("malformed" in outcome) {
        return {
          valid: false,
          reasons: [failed(Reason.MALFORMED, `malformed proof: ${outcome.malformed}`)],
        };
      }
      return outcome.valid
        ? { valid: true, reasons: [] }
        : { valid: false, reasons: [failed(Reason.PROOF_INVALID)] };
    });
  }

  #receipt(
    policyId: string,
    challengeId: string | null,
    root: bigint | null,
    issuer: string | null,
    reasons: readonly FailedCheck[],
    clientId: string,
  ): Receipt {
    return {
      id: newId("rc"),
      createdAt: this.#now(),
      policyId,
      challengeId,
      root,
      issuer,
      verified: reasons.length === 0,
      reasons: reasons.map((r) => r.code),
      clientId,
    };
  }
}

/**
 * The reason for a challenge that passed the read check but could not be consumed with the
 * verdict: another presentation used it a moment earlier, it expired meanwhile, or it was purged.
 */
const LOST_CHALLENGE = {
  "already-consumed": Reason.CHALLENGE_CONSUMED,
  expired: Reason.CHALLENGE_EXPIRED,
  unknown: Reason.CHALLENGE_UNKNOWN,
} as const satisfies Record<Exclude<ConsumeOutcome, "consumed">, Reason>;

/** What is wrong with a root for a policy, as of `now` (empty: acceptable). */
export function rootProblems(
  status: RootStatus | null,
  policy: { readonly issuers: readonly string[]; readonly rootGraceSeconds: number },
  schemaId: bigint,
  now: Date,
): FailedCheck[] {
  if (status === null) return [failed(Reason.ROOT_UNKNOWN)];
  const problems: FailedCheck[] = [];
  if (!policy.issuers.includes(status.issuer)) problems.push(failed(Reason.ISSUER_NOT_ACCEPTED));
  if (!status.issuerActive) problems.push(failed(Reason.ISSUER_REMOVED));
  if (status.schemaId !== schemaId) problems.push(failed(Reason.ROOT_SCHEMA_MISMATCH));
  if (status.revokedAt !== null) problems.push(failed(Reason.ROOT_REVOKED));
  if (
    status.replacedAt !== null &&
    now.getTime() - status.replacedAt.getTime() > policy.rootGraceSeconds * 1000
  ) {
    problems.push(failed(Reason.ROOT_REPLACED));
  }
  return problems;
}
