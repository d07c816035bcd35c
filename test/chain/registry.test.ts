import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ISSUER_NAME } from "../../chain/connect.js";
import { EvmRootRegistry, type RegistryEvent } from "../../chain/registry.js";
import { FIELD_ORDER } from "../../core/field.js";
import { freshRoot, startTestChain, type TestChain } from "../helpers/chain.js";
import { caught } from "../helpers/errors.js";

const SCHEMA = 1234n;
const OTHER_SCHEMA = 5678n;

/** The error a registry call rejects with. */
async function refusal(call: Promise<unknown>): Promise<{ code: string; reason: unknown }> {
  const err = await caught(call);
  return { code: err.code, reason: err.details.reason };
}

describe("CommitmentRegistry on a local anvil node", () => {
  let t: TestChain;
  beforeAll(async () => {
    t = await startTestChain();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("starts with the local issuer registered by the admin", async () => {
    const issuer = t.chain.registry.signer;
    expect(issuer).toBeDefined();
    const info = await t.chain.registry.issuerInfo(issuer as `0x${string}`);
    expect(info).toMatchObject({ active: true, name: LOCAL_ISSUER_NAME });
  });

  it("anchors a root and reports who anchored it, for which schema and when", async () => {
    const root = freshRoot();
    const before = Date.now();
    const receipt = await t.chain.registry.anchorRoot(SCHEMA, root);
    expect(receipt.root).toBe(root);
    const status = await t.chain.registry.lookupRoot(root);
    expect(status).toMatchObject({
      root,
      issuer: t.chain.registry.signer,
      schemaId: SCHEMA,
      replacedAt: null,
      revokedAt: null,
      issuerActive: true,
    });
    // anvil stamps blocks with the wall clock in whole seconds
    expect(status?.anchoredAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(status?.anchoredAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    expect(await t.chain.registry.latestRoot(receipt.issuer, SCHEMA)).toBe(root);
  });

  it("answers null for a root nobody anchored", async () => {
    expect(await t.chain.registry.lookupRoot(freshRoot())).toBeNull();
    expect(await t.chain.registry.latestRoot(t.chain.registryAddress, SCHEMA)).toBeNull();
  });

  it("stamps the previous root replacedAt when the issuer anchors the next one for the schema", async () => {
    const { registry } = await t.account().then(async (a) => {
      await (await t.chain.admin()).registerIssuer(a.account.address, "bureau B");
      return a;
    });
    const first = freshRoot();
    const other = freshRoot();
    const second = freshRoot();
    const a1 = await registry.anchorRoot(SCHEMA, first);
    expect(a1.previousRoot).toBe(0n);
    await registry.anchorRoot(OTHER_SCHEMA, other);
    // another schema's root does not replace this one
    expect((await registry.lookupRoot(first))?.replacedAt).toBeNull();
    const a2 = await registry.anchorRoot(SCHEMA, second);
    expect(a2.previousRoot).toBe(first);
    const replaced = await registry.lookupRoot(first);
    expect(replaced?.replacedAt?.getTime()).toBe(a2.anchoredAt.getTime());
    expect((await registry.lookupRoot(second))?.replacedAt).toBeNull();
    expect((await registry.lookupRoot(other))?.replacedAt).toBeNull();
    expect(await registry.latestRoot(a2.issuer, SCHEMA)).toBe(second);
    expect(await registry.latestRoot(a2.issuer, OTHER_SCHEMA)).toBe(other);
  });

  it("refuses a root anchored twice, even by another issuer", async () => {
    const root = freshRoot();
    await t.chain.registry.anchorRoot(SCHEMA, root);
    expect(await refusal(t.chain.registry.anchorRoot(SCHEMA, root))).toEqual({
      code: "REGISTRY_REJECTED",
      reason: "RootAlreadyAnchored",
    });
    const { account, registry } = await t.account();
    await (await t.chain.admin()).registerIssuer(account.address, "bureau C");
    expect(await refusal(registry.anchorRoot(OTHER_SCHEMA, root))).toMatchObject({
      reason: "RootAlreadyAnchored",
    });
  });

  it("refuses roots and schema ids that are not non-zero field elements", async () => {
    for (const [schemaId, root] of [
      [SCHEMA, 0n],
      [SCHEMA, FIELD_ORDER],
      [SCHEMA, 2n ** 256n - 1n],
      [0n, freshRoot()],
      [FIELD_ORDER, freshRoot()],
    ] as const) {
      expect(await refusal(t.chain.registry.anchorRoot(schemaId, root))).toEqual({
        code: "REGISTRY_REJECTED",
        reason: "InvalidFieldElement",
      });
    }
    // the largest field element is a valid root
    await t.chain.registry.anchorRoot(SCHEMA, FIELD_ORDER - 1n);
  });

  it("lets only registered issuers anchor", async () => {
    const { registry } = await t.account();
    expect(await refusal(registry.anchorRoot(SCHEMA, freshRoot()))).toEqual({
      code: "REGISTRY_REJECTED",
      reason: "NotIssuer",
    });
  });

  it("lets only the admin manage issuers", async () => {
    const { account, registry } = await t.account();
    expect(await refusal(registry.registerIssuer(account.address, "self-made bureau"))).toEqual({
      code: "REGISTRY_REJECTED",
      reason: "OwnableUnauthorizedAccount",
    });
    expect(
      await refusal(t.chain.registry.removeIssuer(t.chain.registry.signer as `0x${string}`)),
    ).toMatchObject({
      reason: "OwnableUnauthorizedAccount",
    });
    const admin = await t.chain.admin();
    expect(await refusal(admin.registerIssuer(account.address, ""))).toMatchObject({
      reason: "EmptyName",
    });
    expect(
      await refusal(admin.registerIssuer("0x0000000000000000000000000000000000000000", "nobody")),
    ).toMatchObject({ reason: "ZeroAddress" });
    expect(await refusal(admin.removeIssuer(account.address))).toMatchObject({
      reason: "UnknownIssuer",
    });
    await admin.registerIssuer(account.address, "bureau D");
    expect(await refusal(admin.registerIssuer(account.address, "bureau D again"))).toMatchObject({
      reason: "IssuerAlreadyRegistered",
    });
  });

  it("stops a removed issuer from anchoring or revoking, and marks its roots untrusted", async () => {
    const { account, registry } = await t.account();
    const admin = await t.chain.admin();
    await admin.registerIssuer(account.address, "bureau E");
    const root = freshRoot();
    await registry.anchorRoot(SCHEMA, root);
    await admin.removeIssuer(account.address);
    expect(await refusal(registry.anchorRoot(SCHEMA, freshRoot()))).toMatchObject({
      reason: "NotIssuer",
    });
    expect(await refusal(registry.revokeRoot(root))).toMatchObject({ reason: "NotIssuer" });
    expect(await registry.lookupRoot(root)).toMatchObject({ issuerActive: false, revokedAt: null });
    expect(await registry.issuerInfo(account.address)).toMatchObject({
      active: false,
      name: "bureau E",
    });
    // registered again, it can anchor again and its old roots are trusted again
    await admin.registerIssuer(account.address, "bureau E (restored)");
    expect(await registry.lookupRoot(root)).toMatchObject({ issuerActive: true });
  });

  it("lets an issuer revoke its own roots, once, and no one else's", async () => {
    const root = freshRoot();
    await t.chain.registry.anchorRoot(SCHEMA, root);
    const { account, registry: other } = await t.account();
    await (await t.chain.admin()).registerIssuer(account.address, "bureau F");
    expect(await refusal(other.revokeRoot(root))).toMatchObject({ reason: "NotRootIssuer" });
    expect(await refusal(other.revokeRoot(freshRoot()))).toMatchObject({ reason: "UnknownRoot" });
    await t.chain.registry.revokeRoot(root);
    const status = await t.chain.registry.lookupRoot(root);
    expect(status?.revokedAt).toBeInstanceOf(Date);
    expect(await refusal(t.chain.registry.revokeRoot(root))).toMatchObject({
      reason: "RootAlreadyRevoked",
    });
    // a revoked root stays anchored: it cannot be anchored again
    expect(await refusal(t.chain.registry.anchorRoot(SCHEMA, root))).toMatchObject({
      reason: "RootAlreadyAnchored",
    });
  });

  it("emits an event for every change, in order", async () => {
    const from = (await t.chain.registry.client.getBlockNumber({ cacheTime: 0 })) + 1n;
    const { account, registry } = await t.account();
    const admin = await t.chain.admin();
    const [r1, r2] = [freshRoot(), freshRoot()];
    await admin.registerIssuer(account.address, "bureau G");
    await registry.anchorRoot(SCHEMA, r1);
    await registry.anchorRoot(SCHEMA, r2);
    await registry.revokeRoot(r2);
    await admin.removeIssuer(account.address);
    const to = await t.chain.registry.client.getBlockNumber({ cacheTime: 0 });
    const events = await t.chain.registry.events(from, to);
    const summary = events.map((e) => {
      switch (e.type) {
        case "IssuerRegistered":
          return [e.type, e.issuer, e.name];
        case "IssuerRemoved":
          return [e.type, e.issuer];
        case "RootAnchored":
          return [e.type, e.issuer, e.schemaId, e.root, e.previousRoot];
        case "RootReplaced":
          return [e.type, e.root, e.replacedBy];
        case "RootRevoked":
          return [e.type, e.issuer, e.root];
        default:
          return [e.type, e.keyHash, e.name, e.version];
      }
    });
    const who = account.address;
    expect(summary).toEqual([
      ["IssuerRegistered", who, "bureau G"],
      ["RootAnchored", who, SCHEMA, r1, 0n],
      ["RootAnchored", who, SCHEMA, r2, r1],
      ["RootReplaced", r1, r2],
      ["RootRevoked", who, r2],
      ["IssuerRemoved", who],
    ]);
  });

  it("delivers new events to a watcher exactly once", async () => {
    const seen: RegistryEvent[] = [];
    let synced = 0;
    const stop = t.chain.registry.watch(
      { onEvent: (e) => seen.push(e), onSynced: () => synced++ },
      { pollingIntervalMs: 50 },
    );
    try {
      await expect.poll(() => synced, { timeout: 5_000 }).toBeGreaterThan(0);
      const root = freshRoot();
      await t.chain.registry.anchorRoot(OTHER_SCHEMA, root);
      await expect
        .poll(() => seen.filter((e) => e.type === "RootAnchored" && e.root === root).length, {
          timeout: 5_000,
        })
        .toBe(1);
      const settled = synced;
      await expect.poll(() => synced, { timeout: 5_000 }).toBeGreaterThan(settled + 2);
      expect(seen.filter((e) => e.type === "RootAnchored" && e.root === root)).toHaveLength(1);
    } finally {
      stop();
    }
  });

  it("fails with REGISTRY_UNAVAILABLE, never an answer, when the node cannot be reached", async () => {
    const unreachable = new EvmRootRegistry({
      rpcUrl: "http://127.0.0.1:9", // the discard port: nothing listens there
      chainId: t.chain.chainId,
      address: t.chain.registryAddress,
      timeoutMs: 2_000,
    });
    expect(await refusal(unreachable.lookupRoot(1n))).toMatchObject({
      code: "REGISTRY_UNAVAILABLE",
    });
    expect(await refusal(unreachable.latestRoot(t.chain.registryAddress, 1n))).toMatchObject({
      code: "REGISTRY_UNAVAILABLE",
    });
    // a node without the contract at that address is not a registry either
    const wrongAddress = new EvmRootRegistry({
      rpcUrl: t.chain.rpcUrl,
      chainId: t.chain.chainId,
      address: "0x000000000000000000000000000000000000dEaD",
    });
    expect(await refusal(wrongAddress.lookupRoot(1n))).toMatchObject({
      code: "REGISTRY_UNAVAILABLE",
    });
  });

  it("refuses writes without a signing key", async () => {
    const readOnly = new EvmRootRegistry({
      rpcUrl: t.chain.rpcUrl,
      chainId: t.chain.chainId,
      address: t.chain.registryAddress,
    });
    expect(await refusal(readOnly.anchorRoot(SCHEMA, freshRoot()))).toMatchObject({
      code: "CHAIN_CONFIG",
    });
  });
});
