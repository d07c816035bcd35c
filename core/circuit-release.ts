/**
 * Circuit releases as the chain registers them: a circuit name, a version, the hash of its
 * verification key and a kind. A verifier accepts a proof only under a release its chain has
 * registered and not retired (past its grace period), and a policy may narrow that to some
 * versions. The key hash is defined here once, so the chain, the verifier and the CLI agree.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import canonicalize from "canonicalize";

/** What a release's key came from (`uint8` 0, 1, 2 on chain). */
export const RELEASE_KINDS = ["development", "production", "external"] as const;

/** The kind of a circuit release. */
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

/** A circuit name: what `/v1/circuits/{name}` and the registry use. */
export const CIRCUIT_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** A release version: a short token such as `1.2.0` or `dev-0a1b2c3d4e5f`. */
export const RELEASE_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/** A 32-byte hash as 0x-prefixed lowercase hex. */
export type KeyHash = `0x${string}`;

/** A 32-byte hash, 0x-prefixed, lowercase. */
export const KEY_HASH_PATTERN = /^0x[0-9a-f]{64}$/;

/**
 * The hash of a verification key: sha256 of its RFC 8785 canonical JSON, so the same key hashes
 * the same whatever its file's formatting (an external key arrives as anyone's JSON).
 */
export function verificationKeyHash(key: unknown): KeyHash {
  const canonical = canonicalize(key);
  if (canonical === undefined) throw new TypeError("a verification key must be JSON");
  return `0x${bytesToHex(sha256(new TextEncoder().encode(canonical)))}`;
}

/**
 * The version the local deployment registers a committed release under: its kind's prefix and
 * the first 12 hex digits of its key hash, so a new key is a new version and never collides.
 */
export function localReleaseVersion(kind: ReleaseKind, keyHash: KeyHash): string {
  return `${kind === "development" ? "dev" : "v"}-${keyHash.slice(2, 14)}`;
}

/**
 * Which releases of the `query` circuit a policy accepts: named versions, a half-open range of
 * dotted numeric versions (`from` ≤ v < `below`), or both (either one matching is enough).
 * No selector: every registered, unretired release whose key the verifier holds.
 */
export interface ReleaseSelector {
  readonly versions?: readonly string[] | undefined;
  readonly range?:
    | { readonly from?: string | undefined; readonly below?: string | undefined }
    | undefined;
}

/** A dotted numeric version's parts (`1.10.2` → [1, 10, 2]); null for any other version. */
export function numericVersion(version: string): number[] | null {
  const core = version.split(/[+-]/, 1)[0] ?? "";
  if (!/^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$/.test(core) || core !== version) return null;
  return core.split(".").map(Number);
}

/** Orders dotted numeric versions; missing parts count as 0 (`1.2` = `1.2.0`). */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether a selector accepts `version` (no selector accepts every version). */
export function selectorAccepts(selector: ReleaseSelector | undefined, version: string): boolean {
  if (!selector) return true;
  if (selector.versions?.includes(version)) return true;
  const range = selector.range;
  if (!range) return false;
  const v = numericVersion(version);
  if (!v) return false;
  const from = range.from === undefined ? null : numericVersion(range.from);
  const below = range.below === undefined ? null : numericVersion(range.below);
  return (!from || compareVersions(v, from) >= 0) && (!below || compareVersions(v, below) < 0);
}
