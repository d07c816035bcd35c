/** Whether a process is alive, for locks and tests that must tell a dead holder from a live one. */

/** Whether process `pid` exists on this machine (EPERM: it does, owned by someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
