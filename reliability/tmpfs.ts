/**
 * A real full disk for the storage fault suites: a small tmpfs mounted on a folder (Linux, as
 * root: `mount -t tmpfs -o size=…`), then a filler file written until the kernel answers ENOSPC,
 * so SQLite's own writes fail with "database or disk is full". Removing the filler frees the
 * space again. Where mounting is not permitted, `mountTmpfs` says so instead of pretending.
 */
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A mounted tmpfs: fill it, free it, unmount it. */
export interface Tmpfs {
  readonly dir: string;
  /** Writes a filler file until the file system is full; returns the bytes it took. */
  fill(): Promise<number>;
  /** Deletes the filler file. */
  free(): Promise<void>;
  /** Unmounts (lazily, so a connection still open cannot keep it mounted). */
  unmount(): Promise<void>;
}

/**
 * Mounts a tmpfs of `bytes` on `dir` (made if missing), or returns why it cannot (not root, no
 * permission in this container): the caller reports that rather than skipping silently.
 */
export async function mountTmpfs(dir: string, bytes: number): Promise<Tmpfs | { reason: string }> {
  if (process.platform !== "linux") return { reason: `no tmpfs on ${process.platform}` };
  if (process.getuid?.() !== 0) return { reason: "mounting a tmpfs needs root" };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${bytes},mode=0700`, "tmpfs", dir]);
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
    return { reason: `mount -t tmpfs was refused: ${stderr || (err as Error).message}` };
  }
  const filler = join(dir, "filler");
  let mounted = true;
  return {
    dir,
    async fill() {
      const handle = await open(filler, "a");
      const chunk = Buffer.alloc(64 * 1024, 0xa5);
      let written = 0;
      try {
        for (;;) {
          // Ever smaller writes, so the last free block is taken too.
          let size = chunk.length;
          let wrote = false;
          while (size >= 512 && !wrote) {
            try {
              const { bytesWritten } = await handle.write(chunk, 0, size);
              written += bytesWritten;
              wrote = bytesWritten > 0;
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
              size /= 2;
            }
          }
          if (!wrote) return written;
        }
      } finally {
        await handle.close();
      }
    },
    async free() {
      await rm(filler, { force: true });
    },
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await run("umount", ["-l", dir]);
    },
  };
}
