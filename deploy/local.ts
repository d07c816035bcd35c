/**
 * The whole cross-boundary set-up on embedded defaults, as `crossproof start` and `crossproof
 * demo` run it: the chain (the local node unless `CROSSPROOF_RPC_URL` is set), two bureaus
 * (deploy/bureaus.ts: the mainland one, the deployment's first issuer, whose vault gets
 * synthetic credit reports, and a Hong Kong one with its own key and vault of residency
 * attestations about some of the same people, each anchored on first start), the verifier
 * service with the sample policies (the creditworthiness one, a set-membership one, and one
 * linked across the two bureaus) and a client key, and the holder's prover service.
 */
import { readFile } from "node:fs/promises";
import { type ChainConnection, openChain } from "../chain/connect.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { evaluatePredicate } from "../core/query.js";
import { encodeRecord, type RecordInput } from "../core/record.js";
import { getSchema } from "../core/schema.js";
import type { CrossproofLogger } from "../infra/log.js";
import { verifierPaths } from "../infra/paths.js";
import { loadStoredSchemas } from "../infra/schema-store.js";
import type { Vault } from "../issuer/vault.js";
import { loadOrCreateClientKeyFile } from "../server/api-keys.js";
import type { ServiceConfig } from "../server/config.js";
import type { ReadinessCheck } from "../server/verifier-service.js";
import { type PolicyDefinition, resolveQuery } from "../verifier/policy.js";
import type { VerifierStore } from "../verifier/store.js";
import { type Bureau, HK_BUREAU, openBureaus, syntheticSourcePath } from "./bureaus.js";
import { type LinkedApplicants, pickLinkedApplicants } from "./linked-applicants.js";
import {
  CROSS_BORDER_LINKED_POLICY,
  PILOT_CREDIT_POLICY,
  RESIDENCY_DISTRICT_POLICY,
} from "./sample-policies.js";
import {
  type ProverService,
  receiptLogOf,
  startProverService,
  startVerifierService,
  type VerifierService,
} from "./services.js";

/** The id of the sample policy `crossproof start` creates. */
export const SAMPLE_POLICY_ID = PILOT_CREDIT_POLICY.id;

/** The pilot's creditworthiness policy, accepting roots of `issuer`. */
export function samplePolicy(issuer: string): Record<string, unknown> {
  return PILOT_CREDIT_POLICY.definition([issuer]);
}

export { syntheticSourcePath } from "./bureaus.js";

/** The id of the sample policy linked across the two bureaus that `crossproof start` creates. */
export const LINKED_POLICY_ID = CROSS_BORDER_LINKED_POLICY.id;

/** The id of the sample set-membership (IN / NIN) policy `crossproof start` creates. */
export const SET_POLICY_ID = RESIDENCY_DISTRICT_POLICY.id;

/**
 * The linked policy across the local deployment's two bureaus: the mainland bureau's credit
 * report (its issuer `mainland`) linked to the Hong Kong bureau's residency attestation (`hk`).
 */
export function linkedSamplePolicy(mainland: string, hk: string): Record<string, unknown> {
  return CROSS_BORDER_LINKED_POLICY.definition([mainland], [[hk]]);
}

/** A synthetic applicant: a record id on the holder's side and the subject id the bank knows. */
export interface Applicant {
  readonly recordId: string;
  readonly subjectId: string;
}

/** Applicants for the demo and the walk-through, from the issuer's synthetic file. */
export interface Applicants {
  /** Meets the sample policy. */
  readonly eligible: Applicant;
  /** Another who meets it too (for "a proof about someone else"). */
  readonly other: Applicant;
  /** Does not meet it. */
  readonly ineligible: Applicant;
}

/** Picks applicants from the synthetic file by the sample policy as of `now`. */
export async function pickApplicants(
  dataDir: string,
  policy: PolicyDefinition,
  k: number,
  now = new Date(),
): Promise<Applicants> {
  const schema = getSchema(policy.schema);
  let text: string;
  try {
    text = await readFile(syntheticSourcePath(dataDir), "utf8");
  } catch (err) {
    throw new CrossproofError(
      ErrorCode.USAGE,
      `no synthetic records in ${dataDir}: run \`crossproof start\` first`,
      { cause: err },
    );
  }
  // Each applicant's challenge binds its own subject, which its own record always matches: the
  // rest of the policy decides, and it is the same for everyone (resolved once).
  const { subject: _, ...unbound } = policy;
  const { predicates } = resolveQuery(unbound, k, now, undefined).compiled;
  const eligible: Applicant[] = [];
  let ineligible: Applicant | undefined;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const { recordId, ...record } = JSON.parse(line) as RecordInput & { recordId: string };
    const slots = encodeRecord(schema, record);
    const subjectId = record.subjectId as string;
    const meets = predicates.every((p) => evaluatePredicate(p, slots));
    if (meets) eligible.push({ recordId, subjectId });
    else ineligible ??= { recordId, subjectId };
    if (eligible.length >= 2 && ineligible) break;
  }
  if (eligible.length < 2 || !ineligible) {
    throw new CrossproofError(
      ErrorCode.USAGE,
      "the synthetic records no longer give both eligible and ineligible applicants (they age): start on a fresh data folder",
    );
  }
  return { eligible: eligible[0] as Applicant, other: eligible[1] as Applicant, ineligible };
}

