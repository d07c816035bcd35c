/**
 * Record encoding: a record as an institution writes it (JSON values by field name) becomes the
 * 16 field-element slots that are committed and proven about.
 *
 * Encodings, by the field's `encoding` in its schema:
 * - `integer`: a JSON integer or a decimal string, in [0, 2^64);
 * - `date`: `YYYY-MM-DD`, a real calendar date from 1970-01-01 on, as days since 1970-01-01;
 * - `boolean`: `true` → 1, `false` → 0;
 * - `code`: one of the field's code names, as its number;
 * - `text` (hash): the string, NFC-normalised, UTF-8, sha256, top 248 bits;
 * - `sha256` (hash): a 64-hex-character digest, top 248 bits.
 */
import { ErrorCode, RecordValidationError } from "./errors.js";
import { digestToField, textToField, UINT64_LIMIT } from "./field.js";
import { type FieldDefinition, type Schema, SLOT_COUNT } from "./schema.js";

/** A record as given: field name → JSON value. */
export type RecordInput = Readonly<Record<string, unknown>>;

/** An encoded record: exactly {@link SLOT_COUNT} slots, unused ones 0. */
export type Slots = readonly bigint[];

/** Milliseconds in a day: dates are encoded as whole UTC days since 1970-01-01. */
export const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function encodeInteger(name: string, value: unknown): bigint {
  let v: bigint;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new RecordValidationError(ErrorCode.WRONG_TYPE, name, "must be an integer");
    }
    if (!Number.isSafeInteger(value)) {
      throw new RecordValidationError(
        ErrorCode.WRONG_TYPE,
        name,
        "is beyond 2^53: give it as a decimal string",
      );
    }
    v = BigInt(value);
  } else if (typeof value === "bigint") {
    v = value;
  } else if (typeof value === "string" && /^-?[0-9]+$/.test(value)) {
    if (value.startsWith("-")) {
      throw new RecordValidationError(ErrorCode.OUT_OF_RANGE, name, "must not be negative");
    }
    if (!DECIMAL.test(value)) {
      throw new RecordValidationError(
        ErrorCode.OUT_OF_RANGE,
        name,
        "must be a decimal integer below 2^64 without leading zeros",
      );
    }
    v = BigInt(value);
  } else {
    throw new RecordValidationError(
      ErrorCode.WRONG_TYPE,
      name,
      `must be an integer, not ${describe(value)}`,
    );
  }
  if (v < 0n) throw new RecordValidationError(ErrorCode.OUT_OF_RANGE, name, "must not be negative");
  if (v >= UINT64_LIMIT) {
    throw new RecordValidationError(ErrorCode.OUT_OF_RANGE, name, "must be less than 2^64");
  }
  return v;
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` date; `INVALID_DATE` for anything else. */
export function encodeDate(name: string, value: unknown): bigint {
  if (typeof value !== "string") {
    throw new RecordValidationError(
      ErrorCode.WRONG_TYPE,
      name,
      `must be a date string YYYY-MM-DD, not ${describe(value)}`,
    );
  }
  const m = DATE.exec(value);
  if (!m) throw new RecordValidationError(ErrorCode.INVALID_DATE, name, "must be YYYY-MM-DD");
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day
  ) {
    throw new RecordValidationError(
      ErrorCode.INVALID_DATE,
      name,
      `${value} is not a calendar date`,
    );
  }
  if (ms < 0) {
    throw new RecordValidationError(ErrorCode.INVALID_DATE, name, "must be 1970-01-01 or later");
  }
  return BigInt(ms / DAY_MS);
}

/** The day number (days since 1970-01-01, UTC) of an instant. */
export function dayNumber(date: Date): bigint {
  return BigInt(Math.floor(date.getTime() / DAY_MS));
}

/** The `YYYY-MM-DD` date of a day number (inverse of {@link encodeDate}). */
export function decodeDate(days: bigint): string {
  return new Date(Number(days) * DAY_MS).toISOString().slice(0, 10);
}

/** The name of a `code` field's value (e.g. 344 → "HK"), or undefined when none has it. */
export function codeName(field: FieldDefinition, value: bigint): string | undefined {
  if (field.encoding !== "code") return undefined;
  return Object.entries(field.codes).find(([, code]) => BigInt(code) === value)?.[0];
}

/** Encode one value of `field` into its slot value. */
export function encodeFieldValue(field: FieldDefinition, value: unknown): bigint {
  const name = field.name;
  switch (field.encoding) {
    case "integer":
      return encodeInteger(name, value);
    case "date":
      return encodeDate(name, value);
    case "boolean":
      if (typeof value !== "boolean") {
        throw new RecordValidationError(
          ErrorCode.WRONG_TYPE,
          name,
          `must be true or false, not ${describe(value)}`,
        );
      }
      return value ? 1n : 0n;
    case "code": {
      if (typeof value !== "string") {
        throw new RecordValidationError(
          ErrorCode.WRONG_TYPE,
          name,
          `must be a code string, not ${describe(value)}`,
        );
      }
      const code = Object.hasOwn(field.codes, value) ? field.codes[value] : undefined;
      if (code === undefined) {
        throw new RecordValidationError(ErrorCode.INVALID_CODE, name, `unknown code "${value}"`, {
          allowed: Object.keys(field.codes),
        });
      }
      return BigInt(code);
    }
    case "text":
      if (typeof value !== "string") {
        throw new RecordValidationError(
          ErrorCode.WRONG_TYPE,
          name,
          `must be a string, not ${describe(value)}`,
        );
      }
      if (value.length === 0) {
        throw new RecordValidationError(ErrorCode.WRONG_TYPE, name, "must not be empty");
      }
      return textToField(value);
    case "sha256":
      if (typeof value !== "string") {
        throw new RecordValidationError(
          ErrorCode.WRONG_TYPE,
          name,
          `must be a sha256 hex digest, not ${describe(value)}`,
        );
      }
      if (!HEX_DIGEST.test(value)) {
        throw new RecordValidationError(
          ErrorCode.INVALID_DIGEST,
          name,
          "must be 64 hexadecimal characters",
        );
      }
      return digestToField(value);
  }
}

/**
 * Encode a record against its schema into {@link SLOT_COUNT} slots. Every field is required;
 * an unknown field, a missing one, a wrong type or an out-of-range value is refused with a
 * {@link RecordValidationError} naming the field (the first fault in schema order).
 */
export function encodeRecord(schema: Schema, record: RecordInput): Slots {
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new RecordValidationError(ErrorCode.WRONG_TYPE, "record", "must be a JSON object");
  }
  for (const key of Object.keys(record)) {
    if (!schema.slotOf.has(key)) {
      throw new RecordValidationError(
        ErrorCode.UNKNOWN_FIELD,
        key,
        `is not a field of ${schema.id}`,
      );
    }
  }
  const slots = new Array<bigint>(SLOT_COUNT).fill(0n);
  schema.fields.forEach((field, index) => {
    if (!Object.hasOwn(record, field.name) || record[field.name] === undefined) {
      throw new RecordValidationError(ErrorCode.MISSING_FIELD, field.name, "is required");
    }
    slots[index] = encodeFieldValue(field, record[field.name]);
  });
  return slots;
}
