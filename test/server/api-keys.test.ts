/**
 * API keys: the client key format and what is stored of it, authentication of admin and client
 * keys (and every refusal), the request headers a key is read from, and the admin key file.
 */
import { createHash } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors.js";
import { fileExists } from "../../infra/files.js";
import { ApiKeyAuth, loadAdminKey, newClientKey, presentedKey } from "../../server/api-keys.js";
import { SqliteVerifierStore } from "../../verifier/sqlite-store.js";
import { caught } from "../helpers/errors.js";

const KEY_FORMAT = /^cpk\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;
const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** The parts of a client key, checked against its format. */
function parts(key: string): { id: string; secret: string } {
  const m = KEY_FORMAT.exec(key);
  if (!m?.[1] || !m[2]) throw new Error("not a client key");
  return { id: m[1], secret: m[2] };
}

describe("newClientKey", () => {
  it("makes cpk.<16 hex>.<43 base64url> and stores only the secret's SHA-256", () => {
    const now = new Date("2026-05-10T12:00:00Z");
    const { record, key } = newClientKey("bank-a", now);
    expect(key).toMatch(KEY_FORMAT);
    const { id, secret } = parts(key);
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
    expect(record).toEqual({
      id,
      name: "bank-a",
      role: "client",
      secretHash: sha256Hex(secret),
      createdAt: now,
      revokedAt: null,
    });
    expect(key).not.toContain(record.secretHash);
    expect(JSON.stringify(record)).not.toContain(secret);
  });

  it("makes a new id and secret each time", () => {
    const a = parts(newClientKey("a").key);
    const b = parts(newClientKey("a").key);
    expect(a.id).not.toBe(b.id);
    expect(a.secret).not.toBe(b.secret);
  });
});

describe("ApiKeyAuth", () => {
  const ADMIN_KEY = "cpk-admin.this-is-the-admin-key-of-this-test-0123456789";
  let dir: string;
  let store: SqliteVerifierStore;
  let auth: ApiKeyAuth;
  let clientKey: string;
  let clientId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-keys-"));
    store = SqliteVerifierStore.open(join(dir, "verifier.sqlite"));
    auth = new ApiKeyAuth(store, ADMIN_KEY);
    const { record, key } = newClientKey("bank-a");
    await store.putApiKey(record);
    clientKey = key;
    clientId = record.id;
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const refusedWith = async (key: string | undefined) =>
    (await caught(auth.authenticate(key))).code;

  it("knows the admin key", async () => {
    expect(await auth.authenticate(ADMIN_KEY)).toEqual({ id: "admin", role: "admin" });
  });

  it("knows a stored client key", async () => {
    expect(await auth.authenticate(clientKey)).toEqual({ id: clientId, role: "client" });
  });

  it("gives a stored key the role of its record", async () => {
    const { record, key } = newClientKey("operator");
    await store.putApiKey({ ...record, role: "admin" });
    expect(await auth.authenticate(key)).toEqual({ id: record.id, role: "admin" });
  });

  it("stores and knows auditor keys", async () => {
    const { record, key } = newClientKey("regulator", new Date(), "auditor");
    await store.putApiKey(record);
    expect(await auth.authenticate(key)).toEqual({ id: record.id, role: "auditor" });
  });

  it("refuses a missing key", async () => {
    expect(await refusedWith(undefined)).toBe(ErrorCode.UNAUTHORIZED);
    expect(await refusedWith("")).toBe(ErrorCode.UNAUTHORIZED);
  });

  it("refuses malformed keys", async () => {
    const { id, secret } = parts(clientKey);
    for (const key of [
      "hello",
      `cpk.${id}`,
      `${clientKey}x`,
      `cpk.${id.toUpperCase()}.${secret}`,
      `cpk.${id}.${secret.slice(1)}`,
      ` ${clientKey}`,
      `${ADMIN_KEY}x`,
    ]) {
      expect(await refusedWith(key), key).toBe(ErrorCode.UNAUTHORIZED);
    }
  });

  it("refuses a known id with the wrong secret", async () => {
    const { id } = parts(clientKey);
    const { secret: otherSecret } = parts(newClientKey("x").key);
    expect(await refusedWith(`cpk.${id}.${otherSecret}`)).toBe(ErrorCode.UNAUTHORIZED);
  });

  it("refuses a well-formed key with an unknown id", async () => {
    const { secret } = parts(clientKey);
    expect(await refusedWith(`cpk.0123456789abcdef.${secret}`)).toBe(ErrorCode.UNAUTHORIZED);
    // A key made but never stored.
    expect(await refusedWith(newClientKey("unsaved").key)).toBe(ErrorCode.UNAUTHORIZED);
  });

  it("refuses a revoked key", async () => {
    const { record, key } = newClientKey("bank-b");
    await store.putApiKey(record);
    expect(await auth.authenticate(key)).toEqual({ id: record.id, role: "client" });
    expect(await store.revokeApiKey(record.id, new Date())).toBe(true);
    expect(await refusedWith(key)).toBe(ErrorCode.UNAUTHORIZED);
  });
});

