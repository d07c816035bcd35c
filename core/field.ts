/**
 * Field elements of BN254's scalar field, the values every circuit signal takes.
 * Inside the program they are `bigint`; on the wire, decimal strings. Hashing is
 * @noble/hashes' audited SHA-256, so this module (and the client SDK over it) runs in browsers.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { ErrorCode, RecordValidationError } from "./errors.js";

/** r, the order of BN254's scalar field (the "SNARK scalar field"). */
export const FIELD_ORDER =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** 2^64: `uint` values and comparison operands lie in [0, 2^64). */
export const UINT64_LIMIT = 1n << 64n;

/**
 * A uniform 248-bit value from the OS CSPRNG (Web Crypto's `getRandomValues`, in Node.js and
 * in browsers alike): below r with no reduction (salts, challenges).
 */
export function randomFieldElement(): bigint {
  return BigInt(`0x${bytesToHex(globalThis.crypto.getRandomValues(new Uint8Array(31)))}`);
}

/** Whether `v` is a canonical field element, in [0, r). */
export function isFieldElement(v: bigint): boolean {
  return v >= 0n && v < FIELD_ORDER;
}

/**
 * A non-negative integer in decimal as the wire carries field elements: no sign, no leading
 * zeros, at most 78 digits (r has 77). The one such pattern of crossproof.
 */
export const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,77})$/;
const DECIMAL = DECIMAL_PATTERN;

/**
 * Parse a canonical field element from a decimal string (no sign, no leading zeros, < r).
 * `what` names the value in the error.
 */
export function parseFieldElement(text: string, what = "value"): bigint {
  if (!DECIMAL.test(text) || text.length > 80) {
    throw new RecordValidationError(
      ErrorCode.INVALID_FIELD_ELEMENT,
      what,
      "must be a decimal integer without sign or leading zeros",
    );
  }
  const v = BigInt(text);
  if (v >= FIELD_ORDER) {
    throw new RecordValidationError(
      ErrorCode.INVALID_FIELD_ELEMENT,
      what,
      "must be less than the field order r",
    );
  }
  return v;
}

/**
 * The one rule that maps bytes to a field element: the top 248 bits of their sha256,
 * `sha256(bytes) >> 8`. 248 bits fit below r without reduction, so the map has no bias.
 */
export function hashBytesToField(bytes: Uint8Array): bigint {
  return BigInt(`0x${bytesToHex(sha256(bytes))}`) >> 8n;
}

/** A sha256 digest given as 64 hex characters, mapped to the field by the same rule. */
export function digestToField(hex: string): bigint {
  return BigInt(`0x${hex}`) >> 8n;
}

/**
 * Strings to field elements: the UTF-8 bytes of the string in Unicode NFC form, hashed by
 * {@link hashBytesToField}. NFC makes visually identical names hash alike.
 */
export function textToField(text: string): bigint {
  return hashBytesToField(new TextEncoder().encode(text.normalize("NFC")));
}

/**
 * The fingerprint of a document, as a `sha256` schema field holds it: the document's sha256 (hex)
 * and that digest mapped to the field. A verifier holding a copy of the document computes this
 * and asks for EQ on the fingerprint slot, which proves the copy authentic.
 */
export function documentFingerprint(bytes: Uint8Array): { sha256: string; field: bigint } {
  const digest = bytesToHex(sha256(bytes));
  return { sha256: digest, field: digestToField(digest) };
}
