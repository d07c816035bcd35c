/**
 * Circuit releases: the files under `artifacts/<circuit>/` and their manifest. Loading a release
 * checks every file against the manifest's sha256, so a tampered or stale key is never used.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ArtifactError, ErrorCode } from "../core/errors.js";
import { sha256File } from "./files.js";
import { ARTIFACTS_DIR, type CircuitArtifactPaths, circuitArtifactPaths } from "./paths.js";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const fileEntry = z.strictObject({ path: z.string().regex(/^[A-Za-z0-9_.-]+$/), sha256 });

const manifestSchema = z.strictObject({
  circuit: z.string(),
  template: z.string(),
  params: z.array(z.number().int()),
  publicSignals: z.array(z.string()),
  nPublic: z.number().int().nonnegative(),
  nOutputs: z.number().int().nonnegative(),
  constraints: z.number().int().positive(),
  wires: z.number().int().positive(),
  r1csSha256: sha256,
  ptau: z.strictObject({
    power: z.number().int(),
    sha256,
    /** blake2b-512 of the file, the hash the public ceremonies publish (production releases). */
    blake2b: z
      .string()
      .regex(/^[0-9a-f]{128}$/)
      .optional(),
    /** The published ceremony file it is (e.g. `powersOfTau28_hez_final_14.ptau`), or null. */
    published: z.string().nullable().optional(),
    /** Whether a file that is no published ceremony file was explicitly allowed. */
    unknownAllowed: z.boolean().optional(),
  }),
  setup: z.strictObject({
    kind: z.enum(["development", "production"]),
    beacon: z.strictObject({ hash: z.string(), iterationsExp: z.number().int() }).optional(),
    /** The phase-2 contributions in order (production releases), as the zkey records them. */
    contributions: z
      .array(
        z.strictObject({
          index: z.number().int().positive(),
          name: z.string(),
          type: z.enum(["contribution", "beacon"]),
          hash: z.string().regex(/^[0-9a-f]{128}$/),
        }),
      )
      .optional(),
    note: z.string(),
    tools: z.record(z.string(), z.string()),
  }),
  files: z.strictObject({
    wasm: fileEntry,
    zkey: fileEntry,
    verificationKey: fileEntry,
    solidityVerifier: fileEntry,
    /** The ceremony transcript (production releases). */
    transcript: fileEntry.optional(),
  }),
});

/** A circuit release's manifest (`artifacts/<circuit>/manifest.json`). */
export type ArtifactManifest = z.infer<typeof manifestSchema>;

/** Groth16 verification key, as snarkjs exports it. */
export interface VerificationKey {
  readonly protocol: "groth16";
  readonly curve: "bn128";
  readonly nPublic: number;
  readonly vk_alpha_1: readonly string[];
  readonly vk_beta_2: readonly (readonly string[])[];
  readonly vk_gamma_2: readonly (readonly string[])[];
  readonly vk_delta_2: readonly (readonly string[])[];
  readonly IC: readonly (readonly string[])[];
  readonly [key: string]: unknown;
}

/** A loaded, checked circuit release. */
export interface CircuitRelease {
  readonly name: string;
  readonly paths: CircuitArtifactPaths;
  readonly manifest: ArtifactManifest;
  readonly verificationKey: VerificationKey;
}

/** Parse a manifest; `ARTIFACT_MISMATCH` when it is malformed. */
export function parseManifest(json: unknown, where: string): ArtifactManifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ArtifactError(ErrorCode.ARTIFACT_MISMATCH, `malformed manifest ${where}`, {
      details: { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
    });
  }
  return parsed.data;
}

/**
 * Load the release of `circuit` from `root` (default `artifacts/`), checking each file's sha256
 * against the manifest: `ARTIFACT_MISSING` or `ARTIFACT_MISMATCH` otherwise.
 */
export async function loadCircuitRelease(
  circuit: string,
  root = ARTIFACTS_DIR,
): Promise<CircuitRelease> {
  const paths = circuitArtifactPaths(circuit, root);
  let raw: string;
  try {
    raw = await readFile(paths.manifest, "utf8");
  } catch (err) {
    throw new ArtifactError(
      ErrorCode.ARTIFACT_MISSING,
      `no release of circuit "${circuit}" in ${root}: run \`npm run setup:dev\``,
      { details: { circuit }, cause: err },
    );
  }
  const manifest = parseManifest(JSON.parse(raw), paths.manifest);
  if (manifest.circuit !== circuit) {
    throw new ArtifactError(ErrorCode.ARTIFACT_MISMATCH, `manifest names "${manifest.circuit}"`, {
      details: { circuit },
    });
  }
  if (
    manifest.setup.kind === "production" &&
    (!manifest.files.transcript || !manifest.setup.contributions?.length)
  ) {
    throw new ArtifactError(
      ErrorCode.ARTIFACT_MISMATCH,
      `production release of ${circuit} lacks its transcript or contribution list`,
      { details: { circuit } },
    );
  }
  for (const [kind, entry] of Object.entries(manifest.files)) {
    if (!entry) continue;
    const expectedPath = paths[kind as keyof typeof manifest.files];
    if (!expectedPath.endsWith(`/${entry.path}`)) {
      throw new ArtifactError(ErrorCode.ARTIFACT_MISMATCH, `unexpected ${kind} path ${entry.path}`);
    }
    let actual: string;
    try {
      actual = await sha256File(expectedPath);
    } catch (err) {
      throw new ArtifactError(ErrorCode.ARTIFACT_MISSING, `missing ${entry.path} of ${circuit}`, {
        details: { circuit, file: entry.path },
        cause: err,
      });
    }
    if (actual !== entry.sha256) {
      throw new ArtifactError(
        ErrorCode.ARTIFACT_MISMATCH,
        `${entry.path} of ${circuit} does not match its manifest`,
        { details: { circuit, file: entry.path, expected: entry.sha256, actual } },
      );
    }
  }
  const verificationKey = JSON.parse(
    await readFile(paths.verificationKey, "utf8"),
  ) as VerificationKey;
  if (verificationKey.nPublic !== manifest.nPublic) {
    throw new ArtifactError(ErrorCode.ARTIFACT_MISMATCH, "verification key nPublic mismatch", {
      details: { circuit },
    });
  }
  return { name: circuit, paths, manifest, verificationKey };
}
