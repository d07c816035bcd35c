import { readFile, writeFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { localChainPaths } from "../../core/paths.js";
import { freshRoot, startTestChain, type TestChain } from "../helpers/chain.js";

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

  it("keeps roots and contract addresses across a stop and a start from the same data folder", async () => {
    t = await startTestChain();
    const root = freshRoot();
    const anchored = await t.chain.registry.anchorRoot(SCHEMA, root);
    const { registryAddress, verifierAddress } = t.chain;
    const firstUrl = t.chain.rpcUrl;
    const chain = await t.reopen();
    expect(chain.rpcUrl).not.toBe(firstUrl); // a new process on a new port
    expect(chain.registryAddress).toBe(registryAddress);
    expect(chain.verifierAddress).toBe(verifierAddress);
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
});
