/**
 * The verifier: policies, one-time challenges, verification of presentations and the receipt
 * log, independent of HTTP (the Koa service in `server/verifier-service.ts` is a thin layer over
 * it). What "verified" means is DESIGN.md's, "Verification"; the checks run cheapest first:
 *
 * 1. well-formed: exact shapes, every signal < r, as many signals as the key's `nPublic`;
 * 2. the challenge: issued by this verifier, for this policy, unexpired, unused;
 * 3. the proof's challenge, `schemaId` and `queryHash` signals equal the challenge's; for a
 *    linked policy (`query_v2`, one proof per record) each record's, and the records' link
 *    outputs all equal and non-zero (`LINK_MISMATCH`);
 * 4. the root: anchored (registry) by an issuer the policy accepts (for that record), still
 *    registered, for the record's schema, not revoked, current or replaced less than the grace
 *    period ago; and the circuit release: the proof's key registered on chain, not retired past
 *    its grace, one the policy accepts (both through the same event-invalidated cache);
 * 5. the points (on the curve, B in G2's subgroup) and the pairing check, in the worker pool
 *    (every proof of a linked presentation, batched with the others).
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
import type { ReleaseStatus, RootRegistry, RootStatus } from "../chain/registry.js";
import {
  CIRCUIT_NAME_PATTERN,
  type KeyHash,
  RELEASE_VERSION_PATTERN,
  type ReleaseSelector,
  selectorAccepts,
  verificationKeyHash,
} from "../core/circuit-release.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { DECIMAL_PATTERN, isFieldElement, randomFieldElement } from "../core/field.js";
import { type ProofBundle, parseProofBundle } from "../core/proof.js";
import { parseQueryPublicSignals, parseQueryV2PublicSignals } from "../core/public-signals.js";
import { type FailedCheck, failed, Reason } from "../core/reasons.js";
import { getSchema } from "../core/schema.js";
import { firstIssue } from "../core/validation.js";
import { ID_PATTERN } from "../core/wire/common.js";
import { MAX_LINKED_RECORDS } from "../core/wire/policy.js";
import type { CircuitRelease, VerificationKey } from "../infra/artifacts.js";
import { checkVerificationKey } from "./key-checks.js";
import {
  type DisclosedValue,
  decodeDisclosed,
  type PolicyCircuit,
  parsePolicyDefinition,
  policyCircuit,
  policyRecords,
  resolveStatement,
  type StoredPolicy,
} from "./policy.js";
import type { ProofChecker, VerifyOutcome } from "./pool.js";
import type {
  ChallengePart,
  ChallengeRecord,
  ConsumeOutcome,
  ExternalCircuit,
  LinkedRoot,
  Receipt,
  VerifierStore,
} from "./store.js";

/** Where root statuses come from: the registry, through its event-invalidated cache. */
export interface RootLookup {
  /** `REGISTRY_UNAVAILABLE` when the chain cannot answer; never a guess. */
  lookupRoot(root: bigint): Promise<RootStatus | null>;
}

/**
 * Where circuit releases come from: the registry, through the same event-invalidated cache as
 * roots. `REGISTRY_UNAVAILABLE` when the chain cannot answer; never a guess.
 */
export interface ReleaseLookup {
  lookupRelease(keyHash: KeyHash): Promise<ReleaseStatus | null>;
  releaseKey(name: string, version: string): Promise<KeyHash | null>;
}

/** What registering an external circuit needs of the chain: the registry, signing as its admin. */
export type ReleaseRegistrar = Pick<RootRegistry, "lookupRelease" | "registerRelease">;

/** The outcome of one verification. */
export interface Verdict {
  /** Linked policies: each further record's schema and disclosed values (when verified). */
  readonly linked?: readonly {
    readonly schema: string;
    readonly disclosed: Record<string, DisclosedValue>;
  }[];
  readonly verified: boolean;
  readonly reasons: readonly FailedCheck[];
  /** The disclosed values by field name; empty unless verified. */
  readonly disclosed: Readonly<Record<string, DisclosedValue>>;
  readonly receipt: Receipt;
}

