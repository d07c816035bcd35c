/**
 * Phase 1 for production keys: a Powers of Tau file from a public ceremony, checked before use.
 *
 * A file is identified by its blake2b-512 hash against the table the Hermez ceremony published
 * (54 contributions and a beacon, prepared for phase 2), then fully verified with snarkjs's
 * `powersoftau verify`. A file that is in no table is refused unless the caller explicitly allows
 * it; that choice is recorded (a release's manifest says `unknownAllowed`). The deterministic
 * development ptau (setup/ptau.ts) is such an unknown file: for development and tests only.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { basename } from "node:path";
import * as snarkjs from "snarkjs";
import { ArtifactError, ErrorCode } from "../core/errors.js";
import { sha256File } from "../infra/files.js";
import type { SnarkjsLogger } from "./logger.js";

/**
 * blake2b-512 of the prepared Hermez ceremony files `powersOfTau28_hez_final_NN.ptau`, by power.
 * Source: the snarkjs README (github.com/iden3/snarkjs, README.md, "7. Prepare phase 2": the
 * table of prepared ptau files with 54 contributions and a beacon; snarkjs 0.7.6 ships the same
 * README in node_modules/snarkjs/README.md). Power 28 is the complete file,
 * `powersOfTau28_hez_final.ptau`.
 */
export const HERMEZ_PTAU_BLAKE2B: Readonly<Record<number, string>> = {
  8: "d6a8fb3a04feb600096c3b791f936a578c4e664d262e4aa24beed1b7a9a96aa5eb72864d628db247e9293384b74b36ffb52ca8d148d6e1b8b51e279fdf57b583",
  9: "94f108a80e81b5d932d8e8c9e8fd7f46cf32457e31462deeeef37af1b71c2c1b3c71fb0d9b59c654ec266b042735f50311f9fd1d4cadce47ab234ad163157cb5",
  10: "6cfeb8cda92453099d20120bdd0e8a5c4e7706c2da9a8f09ccc157ed2464d921fd0437fb70db42104769efd7d6f3c1f964bcf448c455eab6f6c7d863e88a5849",
  11: "47c282116b892e5ac92ca238578006e31a47e7c7e70f0baa8b687f0a5203e28ea07bbbec765a98dcd654bad618475d4661bfaec3bd9ad2ed12e7abc251d94d33",
  12: "ded2694169b7b08e898f736d5de95af87c3f1a64594013351b1a796dbee393bd825f88f9468c84505ddd11eb0b1465ac9b43b9064aa8ec97f2b73e04758b8a4a",
  13: "58efc8bf2834d04768a3d7ffcd8e1e23d461561729beaac4e3e7a47829a1c9066d5320241e124a1a8e8aa6c75be0ba66f65bc8239a0542ed38e11276f6fdb4d9",
  14: "eeefbcf7c3803b523c94112023c7ff89558f9b8e0cf5d6cdcba3ade60f168af4a181c9c21774b94fbae6c90411995f7d854d02ebd93fb66043dbb06f17a831c1",
  15: "982372c867d229c236091f767e703253249a9b432c1710b4f326306bfa2428a17b06240359606cfe4d580b10a5a1f63fbed499527069c18ae17060472969ae6e",
  16: "6a6277a2f74e1073601b4f9fed6e1e55226917efb0f0db8a07d98ab01df1ccf43eb0e8c3159432acd4960e2f29fe84a4198501fa54c8dad9e43297453efec125",
  17: "6247a3433948b35fbfae414fa5a9355bfb45f56efa7ab4929e669264a0258976741dfbe3288bfb49828e5df02c2e633df38d2245e30162ae7e3bcca5b8b49345",
  18: "7e6a9c2e5f05179ddfc923f38f917c9e6831d16922a902b0b4758b8e79c2ab8a81bb5f29952e16ee6c5067ed044d7857b5de120a90704c1d3b637fd94b95b13e",
  19: "bca9d8b04242f175189872c42ceaa21e2951e0f0f272a0cc54fc37193ff6648600eaf1c555c70cdedfaf9fb74927de7aa1d33dc1e2a7f1a50619484989da0887",
  20: "89a66eb5590a1c94e3f1ee0e72acf49b1669e050bb5f93c73b066b564dca4e0c7556a52b323178269d64af325d8fdddb33da3a27c34409b821de82aa2bf1a27b",
  21: "9aef0573cef4ded9c4a75f148709056bf989f80dad96876aadeb6f1c6d062391f07a394a9e756d16f7eb233198d5b69407cca44594c763ab4a5b67ae73254678",
  22: "0d64f63dba1a6f11139df765cb690da69d9b2f469a1ddd0de5e4aa628abb28f787f04c6a5fb84a235ec5ea7f41d0548746653ecab0559add658a83502d1cb21b",
  23: "3063a0bd81d68711197c8820a92466d51aeac93e915f5136d74f63c394ee6d88c5e8016231ea6580bec02e25d491f319d92e77f5c7f46a9caa8f3b53c0ea544f",
  24: "fa404d140d5819d39984833ca5ec3632cd4995f81e82db402371a4de7c2eae8687c62bc632a95b0c6aadba3fb02680a94e09174b7233ccd26d78baca2647c733",
  25: "0377d860cdb09a8a31ea1b0b8c04335614c8206357181573bf294c25d5ca7dff72387224fbd868897e6769f7805b3dab02854aec6d69d7492883b5e4e5f35eeb",
  26: "418dee4a74b9592198bd8fd02ad1aea76f9cf3085f206dfd7d594c9e264ae919611b1459a1cc920c2f143417744ba9edd7b8d51e44be9452344a225ff7eead19",
  27: "10ffd99837c512ef99752436a54b9810d1ac8878d368fb4b806267bdd664b4abf276c9cd3c4b9039a1fa4315a0c326c0e8e9e8fe0eb588ffd4f9021bf7eae1a1",
  28: "55c77ce8562366c91e7cda394cf7b7c15a06c12d8c905e8b36ba9cf5e13eb37d1a429c589e8eaba4c591bc4b88a0e2828745a53e170eac300236f5c1a326f41a",
};

