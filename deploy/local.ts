/**
 * The whole cross-boundary set-up on embedded defaults, as `crossproof start` and `crossproof
 * demo` run it: the chain (the local node unless `CROSSPROOF_RPC_URL` is set), an issuer whose
 * vault gets synthetic credit reports anchored on first start, the verifier service with a
 * sample creditworthiness policy and a client key, and the holder's prover service.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type ChainConnection, openChain } from "../chain/connect.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { evaluatePredicate } from "../core/query.js";
import { encodeRecord, type RecordInput } from "../core/record.js";
import { getSchema } from "../core/schema.js";
import { createPrivateFile, fileExists } from "../infra/files.js";
import type { CrossproofLogger } from "../infra/log.js";
import { vaultPath, verifierPaths } from "../infra/paths.js";
import { loadStoredSchemas } from "../infra/schema-store.js";
import { anchorNewRecords } from "../issuer/anchor.js";
import { readImportFile } from "../issuer/import-file.js";
import { syntheticRecordRows } from "../issuer/synthetic.js";
import { Vault } from "../issuer/vault.js";
import { loadOrCreateClientKeyFile } from "../server/api-keys.js";
import type { ServiceConfig } from "../server/config.js";
import type { ReadinessCheck } from "../server/verifier-service.js";
import { type PolicyDefinition, resolveQuery } from "../verifier/policy.js";
import type { VerifierStore } from "../verifier/store.js";
import { PILOT_CREDIT_POLICY } from "./sample-policies.js";
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

/** The issuer's input file of synthetic reports (on the holder's side, mode 0600). */
export function syntheticSourcePath(dataDir: string): string {
  return join(dataDir, "issuer", "synthetic-credit-reports.jsonl");
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
  readonly vault: Vault;
  readonly verifier: VerifierService;
  readonly prover: ProverService;
  readonly policy: PolicyDefinition;
  readonly clientKeyPath: string;
  /** The local auditor's API key file (role auditor: flows, the receipt log, its anchors). */
  readonly auditorKeyPath: string;
  readonly adminKeyPath: string;
  readonly applicants: Applicants;
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
    const issuer = chain.registry.signer;
    if (!issuer) {
      throw new CrossproofError(
        ErrorCode.CHAIN_CONFIG,
        "the issuer needs a signing key: set CROSSPROOF_ISSUER_KEY or CROSSPROOF_ISSUER_KEY_FILE",
      );
    }
    // The vault may hold records of the operator's own schemas: anchoring them needs their ids.
    await loadStoredSchemas(config.dataDir);
    const vault = await Vault.open(vaultPath(config.dataDir));
    parts.push({ close: async () => vault.close() });
    await bootstrapIssuer(vault, chain, options);

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
    prover = await startProverService({
      config,
      logger,
      vault,
      ...(options.proverPort === undefined ? {} : { port: options.proverPort }),
    });
    parts.push(prover);

    const k = verifier.verifier.circuit("query").manifest.nOutputs;
    let stored = await verifier.store.getPolicy(SAMPLE_POLICY_ID);
    if (!stored) {
      stored = await verifier.verifier.createPolicy(samplePolicy(issuer));
      print(`verifier: sample policy "${SAMPLE_POLICY_ID}" created`);
    }
    const policy = stored.definition;
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
    return {
      chain,
      vault,
      verifier,
      prover,
      policy,
      clientKeyPath: paths.clientKey,
      auditorKeyPath: paths.auditorKey,
      adminKeyPath: env.CROSSPROOF_ADMIN_API_KEY_FILE || paths.adminKey,
      applicants,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** First start: write the synthetic file, import it, anchor the root. Later: finish pending roots. */
async function bootstrapIssuer(
  vault: Vault,
  chain: ChainConnection,
  options: StackOptions,
): Promise<void> {
  const { print, config } = options;
  const schema = getSchema("credit-report-v1");
  if (vault.recordIds({ schema: schema.id, limit: 1 }).length === 0) {
    const source = syntheticSourcePath(config.dataDir);
    if (!(await fileExists(source))) {
      const rows = syntheticRecordRows({ count: options.records, seed: options.seed });
      await createPrivateFile(source, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
    }
    const started = performance.now();
    const rows = await readImportFile(source, schema);
    await vault.importRecords(schema, rows, "synthetic-credit-reports.jsonl");
    print(
      `issuer: ${rows.length} synthetic credit reports committed (${Math.round(performance.now() - started)} ms)`,
    );
  }
  const outcomes = await anchorNewRecords(vault, chain.registry);
  for (const o of outcomes) {
    print(`issuer: root ${o.root} (${o.size} records) ${o.outcome} on chain ${chain.chainId}`);
  }
}