/** What `Verifier.previewPolicy` answers. */
export interface PolicyPreview {
  readonly definition: StoredPolicy["definition"];
  readonly schemaId: bigint;
  /** The query hash of a challenge issued at `asOf` (null: per subject, and none was given). */
  readonly queryHash: bigint | null;
  readonly asOf: Date;
  /** Whether a policy with this id exists (creating it would answer POLICY_EXISTS). */
  readonly exists: boolean;
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
  /** Circuit releases, through the registry's cache (the same object as `roots`, usually). */
  readonly releases: ReleaseLookup;
  /** The circuit releases this verifier knows, by name; must include `query`. */
  readonly circuits: ReadonlyMap<string, CircuitRelease>;
  /**
   * Further keys of the `query` circuit this verifier holds (a rotation: the previous or the
   * next release); a presentation names its release's version to be checked with one of them.
   */
  readonly queryReleases?: readonly CircuitRelease[];
  /**
   * The registry signing as the chain's admin, for `POST /v1/circuits` (external circuits are
   * registered on chain); without it, that operation answers `CHAIN_CONFIG`.
   */
  readonly registrar?: () => Promise<ReleaseRegistrar>;
  /** The clock (tests may move it). */
  readonly now?: () => Date;
  /** Called with each verdict and how long it took (metrics). */
  readonly onVerdict?: (verdict: Verdict, seconds: number) => void;
}

/** A presentation that passed checks 1–4, waiting for its pairing check. */
interface Screened {
  readonly definition: StoredPolicy["definition"];
  readonly challenge: ChallengeRecord;
  /** One proof per record of the statement (one, unless the policy links records). */
  readonly bundles: readonly ProofBundle[];
  /** The verification key of the release the proofs are under. */
  readonly key: VerificationKey;
  /** The root of record 0 (the policy's own record), as the receipt keeps it. */
  readonly root: bigint;
  /** The disclosed outputs, per record. */
  readonly disclosedSignals: readonly (readonly bigint[])[];
  readonly issuer: string | null;
  /** A linked policy's further records: each proof's root and its issuer, for the receipt. */
  readonly linkedRoots: readonly LinkedRoot[];
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
  release: z.string().regex(RELEASE_VERSION_PATTERN).optional(),
  linked: z
    .array(z.strictObject({ proof: z.unknown(), publicSignals: z.unknown() }))
    .max(MAX_LINKED_RECORDS)
    .optional(),
});

/** A verification outcome for a presentation of several proofs: the first failure, or valid. */
function combineOutcomes(outcomes: readonly VerifyOutcome[]): VerifyOutcome {
  return (
    outcomes.find((o) => "malformed" in o) ??
    outcomes.find((o) => !("malformed" in o) && !o.valid) ?? { valid: true }
  );
}

/** A circuit a generic proof check can use: one of ours, or an external one. */
interface CheckableCircuit {
  readonly name: string;
  readonly keyHash: KeyHash;
  readonly verificationKey: VerificationKey;
}

