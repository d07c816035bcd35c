import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainConfigFromEnv } from "../../chain/config.js";
import { loadOrCreateKeyFile, readKeyFile, signerFromEnv } from "../../chain/keys.js";
import { redactUrl, toChainError } from "../../chain/registry.js";
import { caught } from "../helpers/errors.js";

// A well-known test key (anvil's first development account); never a real one.
const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

describe("chain configuration from the environment", () => {
  it("runs the local node in the data folder when no RPC URL is set", () => {
    expect(chainConfigFromEnv({ CROSSPROOF_DATA_DIR: "/tmp/x" })).toEqual({
      mode: "local",
      dataDir: "/tmp/x",
    });
  });

  it("reads a remote chain's URL, chain id, addresses and options", () => {
    expect(
      chainConfigFromEnv({
        CROSSPROOF_RPC_URL: "https://node.example:8545",
        CROSSPROOF_CHAIN_ID: "20200",
        CROSSPROOF_REGISTRY_ADDRESS: ADDRESS.toLowerCase(),
        CROSSPROOF_CHAIN_TIMESTAMP_UNIT: "ms",
        CROSSPROOF_CHAIN_TX_TYPE: "legacy",
      }),
    ).toEqual({
      mode: "remote",
      rpcUrl: "https://node.example:8545",
      chainId: 20200,
      registry: ADDRESS,
      verifier: undefined,
      timestampUnit: "ms",
      transactionType: "legacy",
    });
  });

  it("names the variable that is wrong", async () => {
    const base = { CROSSPROOF_RPC_URL: "http://127.0.0.1:8545", CROSSPROOF_CHAIN_ID: "1" };
    for (const [env, variable] of [
      [{ CROSSPROOF_RPC_URL: "not a url" }, "CROSSPROOF_RPC_URL"],
      [{ CROSSPROOF_RPC_URL: "ftp://node" }, "CROSSPROOF_RPC_URL"],
      [{ CROSSPROOF_RPC_URL: "http://node" }, "CROSSPROOF_CHAIN_ID"],
      [{ ...base, CROSSPROOF_CHAIN_ID: "0x1" }, "CROSSPROOF_CHAIN_ID"],
      [{ ...base, CROSSPROOF_REGISTRY_ADDRESS: "0x1234" }, "CROSSPROOF_REGISTRY_ADDRESS"],
      [{ ...base, CROSSPROOF_CHAIN_TIMESTAMP_UNIT: "minutes" }, "CROSSPROOF_CHAIN_TIMESTAMP_UNIT"],
      [{ ...base, CROSSPROOF_CHAIN_TX_TYPE: "eip4844" }, "CROSSPROOF_CHAIN_TX_TYPE"],
    ] as const) {
      const err = await caught(() => chainConfigFromEnv(env));
      expect(err.code).toBe("CHAIN_CONFIG");
      expect(err.details.variable).toBe(variable);
    }
  });

  it("keeps only the scheme and host of an RPC URL in messages (paths often hold API keys)", () => {
    expect(redactUrl("https://user:secret@rpc.example/v3/abcdef0123?key=xyz")).toBe(
      "https://rpc.example",
    );
    const err = toChainError(new Error("fetch failed"), "lookup", "https://rpc.example/v3/SECRET");
    expect(err.code).toBe("REGISTRY_UNAVAILABLE");
    expect(JSON.stringify(err)).not.toContain("SECRET");
    expect(err.cause).toBeUndefined();
  });
});

describe("signing keys", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-keys-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("come from a variable or a file, never both", async () => {
    const fromVar = await signerFromEnv("CROSSPROOF_ISSUER_KEY", { CROSSPROOF_ISSUER_KEY: KEY });
    expect(fromVar?.account.address).toBe(ADDRESS);
    const file = join(dir, "issuer.key");
    await writeFile(file, `${KEY.slice(2)}\n`, { mode: 0o600 });
    const fromFile = await signerFromEnv("CROSSPROOF_ISSUER_KEY", {
      CROSSPROOF_ISSUER_KEY_FILE: file,
    });
    expect(fromFile?.account.address).toBe(ADDRESS);
    expect(
      await signerFromEnv("CROSSPROOF_ISSUER_KEY", { CROSSPROOF_ISSUER_KEY: "" }),
    ).toBeUndefined();
    const both = await caught(() =>
      signerFromEnv("CROSSPROOF_ISSUER_KEY", {
        CROSSPROOF_ISSUER_KEY: KEY,
        CROSSPROOF_ISSUER_KEY_FILE: file,
      }),
    );
    expect(both.code).toBe("CHAIN_CONFIG");
  });

  it("are never quoted in an error, even a malformed one", async () => {
    const almost = `${KEY.slice(0, -1)}g`;
    const err = await caught(() =>
      signerFromEnv("CROSSPROOF_ADMIN_KEY", { CROSSPROOF_ADMIN_KEY: almost }),
    );
    expect(err.code).toBe("CHAIN_CONFIG");
    expect(err.message).toBe(
      "environment variable CROSSPROOF_ADMIN_KEY does not hold a private key (64 hexadecimal digits, optionally 0x-prefixed)",
    );
    const zero = await caught(() =>
      signerFromEnv("CROSSPROOF_ADMIN_KEY", { CROSSPROOF_ADMIN_KEY: `0x${"0".repeat(64)}` }),
    );
    expect(zero.code).toBe("CHAIN_CONFIG");
    for (const e of [err, zero]) {
      const text = `${e.message} ${JSON.stringify(e)} ${String(e.cause ?? "")}`;
      expect(text).not.toContain(almost.slice(2, 20));
      expect(text).not.toContain("0".repeat(64));
    }
  });

  it("refuses a key file other users can read", async () => {
    const file = join(dir, "loose.key");
    await writeFile(file, KEY);
    await chmod(file, 0o644);
    const err = await caught(() => readKeyFile(file));
    expect(err.code).toBe("CHAIN_CONFIG");
    expect(err.message).toContain("chmod 600");
  });

  it("are made on first use with mode 0600 and reused after", async () => {
    const file = join(dir, "local", "admin.key");
    const first = await loadOrCreateKeyFile(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateKeyFile(file)).account.address).toBe(first.account.address);
    expect(await readFile(file, "utf8")).toMatch(/^0x[0-9a-f]{64}\n$/);
  });
});
