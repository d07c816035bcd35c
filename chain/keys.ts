/**
 * Signing keys for the chain: read from an environment variable or a file, turned into a viem
 * account at once, and never kept as text, logged, or written anywhere but the file they came
 * from. Error messages name the variable or file, never the value.
 */
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { ChainError, ErrorCode } from "../core/errors.js";
import { createPrivateFile, PrivateFileError, readPrivateFile } from "../infra/files.js";

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
    text = await readPrivateFile(path);
  } catch (err) {
    if (err instanceof PrivateFileError && err.reason === "shared") {
      throw new ChainError(
        ErrorCode.CHAIN_CONFIG,
        `${source} is readable by other users: chmod 600 it`,
        { details: { source, mode: err.mode } },
      );
    }
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
  await createPrivateFile(path, `${generatePrivateKey()}\n`);
  return readKeyFile(path);
}
