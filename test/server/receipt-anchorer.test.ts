/**
 * The receipt log's anchoring on a real local chain (anvil): the `ReceiptLog` contract (counts
 * only grow, per anchoring key), the verifier's anchorer (every N receipts or T seconds; a chain
 * that is down retried later, the next anchor covering everything, no gap; a second instance
 * with the same key adopting an anchor it finds), and `crossproof audit verify` reading the
 * anchors from the chain: an honest export passes (exit 0), a tampered one is named (exit 65).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployReceiptLog } from "../../chain/deployment.js";
import { LocalNode } from "../../chain/local-node.js";
import { ReceiptLogContract } from "../../chain/receipt-log.js";
import { ErrorCode } from "../../core/errors.js";
import { entryLine } from "../../core/receipt-log.js";
import { freeLoopbackPort } from "../../infra/ports.js";
import { ReceiptAnchorer } from "../../server/receipt-anchorer.js";
import { SqliteVerifierStore } from "../../verifier/sqlite-store.js";
import { crossproof } from "../helpers/cli.js";
import { caught } from "../helpers/errors.js";
import { receipt } from "../verifier/store-contract.js";

const T0 = Date.parse("2026-05-10T12:00:00.000Z");

describe("anchoring the receipt log on chain", () => {
  let dir: string;
  let port: number;
  let node: LocalNode;
  let store: SqliteVerifierStore;
  let contract: ReceiptLogContract;
  let address: `0x${string}`;
  const key = privateKeyToAccount(generatePrivateKey());
  let n = 0;
  const addReceipts = async (count: number) => {
    for (let i = 0; i < count; i++) {
      n += 1;
      await store.insertReceipt(receipt(`rc-anchor-${n}`, null, T0 + n));
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-anchor-"));
    port = await freeLoopbackPort();
    node = await LocalNode.start({ dataDir: dir, port, saveIntervalMs: 0 });
    await node.fund(key.address);
    address = await deployReceiptLog({
      rpcUrl: node.rpcUrl,
      chainId: node.chainId,
      admin: key,
      afterWrite: () => node.persist(),
    });
    contract = new ReceiptLogContract({
      rpcUrl: node.rpcUrl,
      chainId: node.chainId,
      address,
      account: key,
      afterWrite: () => node.persist(),
      timeoutMs: 1_000,
    });
    store = SqliteVerifierStore.open(join(dir, "verifier", "verifier.sqlite"));
  });
  afterAll(async () => {
    await store?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a count that does not grow (the contract keeps each anchor)", async () => {
    const other = new ReceiptLogContract({
      rpcUrl: node.rpcUrl,
      chainId: node.chainId,
      address,
      account: privateKeyToAccount(generatePrivateKey()),
    });
    await node.fund(other.anchorer as string);
    const head = `0x${"ab".repeat(32)}` as const;
    const written = await other.anchor(2, head);
    expect(written.gasUsed).toBeGreaterThan(21_000n);
    const err = await caught(other.anchor(2, head));
    expect(err.code).toBe(ErrorCode.REGISTRY_REJECTED);
    expect(err.message).toMatch(/CountNotIncreasing/);
    expect(await other.latest(other.anchorer as `0x${string}`)).toMatchObject({ count: 2, head });
    // Anchors are per key: this key's anchors are not the verifier's.
    expect(await contract.anchors(key.address)).toEqual([]);
  });

  it("anchors every N receipts or after T seconds, retries a chain that is down without a gap, and verify reads the anchors", async () => {
    const anchorer = new ReceiptAnchorer({
      store,
      contract,
      chainId: node.chainId,
      every: 3,
      seconds: 1,
      checkMs: 60_000,
      backoffMs: 10,
    });
    await anchorer.tick();
    expect(anchorer.status().lastAnchor).toBeNull(); // nothing to anchor

    await addReceipts(3); // N reached
    await anchorer.tick();
    expect(anchorer.status()).toMatchObject({
      lastAnchor: { count: 3 },
      verifiedUpTo: 3,
      pending: null,
    });

    await addReceipts(1); // below N: waits, then T passes
    await anchorer.tick();
    expect(anchorer.status().lastAnchor?.count).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    await anchorer.tick();
    expect(anchorer.status().lastAnchor?.count).toBe(4);

    // The chain goes down: the anchor is pending, retried with backoff.
    await node.stop();
    await addReceipts(3);
    await anchorer.tick();
    const pending = anchorer.status().pending;
    expect(pending?.attempts).toBe(1);
    expect(pending?.lastError).toMatch(/^REGISTRY_UNAVAILABLE/);
    await addReceipts(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await anchorer.tick();
    expect(anchorer.status().pending?.attempts).toBe(2);

    // Back up: the next anchor covers every receipt so far.
    node = await LocalNode.start({ dataDir: dir, port, saveIntervalMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await anchorer.tick();
    expect(anchorer.status()).toMatchObject({
      lastAnchor: { count: 9 },
      verifiedUpTo: 9,
      pending: null,
    });
    expect((await contract.anchors(key.address)).map((a) => a.count)).toEqual([3, 4, 9]);

    // A second instance with the same key finds the head anchored: nothing to write, no error.
    const second = new ReceiptAnchorer({ store, contract, chainId: node.chainId, every: 1 });
    await second.tick(true);
    expect(second.status()).toMatchObject({ lastAnchor: { count: 9 }, pending: null });

    // The export, as `crossproof audit export` writes it, checked against the chain by the CLI.
    await addReceipts(1); // an unanchored tail
    const lines = (await store.logEntries(0, 100)).map(entryLine);
    const honest = join(dir, "honest.jsonl");
    await writeFile(honest, `${lines.join("\n")}\n`);
    const args = ["--rpc", node.rpcUrl, "--contract", address, "--anchorer", key.address];
    const ok = await crossproof({}, "audit", "verify", honest, ...args);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/verified up to seq 9/);
    expect(ok.stdout).toMatch(/not yet anchored: seqs 10–10/);
    expect(ok.stdout).toMatch(/^OK: /m);

    const tampered = join(dir, "tampered.jsonl");
    await writeFile(tampered, `${lines.filter((_, i) => i !== 4).join("\n")}\n`);
    const bad = await crossproof({}, "audit", "verify", tampered, ...args, "--json");
    expect(bad.code).toBe(65);
    const report = JSON.parse(bad.stdout) as { ok: boolean; problems: { kind: string }[] };
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual(["removed"]);

    const cut = join(dir, "cut.jsonl");
    await writeFile(cut, `${lines.slice(0, 7).join("\n")}\n`);
    const truncated = await crossproof({}, "audit", "verify", cut, ...args);
    expect(truncated.code).toBe(65);
    expect(truncated.stdout).toMatch(/^TRUNCATED: .*seqs 8–9/m);
    expect(truncated.stderr).toMatch(/^error LOG_TAMPERED: /);
  });
});