/** The published file name of the Hermez ceremony file of `power`. */
export function hermezPtauName(power: number): string {
  return power === 28
    ? "powersOfTau28_hez_final.ptau"
    : `powersOfTau28_hez_final_${String(power).padStart(2, "0")}.ptau`;
}

/** What a checked Powers of Tau file is: recorded in transcripts and release manifests. */
export interface PtauIdentity {
  /** The file's name when checked (informative; the hashes identify it). */
  readonly file: string;
  /** The number of powers is 2^power. */
  readonly power: number;
  readonly sha256: string;
  readonly blake2b: string;
  /** The published ceremony file this is, or null for an unknown file. */
  readonly published: string | null;
  /** True when the file is no published one and was explicitly allowed. */
  readonly unknownAllowed: boolean;
}

/** blake2b-512 of a file, hex, streamed (the hash `b2sum` prints and the table lists). */
export async function blake2bFile(path: string): Promise<string> {
  const hash = createHash("blake2b512");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The power of a ptau file, from its header section (`PTAU_INVALID` when it is not a ptau). */
async function ptauPower(path: string): Promise<number> {
  let file: FileHandle | undefined;
  try {
    file = await open(path, "r");
    // The magic "ptau", a version, a section count, then sections of (type u32, size u64,
    // bytes); section 1, the header, holds n8 (u32), q (n8 bytes), the power (u32).
    const head = Buffer.alloc(12);
    await file.read(head, 0, 12, 0);
    if (head.toString("latin1", 0, 4) !== "ptau") throw new Error("no `ptau` magic");
    let position = 12;
    for (let i = 0; i < head.readUInt32LE(8); i++) {
      const sectionHead = Buffer.alloc(12);
      await file.read(sectionHead, 0, 12, position);
      const type = sectionHead.readUInt32LE(0);
      const length = Number(sectionHead.readBigUInt64LE(4));
      if (type === 1) {
        const body = Buffer.alloc(Math.min(length, 64));
        await file.read(body, 0, body.length, position + 12);
        const n8 = body.readUInt32LE(0);
        return body.readUInt32LE(4 + n8);
      }
      position += 12 + length;
    }
    throw new Error("no header section");
  } catch (err) {
    throw new ArtifactError(ErrorCode.PTAU_INVALID, `${path} is not a Powers of Tau file`, {
      details: { file: path, reason: err instanceof Error ? err.message : String(err) },
      cause: err,
    });
  } finally {
    await file?.close();
  }
}

/** Progress of a ptau verification, as a fraction in [0, 1] and the step being checked. */
export type VerifyProgress = (fraction: number, step: string) => void;

/**
 * A snarkjs logger that turns `powersoftau verify`'s debug lines into a fraction of the work:
 * four point sections, then four phase-2 sections of `power + 1` FFT sizes each. Its errors and
 * warnings are kept, to explain a refusal.
 */
function verifyLogger(
  power: number,
  onProgress: VerifyProgress,
): SnarkjsLogger & { problems: string[] } {
  const pointSections = 4;
  const total = pointSections + 4 * (power + 2);
  let done = 0;
  let phase2Section = -1;
  const problems: string[] = [];
  const see = (message: string): void => {
    const m = /Verifying powers in (\S+) section/.exec(message);
    if (m) done = Math.max(done, pointSectionIndex(m[1] ?? ""));
    if (message.startsWith("Verifying phase2 calculated values")) {
      phase2Section++;
      done = pointSections + phase2Section * (power + 2);
    }
    const p = /^Power (\d+)\.\.\./.exec(message);
    if (p && phase2Section >= 0) {
      done = pointSections + phase2Section * (power + 2) + Number(p[1]);
    }
    onProgress(Math.min(1, done / total), message.trim());
  };
  return {
    problems,
    debug: see,
    info: see,
    warn: (m) => {
      problems.push(m);
    },
    error: (m) => {
      problems.push(m);
    },
  };
}

/** The index (0–3) of a point section in `powersoftau verify`'s order, from its log name. */
function pointSectionIndex(name: string): number {
  return ["tau*G1", "tau*G2", "alpha*tau*G1", "beta*tau*G1"].indexOf(name);
}

/**
 * snarkjs's `powersoftau verify` (src/powersoftau_verify.js takes a file name and a logger);
 * @types/snarkjs declares another signature for it, hence the cast.
 */
const verifyPtauFile = snarkjs.powersOfTau.verify as unknown as (
  file: string,
  logger: SnarkjsLogger,
) => Promise<boolean>;

/** Options of {@link importPtau}. */
export interface ImportPtauOptions {
  /** Accept a file that is no published ceremony file (recorded as `unknownAllowed`). */
  readonly allowUnknown?: boolean;
  /** Called as the verification advances. */
  readonly onProgress?: VerifyProgress;
}

/**
 * Check a Powers of Tau file for use in a phase-2 ceremony: its blake2b-512 against the
 * published Hermez hashes (`PTAU_UNKNOWN` unless `allowUnknown`), then the full
 * `powersoftau verify`, which must pass and find the phase-2 sections (`PTAU_INVALID`).
 */
export async function importPtau(
  path: string,
  options: ImportPtauOptions = {},
): Promise<PtauIdentity> {
  const power = await ptauPower(path);
  const blake2b = await blake2bFile(path);
  const known = HERMEZ_PTAU_BLAKE2B[power] === blake2b;
  if (!known && !options.allowUnknown) {
    throw new ArtifactError(
      ErrorCode.PTAU_UNKNOWN,
      `${path} is not a published ceremony file (its blake2b-512 is not ${hermezPtauName(power)}'s); allow it explicitly to use it anyway`,
      { details: { file: path, power, blake2b } },
    );
  }
  const logger = verifyLogger(power, options.onProgress ?? (() => {}));
  let ok: boolean;
  try {
    ok = await verifyPtauFile(path, logger);
  } catch (err) {
    throw new ArtifactError(ErrorCode.PTAU_INVALID, `${path} cannot be verified`, {
      details: { file: path, reason: err instanceof Error ? err.message : String(err) },
      cause: err,
    });
  }
  // `verify` passes a file without its phase-2 sections with only a warning: refuse it here.
  const notPrepared = logger.problems.some((p) => p.includes("phase2 precalculated values"));
  if (!ok || notPrepared) {
    throw new ArtifactError(
      ErrorCode.PTAU_INVALID,
      notPrepared
        ? `${path} is not prepared for phase 2 (run \`powersoftau prepare phase2\` first)`
        : `${path} fails \`powersoftau verify\`: ${logger.problems[0] ?? "invalid"}`,
      { details: { file: path, reason: logger.problems.slice(0, 5) } },
    );
  }
  options.onProgress?.(1, "done");
  return {
    file: basename(path),
    power,
    sha256: await sha256File(path),
    blake2b,
    published: known ? hermezPtauName(power) : null,
    unknownAllowed: !known,
  };
}
