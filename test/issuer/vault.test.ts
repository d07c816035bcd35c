import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeLeaf } from "../../core/commitment.js";
import { encodeRecord } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import { CommitmentTree } from "../../core/tree.js";
import { vaultPath } from "../../infra/paths.js";
import { syntheticCreditReports } from "../../issuer/synthetic.js";
import { Vault } from "../../issuer/vault.js";
import { mountTmpfs, type Tmpfs } from "../../reliability/tmpfs.js";
import { caught } from "../helpers/errors.js";

const schema = getSchema("credit-report-v1");
const rows = syntheticCreditReports({
  count: 6,
  seed: 4,
  asOf: new Date("2026-11-01T00:00:00Z"),
}).map((r, n) => ({ line: n + 1, recordId: `v-${n}`, slots: encodeRecord(schema, r) }));

describe("the record vault", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-vault-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps records with fresh salts, readable only by its owner", async () => {
    const path = vaultPath(dir);
    const vault = await Vault.open(path);
    try {
      await vault.importRecords(schema, rows.slice(0, 3), "a");
      const r = vault.record("v-1");
      expect(r.slots).toEqual(rows[1]?.slots);
      expect(r.leaf).toBe(computeLeaf(schema.schemaId, r.slots, r.salt));
      expect(r.salt).not.toBe(vault.record("v-2").salt);
      expect(r.leafIndex).toBeNull();
      expect((await stat(path)).mode & 0o077).toBe(0);
      expect(() => vault.record("nope")).toThrowError(
        expect.objectContaining({ code: "UNKNOWN_RECORD" }),
      );
    } finally {
      vault.close();
    }
  });

  it("builds the tree from anchored records in leaf order, revoked leaves as 0", async () => {
    const vault = await Vault.open(vaultPath(dir));
    try {
      const staged = vault.stageNewRecords(schema.id);
      expect(staged).toMatchObject({ state: "pending", size: 3, reason: "import" });
      const leaves = ["v-0", "v-1", "v-2"].map((id) => vault.record(id).leaf);
      expect(staged?.root).toBe(new CommitmentTree(leaves).root);
      expect(vault.stageNewRecords(schema.id)).toBeNull(); // nothing new
      vault.markAnchored(staged?.root ?? 0n, {
        anchoredAt: new Date(),
        blockNumber: 7n,
        transactionHash: "0x01",
      });
      const revoked = vault.stageRevocation("v-1");
      expect(revoked?.root).toBe(
        new CommitmentTree([leaves[0] as bigint, 0n, leaves[2] as bigint]).root,
      );
      expect(() => vault.stageRevocation("v-1")).toThrowError(
        expect.objectContaining({ code: "RECORD_REVOKED" }),
      );
      expect(vault.pendingRoots().map((r) => r.reason)).toEqual(["revoke:v-1"]);
    } finally {
      vault.close();
    }
  });

  it("sees what another process changed: a tree built earlier is rebuilt when the vault moved on", async () => {
    const reader = await Vault.open(vaultPath(dir));
    const writer = await Vault.open(vaultPath(dir));
    try {
      const before = reader.tree(schema.id).root;
      await writer.importRecords(schema, rows.slice(3), "b");
      expect(reader.tree(schema.id).root).toBe(before); // imported, not yet in the tree
      const staged = writer.stageNewRecords(schema.id);
      expect(reader.tree(schema.id).root).toBe(staged?.root);
      expect(reader.tree(schema.id).size).toBe(6);
      expect(reader.status()).toMatchObject([
        { records: 6, treeSize: 6, revoked: 1, unanchored: 0 },
      ]);
    } finally {
      reader.close();
      writer.close();
    }
  });

  describe("on a full disk (a real one: a small tmpfs filled to ENOSPC)", () => {
    let fs: Tmpfs | undefined;
    let refused = "";
    beforeAll(async () => {
      const mount = await mountTmpfs(join(dir, "full"), 4 << 20);
      if ("dir" in mount) fs = mount;
      else refused = mount.reason;
    });
    afterAll(async () => {
      await fs?.unmount();
    });

    it("refuses an import or a staging with VAULT_UNAVAILABLE and changes nothing", async (ctx) => {
      if (fs === undefined) {
        // Mounting needs root and a container that allows it: say why, do not pass silently.
        console.warn(`skipped: ${refused}`);
        ctx.skip();
      }
      const full = fs as Tmpfs;
      const path = join(full.dir, "vault.sqlite");
      const vault = await Vault.open(path);
      try {
        await vault.importRecords(schema, rows.slice(0, 3), "a");
        const before = JSON.stringify(vault.status(), (_k, v) =>
          typeof v === "bigint" ? v.toString() : v,
        );
        vault.close();
        // Empty the WAL into the database, so the next write must grow a file.
        const reopened = await Vault.open(path);
        await full.fill();
        try {
          const err = await caught(reopened.importRecords(schema, rows.slice(3), "b"));
          expect(err.code).toBe("VAULT_UNAVAILABLE");
          expect(err.message).toMatchInlineSnapshot(
            `"the vault cannot import b (SQLITE_FULL); nothing was changed"`,
          );
          expect((await caught(() => reopened.stageNewRecords(schema.id))).code).toBe(
            "VAULT_UNAVAILABLE",
          );
          const after = JSON.stringify(reopened.status(), (_k, v) =>
            typeof v === "bigint" ? v.toString() : v,
          );
          expect(after).toBe(before);
          expect(reopened.pendingRoots()).toEqual([]);
          expect(reopened.integrityCheck()).toBe("ok");
        } finally {
          await full.free();
        }
        await reopened.importRecords(schema, rows.slice(3), "b");
        expect(reopened.stageNewRecords(schema.id)?.size).toBe(rows.length);
        reopened.close();
      } finally {
        vault.close();
      }
    });
  });
});
