/**
 * The bureaus of the local deployment (`crossproof start`): each an issuer with its own key, its
 * own vault and its own roots anchored on the chain. The mainland bureau is the deployment's
 * first issuer (the chain's local issuer key, `vault.sqlite`, synthetic credit reports); the Hong
 * Kong bureau has a key of its own (`chain/keys/issuer-hk.key`, registered by the local admin on
 * first start), `vault-hk.sqlite`, and synthetic residency attestations about some of the very
 * same people (the same `subjectId` values, encoded the same way) and some nobody else knows, so
 * that a linked policy can ask for a record of each about one applicant.
 *
 * On first start each bureau writes its synthetic file, imports it and anchors its root; later
 * starts only finish roots left pending.
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Address } from "viem";
import type { ChainConnection } from "../chain/connect.js";
import { loadOrCreateKeyFile, type Signer, signerFromEnv } from "../chain/keys.js";
import type { EvmRootRegistry } from "../chain/registry.js";
import { ChainError, CrossproofError, ErrorCode } from "../core/errors.js";
import { encodeFieldValue } from "../core/record.js";
import { type FieldDefinition, getSchema, type Schema } from "../core/schema.js";
import { createPrivateFile, fileExists } from "../infra/files.js";
import { bureauVaultPath, localChainPaths, vaultPath } from "../infra/paths.js";
import { type AnchorOutcome, anchorNewRecords } from "../issuer/anchor.js";
import { type ImportedRow, readImportFile } from "../issuer/import-file.js";
import { syntheticHongKongResidency, syntheticRecordRows } from "../issuer/synthetic.js";
import { Vault } from "../issuer/vault.js";

/** The name the holder's prover knows the mainland bureau's vault by (its first: the default). */
export const MAINLAND_BUREAU = "mainland";

/** The name the holder's prover knows the Hong Kong bureau's vault by. */
export const HK_BUREAU = "hk";

/** The Hong Kong bureau's display name on the local chain. */
export const HK_ISSUER_NAME = "crossproof Hong Kong bureau";

/** The variable (or `_FILE`) holding the Hong Kong bureau's key; on the local node, optional. */
export const HK_ISSUER_KEY_VARIABLE = "CROSSPROOF_HK_ISSUER_KEY";

/** A running bureau: its issuer on chain and its vault (the holder's copy of its records). */
export interface Bureau {
  /** `mainland` or `hk`: the `bureau` of a presentation request to the holder's prover. */
  readonly name: string;
  /** For people. */
  readonly title: string;
  /** The schema of its records. */
  readonly schema: string;
  /** Its issuer address: the one a policy lists for its records. */
  readonly issuer: Address;
  /** The registry, signing as this bureau. */
  readonly registry: EvmRootRegistry;
  readonly vault: Vault;
}

/** What {@link openBureaus} needs. */
export interface BureauOptions {
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Synthetic credit reports of the mainland bureau on first start. */
  readonly records: number;
  readonly seed: number;
  /** Progress lines for people (counts, roots and addresses; never a record). */
  readonly print: (line: string) => void;
}

/** The mainland bureau's input file of synthetic reports (on the holder's side, mode 0600). */
export function syntheticSourcePath(dataDir: string): string {
  return join(dataDir, "issuer", "synthetic-credit-reports.jsonl");
}

/** The Hong Kong bureau's input file of synthetic attestations (mode 0600). */
export function hkSyntheticSourcePath(dataDir: string): string {
  return join(dataDir, "issuer-hk", "synthetic-residency.jsonl");
}

/**
 * How many attestations the Hong Kong bureau holds about people the mainland bureau does not
 * know, beside those about two thirds of the mainland's subjects.
 */
export function hkOnlySubjects(records: number): number {
  return Math.max(2, Math.ceil(records / 8));
}

/**
 * Opens both bureaus, importing and anchoring their synthetic records on first start (and the
 * Hong Kong one's on the first start of a data folder made before it existed). On a remote chain
 * the Hong Kong bureau needs `CROSSPROOF_HK_ISSUER_KEY[_FILE]` (an issuer its admin registered);
 * without it only the mainland bureau runs, and a line says so. The caller closes the vaults.
 */
export async function openBureaus(
  chain: ChainConnection,
  options: BureauOptions,
): Promise<Bureau[]> {
  const bureaus: Bureau[] = [];
  try {
    bureaus.push(await openMainland(chain, options));
    const hk = await openHongKong(chain, options, bureaus[0] as Bureau);
    if (hk) bureaus.push(hk);
    return bureaus;
  } catch (err) {
    for (const b of bureaus) b.vault.close();
    throw err;
  }
}

function printAnchored(
  label: string,
  outcomes: readonly AnchorOutcome[],
  chain: ChainConnection,
  print: (line: string) => void,
): void {
  for (const o of outcomes) {
    print(`${label}: root ${o.root} (${o.size} records) ${o.outcome} on chain ${chain.chainId}`);
  }
}

/** The deployment's first issuer, as `crossproof start` has always run it. */
/**
 * A bureau's first start: unless its vault already holds records of `schema`, its synthetic file
 * (written once from `rows`, mode 0600, unless it is there) imported into the vault. The rows
 * imported and how long the import took; null when there was nothing to do.
 */