/** `POST /v1/circuits`: an external circuit's name, version and verification key. */
const externalCircuitShape = z.strictObject({
  name: z
    .string()
    .regex(CIRCUIT_NAME_PATTERN, "lower-case letters, digits, _ and -, from a letter"),
  version: z.string().regex(RELEASE_VERSION_PATTERN).default("1"),
  verificationKey: z.looseObject({
    protocol: z.literal("groth16"),
    curve: z.literal("bn128"),
    nPublic: z.number().int().min(1).max(1_000),
  }),
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
  /** The `query_v2` release, when this verifier holds it (set predicates, linked records). */
  readonly #queryV2: CircuitRelease | undefined;
  readonly #releases: ReleaseLookup;
  /** Every `query` key held, by key hash (the loaded release's and any rotation's). */
  readonly #queryKeys: Map<KeyHash, CircuitRelease>;
  readonly #queryKey: KeyHash;
  readonly #keyHashes = new Map<string, KeyHash>();
  readonly #registrar: (() => Promise<ReleaseRegistrar>) | undefined;
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
    this.#queryV2 = options.circuits.get("query_v2");
    this.#releases = options.releases;
    this.#registrar = options.registrar;
    for (const [name, release] of options.circuits) {
      this.#keyHashes.set(name, verificationKeyHash(release.verificationKey));
    }
    this.#queryKey = this.#keyHashes.get("query") as KeyHash;
    this.#queryKeys = new Map([[this.#queryKey, query]]);
    for (const other of options.queryReleases ?? []) {
      // Releases of one circuit share its public signals; only the keys differ.
      if (
        other.manifest.nPublic !== query.manifest.nPublic ||
        other.manifest.nOutputs !== query.manifest.nOutputs
      ) {
        throw new Error("a further query release must have the same public signals");
      }
      this.#queryKeys.set(verificationKeyHash(other.verificationKey), other);
    }
    this.#k = query.manifest.nOutputs;
    this.#now = options.now ?? (() => new Date());
    this.#onVerdict = options.onVerdict;
  }

  /** The circuit releases, by name. */
  get circuits(): ReadonlyMap<string, CircuitRelease> {
    return this.#circuits;
  }

  /** The chain's record of the loaded `query` key's release (null: not registered). */
  loadedRelease(): Promise<ReleaseStatus | null> {
    return this.#releases.lookupRelease(this.#queryKey);
  }

  /** The release of a circuit, or `NOT_FOUND`. */
  circuit(name: string): CircuitRelease {
    const release = this.#circuits.get(name);
    if (!release) throw notFound("circuit", name);
    return release;
  }

  /** Validates and stores a new policy (`INVALID_POLICY`, `POLICY_EXISTS`). */
  async createPolicy(json: unknown): Promise<StoredPolicy> {
    const definition = this.#parsePolicy(json);
    return this.#store.createPolicy(definition, this.#now());
  }

  /** A policy definition checked, and its circuit one this verifier holds (`INVALID_POLICY`). */
  #parsePolicy(json: unknown): StoredPolicy["definition"] {
    const definition = parsePolicyDefinition(json, this.#k);
    if (policyCircuit(definition) === "query_v2" && !this.#queryV2) {
      throw new CrossproofError(
        ErrorCode.INVALID_POLICY,
        "invalid policy: set predicates (IN, NIN) and linked records need the query_v2 circuit release, which this verifier does not hold",
        { details: { circuit: "query_v2" } },
      );
    }
    return definition;
  }

  /**
   * What creating a policy would make, without storing it: the definition as it would be stored
   * (or the same errors as `createPolicy`, but `POLICY_EXISTS`: `exists` says whether the id is
   * taken), its schema id and the `queryHash` a challenge issued now would carry. A policy that
   * binds a subject has a `queryHash` per subject: null unless `subjectHash` is given.
   */
  async previewPolicy(json: unknown, subjectHash?: bigint): Promise<PolicyPreview> {
    const definition = this.#parsePolicy(json);
    if (subjectHash !== undefined && !definition.subject) {
      throw new CrossproofError(
        ErrorCode.INVALID_SUBJECT,
        `policy "${definition.id}" binds no subject: give no subject hash`,
      );
    }
    if (subjectHash !== undefined && !isFieldElement(subjectHash)) {
      throw new CrossproofError(ErrorCode.INVALID_SUBJECT, "subjectHash must be below r");
    }
    const asOf = this.#now();
    const statement =
      definition.subject && subjectHash === undefined
        ? null
        : resolveStatement(definition, this.#k, asOf, subjectHash, ErrorCode.INVALID_POLICY);
    return {
      definition,
      schemaId: getSchema(definition.schema).schemaId,
      queryHash: statement?.parts[0]?.queryHash ?? null,
      asOf,
      exists: (await this.#store.getPolicy(definition.id)) !== null,
    };
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
    const { circuit, parts } = resolveStatement(definition, this.#k, issuedAt, subject);
    const [own, ...linked] = parts;
    if (!own) throw new Error("a statement has at least one record");
    const challenge: ChallengeRecord = {
      id: newId("ch"),
      policyId,
      nonce: randomFieldElement(),
      schemaId: own.schema.schemaId,
      queryHash: own.queryHash,
      predicates: own.predicates,
      query: own.query,
      circuit,
      table: own.table,
      link: own.link,
      linked: linked.map(
        (part): ChallengePart => ({
          schemaId: part.schema.schemaId,
          queryHash: part.queryHash,
          predicates: part.predicates,
          query: part.query,
          table: part.table ?? [],
          link: part.link,
        }),
      ),
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
        : await this.#decide(screened, await this.#checkAll(screened));
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
    const pending = screened.filter((s): s is Screened => !(s instanceof Error) && "bundles" in s);
    // One pairing product per key: during a rotation, proofs under each release go together; a
    // linked presentation's proofs go with the rest, and it is valid when all of them are.
    const outcomeOf = new Map<Screened, VerifyOutcome>();
    let outcomes: Map<Screened, VerifyOutcome> | CrossproofError = outcomeOf;
    try {
      for (const key of new Set(pending.map((p) => p.key))) {
        const group = pending.filter((p) => p.key === key);
        const checked = await this.#checker.checkMany(
          key,
          group.flatMap((p) => p.bundles),
        );
        let at = 0;
        for (const p of group) {
          outcomeOf.set(p, combineOutcomes(checked.slice(at, at + p.bundles.length)));
          at += p.bundles.length;
        }
      }
    } catch (err) {
      if (!(err instanceof CrossproofError)) throw err;
      outcomes = err;
    }
    const decided = await Promise.allSettled(
      screened.map(async (s) => {
        if (s instanceof Error) throw s;
        if ("verdict" in s) return s.verdict;
        if (outcomes instanceof Error) throw outcomes;
        return this.#decide(s, outcomes.get(s) as VerifyOutcome);
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

    // 1. Shape and ranges: one proof per record of the policy, each with its circuit's signals.
    const shape = presentationShape.safeParse(presentation);
    if (!shape.success) {
      return refuse(
        [failed(Reason.MALFORMED, `malformed presentation: ${firstIssue(shape.error)}`)],
        null,
      );
    }
    const { challengeId } = shape.data;
    const circuit = policyCircuit(definition);
    const records = policyRecords(definition);
    const linked = records.length > 1;
    /** A check about record `record`, which names it when the policy links several. */
    const about = (record: number, check: FailedCheck): FailedCheck =>
      linked ? { ...check, record } : check;
    const linkedProofs = shape.data.linked ?? [];
    if (linkedProofs.length !== records.length - 1) {
      const message =
        records.length === 1
          ? "malformed presentation: the policy is about one record: give no linked proofs"
          : `malformed presentation: the policy links ${records.length} records: give ${records.length - 1} linked proof(s) after the first`;
      return refuse([failed(Reason.MALFORMED, message)], challengeId);
    }
    const release = this.#releaseOf(circuit);
    const bundles: ProofBundle[] = [];
    for (const [index, part] of [shape.data, ...linkedProofs].entries()) {
      try {
        bundles.push(
          parseProofBundle(
            { proof: part.proof, publicSignals: part.publicSignals },
            release.verificationKey.nPublic,
          ),
        );
      } catch (err) {
        if (!(err instanceof CrossproofError)) throw err;
        return refuse([about(index, failed(Reason.MALFORMED, err.message))], challengeId);
      }
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

    // 3. The statement, record by record: this challenge, this schema, this query; and, for a
    // linked policy, one subject (equal, non-zero link outputs). 4. Each record's root, and the
    // circuit release, as the registry has them now. An outage throws: nothing is consumed.
    const expected = [
      { schemaId: challenge.schemaId, queryHash: challenge.queryHash },
      ...challenge.linked,
    ];
    const signals = bundles.map((b) =>
      circuit === "query"
        ? { ...parseQueryPublicSignals(b.publicSignals, this.#k), link: 0n }
        : parseQueryV2PublicSignals(b.publicSignals, this.#k),
    );
    const reasons: FailedCheck[] = [];
    const [statuses, releaseCheck] = await Promise.all([
      Promise.all(signals.map((sig) => this.#roots.lookupRoot(sig.root))),
      this.#releaseFor(circuit, shape.data.release, definition.releases, now),
    ]);
    for (const [index, sig] of signals.entries()) {
      const part = expected[index];
      if (!part) throw new Error("the challenge has a part per record of its policy");
      const mismatch = (code: Reason) => reasons.push(about(index, failed(code)));
      if (sig.challenge !== challenge.nonce) mismatch(Reason.CHALLENGE_MISMATCH);
      if (sig.schemaId !== part.schemaId) mismatch(Reason.SCHEMA_MISMATCH);
      if (sig.queryHash !== part.queryHash) mismatch(Reason.QUERY_MISMATCH);
    }
    if (linked) {
      const [first, ...others] = signals.map((sig) => sig.link);
      if (first === 0n || others.some((l) => l !== first)) {
        reasons.push(failed(Reason.LINK_MISMATCH));
      }
    }
    for (const [index, status] of statuses.entries()) {
      const record = records[index] as (typeof records)[number];
      const grace = { issuers: record.issuers, rootGraceSeconds: definition.rootGraceSeconds };
      const schemaId = (expected[index] as { schemaId: bigint }).schemaId;
      for (const problem of rootProblems(status, grace, schemaId, now)) {
        reasons.push(about(index, problem));
      }
    }
    reasons.push(...releaseCheck.problems);

    const screened: Screened = {
      definition,
      challenge,
      bundles,
      key: releaseCheck.key,
      root: (signals[0] as { root: bigint }).root,
      disclosedSignals: signals.map((sig) => sig.disclosed),
      issuer: statuses[0]?.issuer ?? null,
      linkedRoots: signals.slice(1).map((sig, i) => ({
        root: sig.root,
        issuer: statuses[i + 1]?.issuer ?? null,
      })),
      reasons,
      clientId,
    };
    // 5 (points and pairings) only for what passed everything else.
    return reasons.length === 0 ? screened : { verdict: await this.#decide(screened, null) };
  }

  /** The pairing checks of a screened presentation's proofs: valid when all of them are. */
  async #checkAll(screened: Screened): Promise<VerifyOutcome> {
    const [only] = screened.bundles;
    if (screened.bundles.length === 1 && only) return this.#checker.check(screened.key, only);
    return combineOutcomes(await this.#checker.checkMany(screened.key, screened.bundles));
  }

  /** The loaded release of a policy circuit (a `query_v2` policy exists only if it is held). */
  #releaseOf(circuit: PolicyCircuit): CircuitRelease {
    if (circuit === "query") return this.#query;
    if (!this.#queryV2) {
      throw new CrossproofError(
        ErrorCode.ARTIFACT_MISSING,
        "this policy needs the query_v2 circuit release, which this verifier does not hold",
        { details: { circuit } },
      );
    }
    return this.#queryV2;
  }

  /**
   * The release a `query` proof is under (the one its presentation names, else the loaded key's)
   * and what is wrong with it for a policy: not registered (or its key not held here), retired
   * past its grace period, or not among the policy's releases.
   */
  async #queryRelease(
    version: string | undefined,
    selector: ReleaseSelector | undefined,
    now: Date,
  ): Promise<{ key: VerificationKey; problems: FailedCheck[] }> {
    let keyHash = this.#queryKey;
    if (version !== undefined) {
      const named = await this.#releases.releaseKey("query", version);
      const held = named === null ? undefined : this.#queryKeys.get(named);
      if (named === null || !held) {
        const why =
          named === null
            ? `no release query ${version} is registered on the verifier's chain`
            : `this verifier does not hold the key of release query ${version}`;
        return {
          key: this.#query.verificationKey,
          problems: [failed(Reason.CIRCUIT_UNREGISTERED, why)],
        };
      }
      keyHash = named;
    }
    const key = (this.#queryKeys.get(keyHash) as CircuitRelease).verificationKey;
    const status = await this.#releases.lookupRelease(keyHash);
    return { key, problems: releaseProblems(status, "query", selector, now) };
  }

  /**
   * The release a proof of `circuit` is under, and what is wrong with it for a policy. `query`:
   * the release its presentation names or else the loaded key's, as {@link #queryRelease} says.
   * `query_v2`: the loaded key's (a named version must be that key's), registered on chain, not
   * retired past its grace period, among the policy's releases.
   */
  async #releaseFor(
    circuit: PolicyCircuit,
    version: string | undefined,
    selector: ReleaseSelector | undefined,
    now: Date,
  ): Promise<{ key: VerificationKey; problems: FailedCheck[] }> {
    if (circuit === "query") return this.#queryRelease(version, selector, now);
    const release = this.#releaseOf(circuit);
    const keyHash = this.#keyHashes.get(circuit) as KeyHash;
    if (version !== undefined && (await this.#releases.releaseKey(circuit, version)) !== keyHash) {
      return {
        key: release.verificationKey,
        problems: [
          failed(
            Reason.CIRCUIT_UNREGISTERED,
            `this verifier does not hold the key of release ${circuit} ${version}`,
          ),
        ],
      };
    }
    const status = await this.#releases.lookupRelease(keyHash);
    return {
      key: release.verificationKey,
      problems: releaseProblems(status, circuit, selector, now),
    };
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
      screened.linkedRoots,
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
    const disclosed = (schemaId: string, predicates: ChallengePart["predicates"], index: number) =>
      receipt.verified
        ? decodeDisclosed(getSchema(schemaId), predicates, screened.disclosedSignals[index] ?? [])
        : {};
    return {
      verified: receipt.verified,
      reasons,
      disclosed: disclosed(definition.schema, challenge.predicates, 0),
      ...(challenge.linked.length === 0
        ? {}
        : {
            linked: challenge.linked.map((part, i) => {
              const schema = definition.linked?.[i]?.schema ?? "";
              return { schema, disclosed: disclosed(schema, part.predicates, i + 1) };
            }),
          }),
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

  /**
   * A circuit for generic proof checks: one of ours or an external one (read from the store,
   * which instances share); `NOT_FOUND` naming the circuit otherwise.
   */
  async checkableCircuit(name: string): Promise<CheckableCircuit> {
    const ours = this.#circuits.get(name);
    if (ours) {
      return {
        name,
        keyHash: this.#keyHashes.get(name) as KeyHash,
        verificationKey: ours.verificationKey,
      };
    }
    const external = CIRCUIT_NAME_PATTERN.test(name)
      ? await this.#store.getExternalCircuit(name)
      : null;
    if (!external) throw notFound("circuit", name);
    return external;
  }

  /** The external circuits the admin registered. */
  externalCircuits(): Promise<ExternalCircuit[]> {
    return this.#store.listExternalCircuits();
  }

  /**
   * Registers an external circom/snarkjs BN254 Groth16 circuit (`{name, version?,
   * verificationKey}`, untrusted JSON): the key passes the load-time checks (`KEY_INVALID` with
   * the failed check), its hash is registered on chain as a release of kind `external` (the
   * admin's signature), and the key is stored. `CIRCUIT_EXISTS` for a name taken by one of ours
   * or by another key; the same registration again is answered as the first (`created: false`).
   */
  async registerExternalCircuit(
    json: unknown,
  ): Promise<{ circuit: ExternalCircuit; created: boolean }> {
    const parsed = externalCircuitShape.safeParse(json);
    if (!parsed.success) {
      throw new CrossproofError(
        ErrorCode.INVALID_REQUEST,
        `invalid circuit: ${firstIssue(parsed.error)}`,
      );
    }
    const { name, version } = parsed.data;
    const verificationKey = parsed.data.verificationKey as unknown as VerificationKey;
    if (this.#circuits.has(name)) {
      throw new CrossproofError(
        ErrorCode.CIRCUIT_EXISTS,
        `"${name}" is one of crossproof's own circuits: choose another name`,
        { details: { circuit: name } },
      );
    }
    await checkVerificationKey(verificationKey, name, verificationKey.nPublic);
    const keyHash = verificationKeyHash(verificationKey);
    const existing = await this.#store.getExternalCircuit(name);
    if (existing) {
      if (existing.keyHash === keyHash && existing.version === version) {
        return { circuit: existing, created: false };
      }
      throw new CrossproofError(
        ErrorCode.CIRCUIT_EXISTS,
        `an external circuit "${name}" is registered with another key or version: a registered key is immutable, register a new name`,
        { details: { circuit: name, keyHash: existing.keyHash, version: existing.version } },
      );
    }
    if (!this.#registrar) {
      throw new CrossproofError(
        ErrorCode.CHAIN_CONFIG,
        "registering a circuit needs the chain admin's key (CROSSPROOF_ADMIN_KEY or CROSSPROOF_ADMIN_KEY_FILE), and this verifier has none",
      );
    }
    const registrar = await this.#registrar();
    const onChain = await registrar.lookupRelease(keyHash);
    if (onChain === null) {
      await registrar.registerRelease(name, version, keyHash, "external");
    } else if (onChain.name !== name || onChain.version !== version) {
      // The same key under another name: registered once, ever (the contract refuses it too).
      throw new CrossproofError(
        ErrorCode.CIRCUIT_EXISTS,
        `this verification key is registered on chain as ${onChain.name} ${onChain.version}`,
        { details: { circuit: onChain.name, version: onChain.version, keyHash } },
      );
    }
    const circuit: ExternalCircuit = {
      name,
      version,
      keyHash,
      verificationKey,
      createdAt: this.#now(),
    };
    if (!(await this.#store.insertExternalCircuit(circuit))) {
      // Another instance stored it a moment earlier: answer as for a repeat.
      return this.registerExternalCircuit(json);
    }
    return { circuit, created: true };
  }

  async #checkProofs(
    circuit: string,
    jsons: readonly unknown[],
    together: boolean,
  ): Promise<ProofCheck[]> {
    const release = await this.checkableCircuit(circuit);
    // An external circuit exists for this verifier only through its registration on chain, so
    // its release is checked (registered, not retired). Our own circuits' keys are this
    // verifier's configuration: checking a proof against one stays a pure key check that needs
    // no chain (it keeps answering through a chain outage); presentations are where releases
    // decide, through the policies.
    const problems = this.#circuits.has(release.name)
      ? []
      : releaseProblems(
          await this.#releases.lookupRelease(release.keyHash),
          release.name,
          undefined,
          this.#now(),
        );
    const checks: (ProofCheck | ProofBundle)[] = jsons.map((json) => {
      try {
        const bundle = parseProofBundle(json, release.verificationKey.nPublic);
        // A release the chain does not accept decides every proof under it: no pairing needed.
        return problems.length > 0 ? { valid: false, reasons: problems } : bundle;
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
    linked: readonly LinkedRoot[] = [],
  ): Receipt {
    return {
      id: newId("rc"),
      createdAt: this.#now(),
      policyId,
      challengeId,
      root,
      issuer,
      verified: reasons.length === 0,
      // A code once, though several records failed it (the verdict names each record).
      reasons: [...new Set(reasons.map((r) => r.code))],
      clientId,
      ...(linked.length === 0 ? {} : { linked }),
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

/**
 * What is wrong with a circuit release for `circuit` as of `now` (empty: acceptable): never
 * registered, or registered for another circuit (`CIRCUIT_UNREGISTERED`); retired and past its
 * grace period (`CIRCUIT_RETIRED`); not among those the policy accepts (`CIRCUIT_NOT_ACCEPTED`).
 */
export function releaseProblems(
  status: ReleaseStatus | null,
  circuit: string,
  selector: ReleaseSelector | undefined,
  now: Date,
): FailedCheck[] {
  if (status === null || status.name !== circuit) return [failed(Reason.CIRCUIT_UNREGISTERED)];
  const problems: FailedCheck[] = [];
  if (status.acceptedUntil !== null && now.getTime() >= status.acceptedUntil.getTime()) {
    problems.push(failed(Reason.CIRCUIT_RETIRED));
  }
  if (!selectorAccepts(selector, status.version)) {
    problems.push(
      failed(
        Reason.CIRCUIT_NOT_ACCEPTED,
        `the proof's circuit release (${status.name} ${status.version}) is not one the policy accepts`,
      ),
    );
  }
  return problems;
}

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
