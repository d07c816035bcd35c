import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalNode } from "../../chain/local-node.js";
import { crossproof } from "../helpers/cli.js";

describe("crossproof chain, against a chain crossproof does not run", () => {
  // An independent node standing in for a consortium chain's RPC endpoint.
  let node: LocalNode;
  let dir: string;
  const adminKey = generatePrivateKey();
  const issuerKey = generatePrivateKey();
  const issuer = privateKeyToAccount(issuerKey).address;
  let remote: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-remote-"));
    node = await LocalNode.start({ dataDir: dir, saveIntervalMs: 0 });
    for (const key of [adminKey, issuerKey]) {
      const account = privateKeyToAccount(key).address;
      await node.fund(account);
    }
    remote = { CROSSPROOF_RPC_URL: node.rpcUrl, CROSSPROOF_CHAIN_ID: String(node.chainId) };
  });
  afterAll(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("deploys the contracts, registers an issuer, and reports the status, keys never printed", async () => {
    const deployed = await crossproof(
      { ...remote, CROSSPROOF_ADMIN_KEY: adminKey },
      "chain",
      "deploy",
      "--json",
    );
    expect(deployed.code, deployed.stderr).toBe(0);
    const deployment = JSON.parse(deployed.stdout);
    expect(deployment).toMatchObject({
      chainId: 31337,
      admin: privateKeyToAccount(adminKey).address,
    });
    const configured = {
      ...remote,
      CROSSPROOF_REGISTRY_ADDRESS: deployment.registry,
      CROSSPROOF_VERIFIER_ADDRESS: deployment.verifier,
      CROSSPROOF_RECEIPT_LOG_ADDRESS: deployment.receiptLog,
    };

    const registered = await crossproof(
      { ...configured, CROSSPROOF_ADMIN_KEY: adminKey },
      "chain",
      "register-issuer",
      issuer,
      "Bureau across the boundary",
    );
    expect(registered.code, registered.stderr).toBe(0);

    const status = await crossproof(
      { ...configured, CROSSPROOF_ISSUER_KEY: issuerKey },
      "chain",
      "status",
      "--json",
    );
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      mode: "remote",
      chainId: 31337,
      registry: deployment.registry,
      receiptLog: deployment.receiptLog,
      issuer: { address: issuer, active: true, name: "Bureau across the boundary" },
    });

    for (const out of [deployed, registered, status]) {
      const text = out.stdout + out.stderr;
      expect(text).not.toContain(adminKey.slice(2));
      expect(text).not.toContain(issuerKey.slice(2));
    }
  });

  it("registers, lists and retires circuit releases, and refuses a key with γ = δ", async () => {
    const deployed = await crossproof(
      { ...remote, CROSSPROOF_ADMIN_KEY: adminKey },
      "chain",
      "deploy",
      "--json",
    );
    expect(deployed.code, deployed.stderr).toBe(0);
    const admin = {
      ...remote,
      CROSSPROOF_REGISTRY_ADDRESS: JSON.parse(deployed.stdout).registry,
      CROSSPROOF_ADMIN_KEY: adminKey,
    };
    const registered = await crossproof(admin, "chain", "release", "register", "query", "1.0.0");
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toMatch(
      /^registered query 1\.0\.0 \(development, key 0x[0-9a-f]{64}\)/m,
    );
    const again = await crossproof(admin, "chain", "release", "register", "query", "1.0.1");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      "error REGISTRY_REJECTED: the registry refused registerRelease: KeyAlreadyRegistered",
    );

    const retired = await crossproof(
      admin,
      "chain",
      "release",
      "retire",
      "query",
      "1.0.0",
      "--grace",
      "3600",
    );
    expect(retired.code, retired.stderr).toBe(0);
    const listed = await crossproof(admin, "chain", "release", "list", "--json");
    expect(listed.code, listed.stderr).toBe(0);
    const [release] = JSON.parse(listed.stdout) as Record<string, string>[];
    expect(release).toMatchObject({ name: "query", version: "1.0.0", kind: "development" });
    expect(Date.parse(release?.acceptedUntil ?? "") - Date.parse(release?.retiredAt ?? "")).toBe(
      3_600_000,
    );

    // An external key with no phase-2 contribution (δ set to γ) is refused before any transaction.
    const key = JSON.parse(
      await readFile(join("artifacts", "commitment", "verification_key.json"), "utf8"),
    );
    const forgeable = join(dir, "forgeable.json");
    await writeFile(forgeable, JSON.stringify({ ...key, vk_delta_2: key.vk_gamma_2 }));
    const refused = await crossproof(
      admin,
      "chain",
      "release",
      "register",
      "other",
      "1",
      "--vkey",
      forgeable,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("error KEY_INVALID: verification key of other: γ = δ");
  });

  it("refuses admin work without the admin key, and a wrong chain id, with CHAIN_CONFIG", async () => {
    const noKey = await crossproof(remote, "chain", "deploy");
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain("error CHAIN_CONFIG: set CROSSPROOF_ADMIN_KEY");
    const wrongChain = await crossproof(
      {
        ...remote,
        CROSSPROOF_CHAIN_ID: "20200",
        CROSSPROOF_REGISTRY_ADDRESS: "0x000000000000000000000000000000000000dEaD",
      },
      "chain",
      "status",
    );
    expect(wrongChain.code).toBe(1);
    expect(wrongChain.stderr).toContain(
      "error CHAIN_CONFIG: the node is chain 31337, but chain 20200 was expected",
    );
  });

  it("answers REGISTRY_UNAVAILABLE when the node cannot be reached", async () => {
    const down = await crossproof(
      {
        CROSSPROOF_RPC_URL: "http://127.0.0.1:9/secret-api-key",
        CROSSPROOF_CHAIN_ID: "31337",
        CROSSPROOF_REGISTRY_ADDRESS: "0x000000000000000000000000000000000000dEaD",
      },
      "chain",
      "status",
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /^error REGISTRY_UNAVAILABLE: the chain node at http:\/\/127\.0\.0\.1:9 cannot be used/,
    );
    expect(down.stderr).not.toContain("secret-api-key");
  });
});
