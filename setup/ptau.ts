/**
 * The development Powers of Tau (phase 1 of the Groth16 setup), made here deterministically
 * and cached outside git, since `prepare phase2` takes minutes.
 *
 * Steps: `new` (power p) → `beacon` (in place of a contribution) → `prepare phase2`. Each step
 * writes a temporary file that is renamed into place only when the step has finished, so a
 * cached file is always complete (snarkjs's own `verify` does not notice a cut-short prepare).
 */
import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { buildBn128 } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { ArtifactError, ErrorCode } from "../core/errors.js";
import { fileExists, produceFileAtomic } from "../infra/files.js";
import { devPtauPath } from "../infra/paths.js";
import { DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP } from "./beacon.js";
import { type ProgressSink, stderrProgress, stepLogger } from "./logger.js";

/** Largest ptau power the development setup makes (2^16 constraints); more takes too long here. */
export const MAX_DEV_PTAU_POWER = 16;

/**
 * Path of the prepared development ptau of `power`, making it first when it is not cached.
 * `options.path` overrides where it lives (tests of reproducibility use a fresh folder).
 */
export async function ensureDevPtau(
  power: number,
  options: { path?: string; progress?: ProgressSink } = {},
): Promise<string> {
  if (!Number.isInteger(power) || power < 8 || power > MAX_DEV_PTAU_POWER) {
    throw new ArtifactError(
      ErrorCode.SETUP_FAILED,
      `a development ptau has a power in [8, ${MAX_DEV_PTAU_POWER}], not ${power}`,
    );
  }
  const finalPath = options.path ?? devPtauPath(power);
  if (await fileExists(finalPath)) return finalPath;
  const progress = options.progress ?? stderrProgress;
  await mkdir(dirname(finalPath), { recursive: true });

  const fresh = `${finalPath}.0-new`;
  const beaconed = `${finalPath}.1-beacon`;
  const curve = await buildBn128();
  try {
    progress(`ptau ${power}: new accumulator`);
    await produceFileAtomic(fresh, (tmp) =>
      snarkjs.powersOfTau.newAccumulator(curve, power, tmp, stepLogger("ptau new", progress)),
    );
    progress(`ptau ${power}: beacon ${DEV_BEACON_HASH.slice(0, 16)}…`);
    await produceFileAtomic(beaconed, (tmp) =>
      snarkjs.powersOfTau.beacon(
        fresh,
        tmp,
        "crossproof development beacon",
        DEV_BEACON_HASH,
        DEV_BEACON_ITERATIONS_EXP,
        stepLogger("ptau beacon", progress),
      ),
    );
    progress(`ptau ${power}: prepare phase 2 (takes minutes)`);
    await produceFileAtomic(finalPath, (tmp) =>
      snarkjs.powersOfTau.preparePhase2(beaconed, tmp, stepLogger("ptau prepare", progress)),
    );
  } finally {
    await rm(fresh, { force: true });
    await rm(beaconed, { force: true });
    await curve.terminate();
  }
  return finalPath;
}
