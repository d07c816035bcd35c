/** Small file helpers shared by every part that writes durable files. */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, mkdir, rename, rm, writeFile } from "node:fs/promises";
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
