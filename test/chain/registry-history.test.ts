/**
 * The registry's history for the console (`chain/registry-history.ts`), folded from events of a
 * scripted registry: issuers registered and removed, roots anchored, replaced and revoked,
 * newest first and bounded, read incrementally, and read again when the chain goes back. (The
 * real chain's events are read by the verifier service's test of `GET /v1/chain`.)
 */
import type { Address, Hash } from "viem";
import { describe, expect, it } from "vitest";
import type { RegistryEvent, RootRegistry } from "../../chain/registry.js";
import { RegistryHistory } from "../../chain/registry-history.js";

const ISSUER_A = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" as Address;
const ISSUER_B = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359" as Address;
const at = (s: number) => new Date(Date.UTC(2026, 5, 1, 8, 0, s));
const pos = (blockNumber: bigint) => ({ blockNumber, transactionHash: "0x01" as Hash });

/** A registry whose events are a script; records the ranges read. */
function scripted(events: RegistryEvent[]) {
  const state = { head: 0n, events, reads: [] as [bigint, bigint][] };
  const registry = {
    address: "0x00000000000000000000000000000000000000aa" as Address,
    chainId: 31337,
    blockNumber: async () => state.head,
    events: async (from: bigint, to: bigint) => {
      state.reads.push([from, to]);
      return state.events.filter((e) => e.blockNumber >= from && e.blockNumber <= to);
    },
  } as unknown as RootRegistry;
  return { state, registry };
}

const anchored = (block: bigint, root: bigint, issuer = ISSUER_A): RegistryEvent => ({
  ...pos(block),
  type: "RootAnchored",
  issuer,
  schemaId: 7n,
  root,
  previousRoot: 0n,
  anchoredAt: at(Number(block)),
});

describe("RegistryHistory", () => {
  it("folds issuers and roots, newest first, with replacements and revocations", async () => {
    const { state, registry } = scripted([
      { ...pos(1n), type: "IssuerRegistered", issuer: ISSUER_A, name: "Bureau A" },
      { ...pos(1n), type: "IssuerRegistered", issuer: ISSUER_B, name: "Bureau B" },
      anchored(2n, 100n),
      anchored(3n, 200n, ISSUER_B),
      { ...pos(4n), type: "RootReplaced", root: 100n, replacedBy: 300n, replacedAt: at(4) },
      anchored(4n, 300n),
      { ...pos(5n), type: "RootRevoked", issuer: ISSUER_B, root: 200n, revokedAt: at(5) },
      { ...pos(6n), type: "IssuerRemoved", issuer: ISSUER_B },
    ]);
    state.head = 6n;
    const history = new RegistryHistory(registry);
    const view = await history.view(200);
    expect(view.chainId).toBe(31337);
    expect(view.block).toBe(6n);
    expect(view.issuers).toEqual([
      { address: ISSUER_A, name: "Bureau A", active: true },
      { address: ISSUER_B, name: "Bureau B", active: false },
    ]);
    expect(view.roots).toEqual([
      {
        root: 300n,
        issuer: ISSUER_A,
        schemaId: 7n,
        anchoredAt: at(4),
        replacedAt: null,
        revokedAt: null,
      },
      {
        root: 200n,
        issuer: ISSUER_B,
        schemaId: 7n,
        anchoredAt: at(3),
        replacedAt: null,
        revokedAt: at(5),
      },
      {
        root: 100n,
        issuer: ISSUER_A,
        schemaId: 7n,
        anchoredAt: at(2),
        replacedAt: at(4),
        revokedAt: null,
      },
    ]);
    expect((await history.view(1)).roots.map((r) => r.root)).toEqual([300n]);
  });

  it("reads only new blocks on each view, one read at a time", async () => {
    const { state, registry } = scripted([anchored(1n, 1n), anchored(5n, 2n)]);
    state.head = 3n;
    const history = new RegistryHistory(registry, { fromBlock: 1n });
    expect((await history.view(10)).roots.map((r) => r.root)).toEqual([1n]);
    state.head = 6n;
    const [a, b] = await Promise.all([history.view(10), history.view(10)]);
    expect(a.roots.map((r) => r.root)).toEqual([2n, 1n]);
    expect(b.roots).toEqual(a.roots);
    expect(state.reads).toEqual([
      [1n, 3n],
      [4n, 6n],
    ]);
  });

  it("keeps at most maxRoots roots, the newest", async () => {
    const { state, registry } = scripted([1n, 2n, 3n, 4n].map((n) => anchored(n, n * 10n)));
    state.head = 4n;
    const view = await new RegistryHistory(registry, { maxRoots: 2 }).view(200);
    expect(view.roots.map((r) => r.root)).toEqual([40n, 30n]);
  });

  it("reads everything again when the chain goes back below what was read", async () => {
    const { state, registry } = scripted([anchored(1n, 1n), anchored(8n, 8n)]);
    state.head = 9n;
    const history = new RegistryHistory(registry);
    expect((await history.view(10)).roots.map((r) => r.root)).toEqual([8n, 1n]);
    // A reset chain: block 8's root is gone.
    state.head = 2n;
    state.events = [anchored(1n, 1n), anchored(2n, 5n)];
    expect((await history.view(10)).roots.map((r) => r.root)).toEqual([5n, 1n]);
    expect(state.reads.at(-1)).toEqual([0n, 2n]);
  });
});
