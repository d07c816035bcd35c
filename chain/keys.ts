/**
 * Signing keys for the chain: read from an environment variable or a file, turned into a viem
 * account at once, and never kept as text, logged, or written anywhere but the file they came
 * from. Error messages name the variable or file, never the value.
 */
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { ChainError, ErrorCode } from "../core/errors.js";
import { fileExists } from "../core/files.js";

const PRIVATE_KEY = /^(0x)?[0-9a-fA-F]{64}$/;

/** A signing account and where its key came from (for messages: the source, never the key). */
export interface Signer {
  readonly account: PrivateKeyAccount;
  readonly source: string;
}

function accountFrom(text: string, source: string): Signer {
  const key = text.trim();
  if (!PRIVATE_KEY.test(key)) {
    throw new ChainError(
      ErrorCode.CHAIN_CONFIG,
      `${source} does not hold a private key (64 hexadecimal digits, optionally 0x-prefixed)`,
      { details: { source } },
    );
  }
  const hex = (key.startsWith("0x") ? key : `0x${key}`) as `0x${string}`;
  try {
    return { account: privateKeyToAccount(hex), source };
  } catch {
    // e.g. zero or ≥ the secp256k1 order; the cause would carry the key, so it is dropped
    throw new ChainError(ErrorCode.CHAIN_CONFIG, `${source} is not a valid secp256k1 key`, {
      details: { source },
    });
  }
}

/** Reads a key file; refuses one that other users can read. */
export async function readKeyFile(path: string): Promise<Signer> {
  const source = `key file ${path}`;
  let text: string;
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) {
      throw new ChainError(
        ErrorCode.CHAIN_CONFIG,
        `${source} is readable by other users: chmod 600 it`,
        { details: { source, mode: (info.mode & 0o777).toString(8) } },
      );
    }
    text = await readFile(path, "utf8");
  } catch (err) {
    if (err instanceof ChainError) throw err;
    throw new ChainError(ErrorCode.CHAIN_CONFIG, `cannot read ${source}`, {
      details: { source },
      cause: err,
    });
  }
  return accountFrom(text, source);
}

/**
 * The signer named by `<name>` or `<name>_FILE` in `env` (e.g. `CROSSPROOF_ISSUER_KEY`), or
 * undefined when neither is set. Setting both is refused: which one wins would be a guess.
 */
export async function signerFromEnv(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Signer | undefined> {
  // An empty variable counts as unset, as for every other CROSSPROOF_* variable.
  const value = env[name] || undefined;
  const file = env[`${name}_FILE`] || undefined;
  if (value !== undefined && file !== undefined) {
    throw new ChainError(ErrorCode.CHAIN_CONFIG, `set ${name} or ${name}_FILE, not both`);
  }
  if (value !== undefined) return accountFrom(value, `environment variable ${name}`);
  if (file !== undefined) return readKeyFile(file);
  return undefined;
}

/**
 * The signer in `path`, made on first use: a fresh key from the OS CSPRNG written with mode
 * 0600 (for the local node's admin and issuer, which exist only on this machine).
 */
export async function loadOrCreateKeyFile(path: string): Promise<Signer> {
  if (!(await fileExists(path))) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // "wx": never overwrite a key another process has just written.
    await writeFile(path, `${generatePrivateKey()}\n`, { mode: 0o600, flag: "wx" }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      },
    );
    await chmod(path, 0o600);
  }
  return readKeyFile(path);
}