describe("presentedKey", () => {
  it("reads Bearer and x-api-key, Bearer first", () => {
    expect(presentedKey({ authorization: "Bearer abc" })).toBe("abc");
    expect(presentedKey({ authorization: "Bearer  abc " })).toBe("abc");
    expect(presentedKey({ "x-api-key": "def" })).toBe("def");
    expect(presentedKey({ "x-api-key": " def " })).toBe("def");
    expect(presentedKey({ authorization: "Bearer abc", "x-api-key": "def" })).toBe("abc");
    expect(presentedKey({ authorization: "Basic abc", "x-api-key": "def" })).toBe("def");
    // The scheme name is case-insensitive.
    expect(presentedKey({ authorization: "bearer abc" })).toBe("abc");
    expect(presentedKey({ authorization: "BEARER abc" })).toBe("abc");
  });

  it("reads nothing from other schemes, repeated headers or no headers", () => {
    expect(presentedKey({ authorization: "Basic abc" })).toBeUndefined();
    expect(presentedKey({ "x-api-key": ["a", "b"] })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
});

describe("loadAdminKey", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-admin-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("makes a key file of mode 0600 on first use and reads the same key afterwards", async () => {
    const path = join(dir, "first", "keys", "admin.key");
    const key = await loadAdminKey({}, path);
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, "utf8")).trim()).toBe(key);
    expect(await loadAdminKey({}, path)).toBe(key);
    // Another data folder, another key.
    expect(await loadAdminKey({}, join(dir, "second", "admin.key"))).not.toBe(key);
  });

  it("prefers CROSSPROOF_ADMIN_API_KEY and makes no file then", async () => {
    const path = join(dir, "unused", "admin.key");
    const key = "k".repeat(40);
    expect(await loadAdminKey({ CROSSPROOF_ADMIN_API_KEY: key }, path)).toBe(key);
    expect(await fileExists(path)).toBe(false);
  });

  it("reads the file CROSSPROOF_ADMIN_API_KEY_FILE names, trimmed", async () => {
    const file = join(dir, "given.key");
    const key = "g".repeat(48);
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    const fallback = join(dir, "fallback", "admin.key");
    expect(await loadAdminKey({ CROSSPROOF_ADMIN_API_KEY_FILE: file }, fallback)).toBe(key);
    expect(await fileExists(fallback)).toBe(false);
  });

  it("refuses a key file that others may read", async () => {
    const file = join(dir, "open.key");
    await writeFile(file, `${"o".repeat(48)}\n`);
    for (const mode of [0o644, 0o640, 0o604]) {
      await chmod(file, mode);
      const err = await caught(loadAdminKey({ CROSSPROOF_ADMIN_API_KEY_FILE: file }, file));
      expect(err.code).toBe(ErrorCode.CONFIG_INVALID);
      expect(err.details).toEqual({ variable: "CROSSPROOF_ADMIN_API_KEY_FILE" });
      expect(err.message).toMatch(/readable by other users/);
    }
    // The default file too, once it exists.
    const made = join(dir, "made", "admin.key");
    await loadAdminKey({}, made);
    await chmod(made, 0o644);
    expect((await caught(loadAdminKey({}, made))).code).toBe(ErrorCode.CONFIG_INVALID);
  });

  it("refuses a key file that is missing or holds under 32 characters", async () => {
    const short = join(dir, "short.key");
    await writeFile(short, `${"s".repeat(31)}\n`, { mode: 0o600 });
    for (const file of [short, join(dir, "missing.key")]) {
      const err = await caught(loadAdminKey({ CROSSPROOF_ADMIN_API_KEY_FILE: file }, file));
      expect(err.code).toBe(ErrorCode.CONFIG_INVALID);
      expect(err.details).toEqual({ variable: "CROSSPROOF_ADMIN_API_KEY_FILE" });
    }
  });
});
