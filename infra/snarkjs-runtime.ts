/**
 * snarkjs keeps one BN254 curve per process in `globalThis.curve_bn128`, with worker threads
 * that keep the process alive. This is the one place that touches that internal.
 */

interface CachedCurve {
  terminate(): Promise<void>;
}

/** Stop snarkjs's cached curve (if any), so that a command-line process can exit. */
export async function releaseSnarkjsCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: CachedCurve | null };
  const curve = g.curve_bn128;
  if (curve) {
    g.curve_bn128 = null;
    await curve.terminate();
  }
}