/** Options of {@link startStack}. */
export interface StackOptions {
  readonly config: ServiceConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: CrossproofLogger;
  /** Synthetic reports to import on first start. */
  readonly records: number;
  readonly seed: number;
  /** Progress lines for people. */
  readonly print: (line: string) => void;
  /** Override the configured ports (0: free ports, as tests and `demo` use). */
  readonly verifierPort?: number;
  readonly proverPort?: number;
}

/** A running stack. */
export interface Stack {
  readonly chain: ChainConnection;
  /** The mainland bureau's vault (`bureaus[0].vault`). */
  readonly vault: Vault;
  /**
   * The bureaus, mainland first: both on the local node; on a remote chain the Hong Kong one
   * only with `CROSSPROOF_HK_ISSUER_KEY[_FILE]`.
   */
  readonly bureaus: readonly Bureau[];
  readonly verifier: VerifierService;
  readonly prover: ProverService;
  readonly policy: PolicyDefinition;
  readonly clientKeyPath: string;
  /** The local auditor's API key file (role auditor: flows, the receipt log, its anchors). */
  readonly auditorKeyPath: string;
  readonly adminKeyPath: string;
  readonly applicants: Applicants;
  /** Applicants for the linked policy (undefined when the Hong Kong bureau is not running). */
  readonly linkedApplicants: LinkedApplicants | undefined;
  /** Stops both services (letting requests under way finish), then the chain. */
  close(): Promise<void>;
}

/**
 * The local deployment's own readiness checks, beside the verifier's: the prover's workers are
 * up and the sample policy exists (both start after the verifier listens).
 */
export async function deploymentReadiness(
  store: VerifierStore,
  prover: Pick<ProverService, "pool"> | undefined,
): Promise<Record<string, ReadinessCheck>> {
  return {
    prover:
      prover && prover.pool.stats.workers > 0 ? { ok: true } : { ok: false, detail: "starting" },
    samplePolicy: (await store.getPolicy(SAMPLE_POLICY_ID))
      ? { ok: true }
      : { ok: false, detail: `${SAMPLE_POLICY_ID} not created yet` },
  };
}

/** Starts everything; on a fresh data folder, imports and anchors the synthetic records first. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const { config, env, logger, print } = options;
  const parts: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const part of parts.reverse()) await part.close().catch(() => undefined);
  };
  try {
    const chain = await openChain({ env, log: print });
    parts.push(chain);
    // The vaults may hold records of the operator's own schemas: anchoring them needs their ids.
    await loadStoredSchemas(config.dataDir);
    const bureaus = await openBureaus(chain, { ...options, dataDir: config.dataDir });
    for (const bureau of bureaus) parts.push({ close: async () => bureau.vault.close() });
    const mainland = bureaus[0] as Bureau;
    const hk = bureaus.find((b) => b.name === HK_BUREAU);
    const vault = mainland.vault;

    // Ready means ready to use: the verifier's /readyz also waits for the prover's workers and
    // the sample policy, which start after it listens.
    let prover: ProverService | undefined;
    const receiptLog = await receiptLogOf(chain);
    const verifier = await startVerifierService({
      config,
      env,
      registry: chain.registry,
      ...(receiptLog ? { receiptLog } : {}),
      registrar: () => chain.admin(),
      logger,
      ...(options.verifierPort === undefined ? {} : { port: options.verifierPort }),
      readiness: () => deploymentReadiness(verifier.store, prover),
    });
    parts.push(verifier);
    // The holder's prover holds every bureau's vault, by name (the mainland's first: the default).
    prover = await startProverService({
      config,
      logger,
      vaults: new Map(bureaus.map((b) => [b.name, b.vault])),
      ...(options.proverPort === undefined ? {} : { port: options.proverPort }),
    });
    parts.push(prover);

    const k = verifier.verifier.circuit("query").manifest.nOutputs;
    const created = async (id: string, definition: () => Record<string, unknown>) => {
      let stored = await verifier.store.getPolicy(id);
      if (!stored) {
        stored = await verifier.verifier.createPolicy(definition());
        print(`verifier: sample policy "${id}" created`);
      }
      return stored.definition;
    };
    const policy = await created(SAMPLE_POLICY_ID, () => samplePolicy(mainland.issuer));
    // The residency records of the set and the linked policies are the Hong Kong bureau's.
    if (hk) await created(SET_POLICY_ID, () => RESIDENCY_DISTRICT_POLICY.definition([hk.issuer]));
    const linkedPolicy = hk
      ? await created(LINKED_POLICY_ID, () => linkedSamplePolicy(mainland.issuer, hk.issuer))
      : undefined;
    const paths = verifierPaths(config.dataDir);
    await loadOrCreateClientKeyFile(verifier.store, verifier.auth, paths.clientKey, "demo client");
    await loadOrCreateClientKeyFile(
      verifier.store,
      verifier.auth,
      paths.auditorKey,
      "local auditor",
      "auditor",
    );
    const applicants = await pickApplicants(config.dataDir, policy, k);
    const linkedApplicants = linkedPolicy
      ? await pickLinkedApplicants(config.dataDir, linkedPolicy, k)
      : undefined;
    return {
      chain,
      vault,
      bureaus,
      verifier,
      prover,
      policy,
      clientKeyPath: paths.clientKey,
      auditorKeyPath: paths.auditorKey,
      adminKeyPath: env.CROSSPROOF_ADMIN_API_KEY_FILE || paths.adminKey,
      applicants,
      linkedApplicants,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
