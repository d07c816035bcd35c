/**
 * The issuer's chain operations over the vault: anchor the new records' root, revoke a record
 * (its leaf zeroed and the new root anchored, which stamps the old root `replacedAt`), and
 * complete roots left pending by an interrupted run.
 *
 * Order of work, so that a crash at any point is recoverable: the vault records the new root
 * as pending (one transaction), then the chain anchors it, then the vault marks it anchored. A
 * root found already anchored by this issuer (the crash came after the chain confirmed) is just
 * marked anchored.
 */
import type { ChainPosition, RootRegistry } from "../chain/registry.js";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { getSchema } from "../core/schema.js";
import type { Vault, VaultRoot } from "./vault.js";

/** What happened to one pending root. */
export interface AnchorOutcome {
  readonly schema: string;
  readonly root: bigint;
  readonly size: number;
  readonly reason: string;
  /** `anchored` now, `recovered` (found already on chain), or `emptied` (the tree is all revoked). */
  readonly outcome: "anchored" | "recovered" | "emptied";
  readonly position: ChainPosition | null;
}

/** Anchors every pending root of the vault, oldest first. */
export async function anchorPending(
  vault: Vault,
  registry: RootRegistry,
): Promise<AnchorOutcome[]> {
  const outcomes: AnchorOutcome[] = [];
  for (const pending of vault.pendingRoots())
    outcomes.push(await anchorOne(vault, registry, pending));
  return outcomes;
}

async function anchorOne(
  vault: Vault,
  registry: RootRegistry,
  pending: VaultRoot,
): Promise<AnchorOutcome> {
  const base = {
    schema: pending.schema,
    root: pending.root,
    size: pending.size,
    reason: pending.reason,
  };
  const schemaId = getSchema(pending.schema).schemaId;
  if (pending.root === 0n) {
    // A one-leaf tree whose leaf was revoked: there is no root to anchor (0 is refused), so the
    // issuer revokes its current root outright instead.
    const current = registry.signer ? await registry.latestRoot(registry.signer, schemaId) : null;
    let position: ChainPosition | null = null;
    if (current !== null && (await registry.lookupRoot(current))?.revokedAt === null) {
      position = await registry.revokeRoot(current);
    }
    vault.markAnchored(0n, {
      anchoredAt: new Date(),
      blockNumber: position?.blockNumber ?? null,
      transactionHash: position?.transactionHash ?? null,
    });
    return { ...base, outcome: "emptied", position };
  }
  const existing = await registry.lookupRoot(pending.root);
  if (existing) {
    if (existing.issuer !== registry.signer || existing.schemaId !== schemaId) {
      throw new CrossproofError(
        ErrorCode.REGISTRY_REJECTED,
        `root ${pending.root} is already anchored by ${existing.issuer} for another schema or issuer`,
        { details: { root: pending.root.toString(), issuer: existing.issuer } },
      );
    }
    vault.markAnchored(pending.root, {
      anchoredAt: existing.anchoredAt,
      blockNumber: null,
      transactionHash: null,
    });
    return { ...base, outcome: "recovered", position: null };
  }
  const receipt = await registry.anchorRoot(schemaId, pending.root);
  vault.markAnchored(pending.root, receipt);
  return {
    ...base,
    outcome: "anchored",
    position: { blockNumber: receipt.blockNumber, transactionHash: receipt.transactionHash },
  };
}

/** Adds every unanchored record to its schema's tree and anchors the new roots. */
export async function anchorNewRecords(
  vault: Vault,
  registry: RootRegistry,
): Promise<AnchorOutcome[]> {
  for (const schema of vault.schemas()) vault.stageNewRecords(schema);
  return anchorPending(vault, registry);
}

/** Revokes a record: zeroes its leaf and anchors the new root (the old one is marked replaced). */
export async function revokeRecord(
  vault: Vault,
  registry: RootRegistry,
  recordId: string,
): Promise<AnchorOutcome[]> {
  vault.stageRevocation(recordId);
  return anchorPending(vault, registry);
}
