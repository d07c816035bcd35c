import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { openChain } from "../../chain/connect.js";
import { LocalNode } from "../../chain/local-node.js";
import { ErrorCode } from "../../core/errors.js";
import { localChainPaths, PROJECT_ROOT } from "../../infra/paths.js";
import { freshRoot, startTestChain, type TestChain } from "../helpers/chain.js";
import { caught } from "../helpers/errors.js";

/** The test chain's node again (so that dispose() has one to stop). */
const openChainFor = (t: TestChain) => openChain({ env: t.env });

const SCHEMA = 99n;

describe("the local chain node", () => {
  let t: TestChain | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it("listens on loopback only and keeps its files in the data folder", async () => {
    t = await startTestChain();
    expect(t.chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const paths = localChainPaths(t.dataDir);
    const deployment = JSON.parse(await readFile(paths.deployment, "utf8"));
    expect(deployment).toMatchObject({
      chainId: 31337,
      registry: t.chain.registryAddress,
      verifier: t.chain.verifierAddress,
    });
  });

  it("refuses a second node on the same data folder while the first runs (CHAIN_NODE), not after", async () => {
    t = await startTestChain();
    const second = await caught(LocalNode.start({ dataDir: t.dataDir, saveIntervalMs: 0 }));
    expect(second.code).toBe(ErrorCode.CHAIN_NODE);
    expect(second.message).toContain("another crossproof process runs the local chain");
    // The refused start changed nothing: the first node still answers.
    expect(await t.chain.registry.blockNumber()).toBeGreaterThan(0n);
    await t.chain.close();
    const after = await LocalNode.start({ dataDir: t.dataDir, saveIntervalMs: 0 });
    await after.stop();
    t.chain = await openChainFor(t);
  });

  it("takes its node down with it when the process exits without stopping it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crossproof-exit-"));
    try {
      const script = join(PROJECT_ROOT, "test", "chain", "workers", "exit-without-stop.ts");
      const child = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx/esm", script, dir],
        {
          cwd: PROJECT_ROOT,
        },
      ).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (err: { code: number; stdout: string }) => err,
      );
      expect(child.code).toBe(3);
      const rpcUrl = child.stdout.trim();
      expect(rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const answer = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
      }).then(
        () => "answered",
        () => "refused",
      );
      expect(answer).toBe("refused");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps roots and contract addresses across a stop and a start from the same data folder", async () => {
    t = await startTestChain();
    const root = freshRoot();
    const anchored = await t.chain.registry.anchorRoot(SCHEMA, root);
    const { registryAddress, verifierAddress, receiptLogAddress } = t.chain;
    expect(receiptLogAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const firstUrl = t.chain.rpcUrl;
    const chain = await t.reopen();
    expect(chain.rpcUrl).not.toBe(firstUrl); // a new process on a new port
    expect(chain.registryAddress).toBe(registryAddress);
    expect(chain.verifierAddress).toBe(verifierAddress);
    expect(chain.receiptLogAddress).toBe(receiptLogAddress);
    const status = await chain.registry.lookupRoot(root);
    expect(status?.anchoredAt.getTime()).toBe(anchored.anchoredAt.getTime());
    expect(await chain.registry.latestRoot(anchored.issuer, SCHEMA)).toBe(root);
    // and the chain goes on from there
    const next = freshRoot();
    await chain.registry.anchorRoot(SCHEMA, next);
    expect((await chain.registry.lookupRoot(root))?.replacedAt).not.toBeNull();
  });

  it("keeps a confirmed anchoring even when the node is killed without warning", async () => {
    t = await startTestChain();
    const root = freshRoot();
    await t.chain.registry.anchorRoot(SCHEMA, root);
    await t.chain.node?.kill(); // SIGKILL: no save on the way out
    const chain = await t.reopen();
    expect((await chain.registry.lookupRoot(root))?.root).toBe(root);
  });

  it("refuses to start when its state does not hold the recorded contracts", async () => {
    t = await startTestChain();
    const paths = localChainPaths(t.dataDir);
    const deployment = JSON.parse(await readFile(paths.deployment, "utf8"));
    // point the record at the verifier: the code there is not the registry's
    await writeFile(
      paths.deployment,
      JSON.stringify({ ...deployment, registry: deployment.verifier }),
    );
    await expect(t.reopen()).rejects.toMatchObject({
      code: "CHAIN_NODE",
      message: expect.stringContaining("is not the CommitmentRegistry this release compiled"),
    });
    // put it back so that dispose() finds a node to stop
    await writeFile(paths.deployment, JSON.stringify(deployment));
    await t.reopen();
  });

  it("deploys the receipt log's contract on start for a deployment recorded before it, and records it", async () => {
    t = await startTestChain();
    const paths = localChainPaths(t.dataDir);
    const { receiptLog, ...older } = JSON.parse(await readFile(paths.deployment, "utf8"));
    expect(receiptLog).toBe(t.chain.receiptLogAddress);
    await writeFile(paths.deployment, JSON.stringify(older));
    const chain = await t.reopen();
    expect(chain.receiptLogAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(chain.receiptLogAddress).not.toBe(receiptLog);
    const recorded = JSON.parse(await readFile(paths.deployment, "utf8"));
    expect(recorded).toEqual({ ...older, receiptLog: chain.receiptLogAddress });
    // and it is this release's contract: the next start checks it
    expect((await t.reopen()).receiptLogAddress).toBe(chain.receiptLogAddress);
  });
});
