/**
 * API keys of the verifier service. A client key is `cpk.<id>.<secret>`: the id finds the
 * record, the secret (256 random bits) is kept only as its SHA-256 (a fast hash is right for a
 * random secret of that size: there is nothing to brute-force) and compared in constant time.
 * The admin key is separate: configured (`CROSSPROOF_ADMIN_API_KEY` or `_FILE`) or made on first
 * start in the data folder (mode 0600); only its hash is kept in memory.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { rm } from "node:fs/promises";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import {
  createPrivateFile,
  fileExists,
  PrivateFileError,
  readPrivateFile,
} from "../infra/files.js";
import type { ApiKeyRecord, ApiKeyRole, VerifierStore } from "../verifier/store.js";

/** Who a request comes from. */
export interface Caller {
  /** The key's id (`admin` for the admin key): receipts and rate limits are per id. */
  readonly id: string;
  readonly role: ApiKeyRole;
}

const KEY = /^cpk\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function unauthorized(message = "a valid API key is required"): CrossproofError {
  return new CrossproofError(ErrorCode.UNAUTHORIZED, message);
}

/** A new key (a client's, by default): the record to store (hash only) and the key to hand out once. */
export function newClientKey(
  name: string,
  now = new Date(),
  role: Exclude<ApiKeyRole, "admin"> = "client",
): { record: ApiKeyRecord; key: string } {
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return {
    record: {
      id,
      name,
      role,
      secretHash: sha256(secret).toString("hex"),
      createdAt: now,
      revokedAt: null,
    },
    key: `cpk.${id}.${secret}`,
  };
}

/** Checks presented keys against the admin key's hash and the stored client keys. */
export class ApiKeyAuth {
  readonly #store: VerifierStore;
  readonly #adminHash: Buffer;

  constructor(store: VerifierStore, adminKey: string) {
    this.#store = store;
    this.#adminHash = sha256(adminKey);
  }

  /** The caller a key belongs to; `UNAUTHORIZED` for none, an unknown one or a revoked one. */
  async authenticate(key: string | undefined): Promise<Caller> {
    if (!key) throw unauthorized();
    if (timingSafeEqual(sha256(key), this.#adminHash)) return { id: "admin", role: "admin" };
    const match = KEY.exec(key);
    if (!match) throw unauthorized();
    const [, id, secret] = match as unknown as [string, string, string];
    const record = await this.#store.getApiKey(id);
    if (!record || record.revokedAt !== null) throw unauthorized();
    const expected = Buffer.from(record.secretHash, "hex");
    if (expected.length !== 32 || !timingSafeEqual(sha256(secret), expected)) throw unauthorized();
    return { id: record.id, role: record.role };
  }
}

/** The key from `authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedKey(headers: {
  readonly authorization?: string | undefined;
  readonly "x-api-key"?: string | string[] | undefined;
}): string | undefined {
  const auth = headers.authorization;
  // The scheme name is case-insensitive (RFC 9110, 11.1).
  if (auth && /^bearer /i.test(auth)) return auth.slice(7).trim();
  const header = headers["x-api-key"];
  return typeof header === "string" ? header.trim() : undefined;
}

async function readSecretFile(path: string, what: string): Promise<string> {
  const variable = { variable: "CROSSPROOF_ADMIN_API_KEY_FILE" };
  let text: string;
  try {
    text = (await readPrivateFile(path)).trim();
  } catch (err) {
    if (err instanceof PrivateFileError && err.reason === "shared") {
      throw new CrossproofError(
        ErrorCode.CONFIG_INVALID,
        `${what} ${path} is readable by other users: chmod 600 it`,
        { details: variable },
      );
    }
    throw new CrossproofError(ErrorCode.CONFIG_INVALID, `cannot read ${what} ${path}`, {
      details: variable,
      cause: err,
    });
  }
  if (text.length < 32) {
    throw new CrossproofError(
      ErrorCode.CONFIG_INVALID,
      `${what} ${path} holds under 32 characters`,
      {
        details: variable,
      },
    );
  }
  return text;
}

/**
 * The admin key: `CROSSPROOF_ADMIN_API_KEY`, or the file `CROSSPROOF_ADMIN_API_KEY_FILE` names,
 * or `defaultPath` (made with a fresh random key on first start).
 */
export async function loadAdminKey(env: NodeJS.ProcessEnv, defaultPath: string): Promise<string> {
  const value = env.CROSSPROOF_ADMIN_API_KEY || undefined;
  if (value !== undefined) return value;
  const file = env.CROSSPROOF_ADMIN_API_KEY_FILE || undefined;
  if (file !== undefined) return readSecretFile(file, "admin key file");
  await createPrivateFile(defaultPath, `cpk-admin.${randomBytes(32).toString("base64url")}\n`);
  return readSecretFile(defaultPath, "admin key file");
}

/**
 * A client (or auditor) key kept in a file (for `crossproof start`'s walk-through and demo): the
 * key in `path` if it is still valid and of `role`, else a new one, stored and written there
 * (mode 0600).
 */
export async function loadOrCreateClientKeyFile(
  store: VerifierStore,
  auth: ApiKeyAuth,
  path: string,
  name: string,
  role: Exclude<ApiKeyRole, "admin"> = "client",
): Promise<string> {
  if (await fileExists(path)) {
    const key = await readSecretFile(path, `${role} key file`);
    try {
      if ((await auth.authenticate(key)).role === role) return key;
    } catch {
      // revoked, or from another database: make a new one below
    }
  }
  const { record, key } = newClientKey(name, new Date(), role);
  await store.putApiKey(record);
  // The old file held a key that no longer works: replace it.
  await rm(path, { force: true });
  await createPrivateFile(path, `${key}\n`);
  return key;
}
