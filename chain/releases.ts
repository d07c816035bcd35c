/**
 * The circuit releases shipped in `artifacts/`, as the local chain registers them: each under
 * its key hash, its manifest's kind and a version derived from the key (`localReleaseVersion`),
 * so that a local deployment accepts its own proofs out of the box. A real chain's admin
 * registers releases with `crossproof chain release register` instead.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import {
  type KeyHash,
  localReleaseVersion,
  type ReleaseKind,
  verificationKeyHash,
} from "../core/circuit-release.js";
import { ArtifactError, ErrorCode } from "../core/errors.js";
import { parseManifest } from "../infra/artifacts.js";
import { ARTIFACTS_DIR, circuitArtifactPaths } from "../infra/paths.js";
import type { RootRegistry } from "./registry.js";

/** A release on disk, identified as the registry identifies it. */
export interface ShippedRelease {
  readonly name: string;
  readonly version: string;
  readonly keyHash: KeyHash;
  readonly kind: ReleaseKind;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The releases under `root` (every folder with a manifest), each key checked against it. */
export async function shippedReleases(root = ARTIFACTS_DIR): Promise<ShippedRelease[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const out: ShippedRelease[] = [];
  for (const entry of entries
    .filter((e) => e.isDirectory())
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const names = await readdir(`${root}/${entry.name}`);
    if (!names.includes("manifest.json")) continue;
    // Only the manifest and the key are read (checked against the manifest): this runs at every
    // start of the local node, and hashing the zkeys would cost far more than it checks here.
    const paths = circuitArtifactPaths(entry.name, root);
    const manifest = parseManifest(
      JSON.parse(await readFile(paths.manifest, "utf8")),
      paths.manifest,
    );
    const keyText = await readFile(paths.verificationKey, "utf8");
    if (sha256(keyText) !== manifest.files.verificationKey.sha256) {
      throw new ArtifactError(
        ErrorCode.ARTIFACT_MISMATCH,
        `verification_key.json of ${entry.name} does not match its manifest`,
        { details: { circuit: entry.name, file: "verification_key.json" } },
      );
    }
    const keyHash = verificationKeyHash(JSON.parse(keyText));
    const kind = manifest.setup.kind;
    out.push({ name: entry.name, version: localReleaseVersion(kind, keyHash), keyHash, kind });
  }
  return out;
}

/**
 * Registers every shipped release the chain does not know yet (`admin` signs as the registry's
 * owner). Returns those it registered.
 */
export async function registerShippedReleases(
  admin: RootRegistry,
  root = ARTIFACTS_DIR,
): Promise<ShippedRelease[]> {
  const registered: ShippedRelease[] = [];
  for (const release of await shippedReleases(root)) {
    if (await admin.lookupRelease(release.keyHash)) continue;
    await admin.registerRelease(release.name, release.version, release.keyHash, release.kind);
    registered.push(release);
  }
  return registered;
}
