import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RootCache } from "../../chain/root-cache.js";
import type { CrossproofError } from "../../core/errors.js";
import { freshRoot, startTestChain, type TestChain } from "../helpers/chain.js";

const SCHEMA = 4242n;

describe("the root lookup cache", () => {
  let t: TestChain;
  beforeAll(async () => {
    t = await startTestChain();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("answers from memory while in sync, and drops a root when an event changes it", async () => {
    const cache = new RootCache(t.chain.registry, { pollingIntervalMs: 50 });
    cache.start();
    try {
      await expect.poll(() => cache.inSync, { timeout: 5_000 }).toBe(true);
      const root = freshRoot();
      const unknown = await cache.lookupRoot(root);
      expect(unknown).toBeNull();

      // anchoring invalidates the cached "unknown"
      await t.chain.registry.anchorRoot(SCHEMA, root);
      await expect.poll(() => cache.lookupRoot(root), { timeout: 5_000 }).not.toBeNull();
      const hits = cache.stats.hits;
      expect((await cache.lookupRoot(root))?.revokedAt).toBeNull();
      expect(cache.stats.hits).toBe(hits + 1);

      // revoking invalidates the cached "current"
      await t.chain.registry.revokeRoot(root);
      await expect
        .poll(async () => (await cache.lookupRoot(root))?.revokedAt, { timeout: 5_000 })
        .toBeInstanceOf(Date);

      // replacing invalidates too
      const next = freshRoot();
      const other = freshRoot();
      await t.chain.registry.anchorRoot(SCHEMA + 1n, next);
      expect((await cache.lookupRoot(next))?.replacedAt).toBeNull();
      await t.chain.registry.anchorRoot(SCHEMA + 1n, other);
      await expect
        .poll(async () => (await cache.lookupRoot(next))?.replacedAt, { timeout: 5_000 })
        .toBeInstanceOf(Date);
    } finally {
      cache.stop();
    }
  });

  it("forgets what it knew when the chain is reorganised under it", async () => {
    const node = t.chain.node;
    if (!node) throw new Error("local chain expected");
    const cache = new RootCache(t.chain.registry, { pollingIntervalMs: 50 });
    cache.start();
    try {
      await expect.poll(() => cache.inSync, { timeout: 5_000 }).toBe(true);
      for (const watchSeesTheBlock of [true, false]) {
        const seen: bigint[] = [];
        const unlisten = cache.onEvent((e) => {
          if (e.type === "RootAnchored") seen.push(e.root);
        });
        const snapshot = await node.request<string>("evm_snapshot");
        const root = freshRoot();
        await t.chain.registry.anchorRoot(SCHEMA + 3n, root);
        expect(await cache.lookupRoot(root)).not.toBeNull();
        if (watchSeesTheBlock) {
          // the watch sees the block, and the cache may keep the answer
          await expect.poll(() => seen, { timeout: 5_000 }).toContain(root);
          expect(await cache.lookupRoot(root)).not.toBeNull();
        }
        // the anchoring's block is dropped (before or after the watch saw it) and another
        // block takes its height
        await node.request("evm_revert", [snapshot]);
        await node.request("evm_mine");
        await expect.poll(() => cache.lookupRoot(root), { timeout: 5_000 }).toBeNull();
        unlisten();
      }
    } finally {
      cache.stop();
    }
  });

  it("stops answering from memory when the node goes away: REGISTRY_UNAVAILABLE, not a stale yes", async () => {
    const root = freshRoot();
    await t.chain.registry.anchorRoot(SCHEMA + 7n, root);
    const errors: CrossproofError[] = [];
    const cache = new RootCache(t.chain.registry, {
      pollingIntervalMs: 50,
      onError: (e) => errors.push(e),
    });
    cache.start();
    try {
      await expect.poll(() => cache.inSync, { timeout: 5_000 }).toBe(true);
      expect(await cache.lookupRoot(root)).not.toBeNull();
      await t.chain.node?.kill();
      await expect.poll(() => errors.length, { timeout: 15_000 }).toBeGreaterThan(0);
      expect(errors[0]?.code).toBe("REGISTRY_UNAVAILABLE");
      expect(cache.inSync).toBe(false);
      await expect(cache.lookupRoot(root)).rejects.toMatchObject({ code: "REGISTRY_UNAVAILABLE" });

      // the node comes back from its saved state: the cache recovers
      await t.reopen();
      const recovered = new RootCache(t.chain.registry, { pollingIntervalMs: 50 });
      recovered.start();
      try {
        await expect.poll(() => recovered.inSync, { timeout: 5_000 }).toBe(true);
        expect((await recovered.lookupRoot(root))?.root).toBe(root);
      } finally {
        recovered.stop();
      }
    } finally {
      cache.stop();
    }
  });
});
