/** Small file helpers shared by every part that writes durable files. */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";

/** sha256 of a file, as lowercase hex, streamed so large keys do not sit in memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Whether a file or folder exists at `path`. */
export async function fileExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A temporary name beside `path`, so that the final rename stays on one file system. */
export function temporaryPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
}

/**
 * Write `path` atomically: the content goes to a temporary file beside it, which is then
 * renamed into place. A reader sees the old file or the new one, never half of one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = temporaryPathFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Produce `path` with `produce(tmp)`, which writes a temporary file, then rename it into place.
 * Used for files made by tools that take a file name (snarkjs).
 */
export async function produceFileAtomic(
  path: string,
  produce: (tmpPath: string) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = temporaryPathFor(path);
  try {
    await produce(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** What `readJsonLines` yields for a line that is not JSON. */
export const MALFORMED_JSON: unique symbol = Symbol("malformed JSON");

/**
 * The values of a JSON Lines file, each with its 1-based line number; blank lines are skipped
 * and a line that does not parse yields `MALFORMED_JSON`, so the caller can name it.
 */
export async function* readJsonLines(
  path: string,
): AsyncGenerator<{ line: number; value: unknown }> {
  const lines = createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = MALFORMED_JSON;
    }
    yield { line, value };
  }
}

/** Why {@link readPrivateFile} refused a file. */
export class PrivateFileError extends Error {
  override readonly name = "PrivateFileError";
  constructor(
    /** `shared`: group or others have some permission; `unreadable`: missing or not readable. */
    readonly reason: "shared" | "unreadable",
    /** The file's permission bits, octal (for `shared`). */
    readonly mode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      reason === "shared" ? `readable by other users (mode ${mode})` : "cannot be read",
      options,
    );
  }
}

/**
 * The content of a file that holds a secret (a key), refused unless only its owner has any
 * permission on it. Callers turn a {@link PrivateFileError} into their own error code.
 */
export async function readPrivateFile(path: string): Promise<string> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    throw new PrivateFileError("unreadable", undefined, { cause: err });
  }
  if ((mode & 0o077) !== 0) throw new PrivateFileError("shared", (mode & 0o777).toString(8));
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new PrivateFileError("unreadable", undefined, { cause: err });
  }
}

/**
 * Writes `content` to a new file of mode 0600 (its folder made 0700) unless `path` exists; a
 * file another process has just written is kept, never overwritten.
 */
export async function createPrivateFile(path: string, content: string): Promise<void> {
  if (await fileExists(path)) return;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, content, { mode: 0o600, flag: "wx" }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    },
  );
  await chmod(path, 0o600);
}