async function importSyntheticOnce(
  vault: Vault,
  schema: Schema,
  source: string,
  rows: () => Promise<Record<string, unknown>[]>,
): Promise<{ rows: ImportedRow[]; ms: number } | null> {
  if (vault.recordIds({ schema: schema.id, limit: 1 }).length > 0) return null;
  if (!(await fileExists(source))) {
    await createPrivateFile(source, (await rows()).map((r) => `${JSON.stringify(r)}\n`).join(""));
  }
  const started = performance.now();
  const imported = await readImportFile(source, schema);
  await vault.importRecords(schema, imported, basename(source));
  return { rows: imported, ms: Math.round(performance.now() - started) };
}

async function openMainland(chain: ChainConnection, options: BureauOptions): Promise<Bureau> {
  const { print, dataDir } = options;
  const issuer = chain.registry.signer;
  if (!issuer) {
    throw new CrossproofError(
      ErrorCode.CHAIN_CONFIG,
      "the issuer needs a signing key: set CROSSPROOF_ISSUER_KEY or CROSSPROOF_ISSUER_KEY_FILE",
    );
  }
  const vault = await Vault.open(vaultPath(dataDir));
  try {
    const imported = await importSyntheticOnce(
      vault,
      getSchema("credit-report-v1"),
      syntheticSourcePath(dataDir),
      async () => syntheticRecordRows({ count: options.records, seed: options.seed }),
    );
    if (imported) {
      print(
        `issuer: ${imported.rows.length} synthetic credit reports committed (${imported.ms} ms)`,
      );
    }
    printAnchored("issuer", await anchorNewRecords(vault, chain.registry), chain, print);
  } catch (err) {
    vault.close();
    throw err;
  }
  return {
    name: MAINLAND_BUREAU,
    title: "mainland credit bureau",
    schema: "credit-report-v1",
    issuer,
    registry: chain.registry,
    vault,
  };
}

/** The Hong Kong bureau's key: configured, else (on the local node) the local key file. */
async function hkSigner(chain: ChainConnection, options: BureauOptions): Promise<Signer | null> {
  const configured = await signerFromEnv(HK_ISSUER_KEY_VARIABLE, options.env);
  if (configured) return configured;
  if (chain.config.mode !== "local") return null;
  return loadOrCreateKeyFile(localChainPaths(chain.config.dataDir).hkIssuerKey);
}

/** The subject ids of the mainland bureau's synthetic reports, in file order. */
async function mainlandSubjects(dataDir: string): Promise<string[]> {
  const text = await readFile(syntheticSourcePath(dataDir), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { subjectId: string }).subjectId);
}

async function openHongKong(
  chain: ChainConnection,
  options: BureauOptions,
  mainland: Bureau,
): Promise<Bureau | null> {
  const { print, dataDir } = options;
  const signer = await hkSigner(chain, options);
  if (!signer) {
    print(
      `hk bureau: not started (a remote chain: set ${HK_ISSUER_KEY_VARIABLE} or ${HK_ISSUER_KEY_VARIABLE}_FILE to an issuer the chain's admin registered)`,
    );
    return null;
  }
  const issuer = signer.account.address;
  if (issuer === mainland.issuer) {
    throw new ChainError(
      ErrorCode.CHAIN_CONFIG,
      `the Hong Kong bureau's key (${signer.source}) is the mainland issuer's: each bureau needs its own`,
      { details: { source: signer.source } },
    );
  }
  const { registry, registered } = await chain.issuer(signer, HK_ISSUER_NAME);
  if (registered) print(`chain: registered the Hong Kong bureau's issuer ${issuer}`);
  const vault = await Vault.open(bureauVaultPath(dataDir, HK_BUREAU));
  try {
    const schema = getSchema("residency-v1");
    // Read only on a first start, when the file is written or its import counted.
    let subjects: string[] | undefined;
    const mainlandIds = async () => {
      subjects ??= await mainlandSubjects(dataDir);
      return subjects;
    };
    const imported = await importSyntheticOnce(
      vault,
      schema,
      hkSyntheticSourcePath(dataDir),
      async () => {
        const ids = await mainlandIds();
        const records = syntheticHongKongResidency({
          subjects: ids,
          count: hkOnlySubjects(ids.length),
          seed: options.seed,
        });
        const width = String(records.length - 1).length;
        return records.map((r, n) => ({
          recordId: `rs-hk-${options.seed}-${String(n).padStart(width, "0")}`,
          ...r,
        }));
      },
    );
    if (imported) {
      // Linkable: the subject slot holds the very value a mainland report's does.
      const slot = schema.slotOf.get("subjectId") as number;
      const field = schema.fields[slot] as FieldDefinition;
      const known = new Set((await mainlandIds()).map((id) => encodeFieldValue(field, id)));
      const shared = imported.rows.filter((r) => known.has(r.slots[slot] as bigint)).length;
      print(
        `hk bureau: ${imported.rows.length} synthetic residency attestations committed, ${shared} about people in the mainland's reports (${imported.ms} ms)`,
      );
    }
    printAnchored("hk bureau", await anchorNewRecords(vault, registry), chain, print);
  } catch (err) {
    vault.close();
    throw err;
  }
  return {
    name: HK_BUREAU,
    title: "Hong Kong bureau",
    schema: "residency-v1",
    issuer,
    registry,
    vault,
  };
}

/** One line per bureau for people: name, issuer, schema, records, latest root and its state. */
export function describeBureau(bureau: Bureau): string {
  const status = bureau.vault.status().find((s) => s.schema === bureau.schema);
  const latest = status?.latest;
  const root = latest ? `root ${latest.root.toString().slice(0, 12)}… ${latest.state}` : "no root";
  return `${bureau.name} ${bureau.issuer} ${bureau.schema}: ${status?.records ?? 0} records, ${root}`;
}
