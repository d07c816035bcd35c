/**
 * What every crossproof API's wire format shares: the one pattern of a field element in decimal,
 * ids, times, addresses, the error body, the batch limit, and how a body is parsed.
 */
import { z } from "zod";
import { CrossproofError, ErrorCode } from "../errors.js";
import { DECIMAL_PATTERN, isFieldElement } from "../field.js";
import type { Groth16Proof } from "../proof.js";
import { firstIssue, issueList } from "../validation.js";

export { DECIMAL_PATTERN };

/** Ids of challenges, receipts and records: 1–128 URL- and log-safe characters. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Most items in one batch request, on every batch endpoint. */
export const MAX_BATCH = 64;

/** A field element as the wire carries it: a decimal string (read as text). */
export const decimalString = z
  .string()
  .regex(DECIMAL_PATTERN, "a decimal integer")
  .describe("A field element, decimal");

/** A field element read from the wire: a decimal string below r, as a bigint. */
export const fieldElement = z
  .string()
  .regex(DECIMAL_PATTERN, "a decimal integer")
  .transform((s) => BigInt(s))
  .refine(isFieldElement, "below the field order r");

/** An id (challenge, receipt, record). */
export const id = z.string().regex(ID_PATTERN, "1–128 characters: letters, digits and . _ : -");

/** A time, ISO 8601. */
export const time = z.iso.datetime();

/** An EVM address (0x and 40 hex digits). */
export const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "an EVM address (0x and 40 hex digits)");

/**
 * What the holder's prover returns and the verifier checks: the challenge id, the Groth16 proof
 * and its public signals, and nothing else of the record.
 */
export interface Presentation {
  readonly challengeId: string;
  readonly proof: Groth16Proof;
  readonly publicSignals: readonly string[];
  /**
   * The version of the `query` release the proof was made with, during a key rotation when it is
   * not the verifier's loaded one (left out otherwise).
   */
  readonly release?: string;
}

/** Every error answer: `{error: {code, message, details}}` with a stable code. */
export const errorResponse = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
});

/** Parse a request body with `schema`, or `INVALID_REQUEST` naming the first problem. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new CrossproofError(
      ErrorCode.INVALID_REQUEST,
      `invalid request: ${firstIssue(parsed.error)}`,
      { details: { issues: issueList(parsed.error) } },
    );
  }
  return parsed.data;
}

/**
 * Parse a request's query parameters with `schema` (an object of strings), or `INVALID_REQUEST`
 * naming the first problem; a parameter given twice is refused.
 */
export function parseQuery<T extends z.ZodType>(
  schema: T,
  query: Readonly<Record<string, string | readonly string[] | undefined>>,
): z.output<T> {
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) {
      throw new CrossproofError(
        ErrorCode.INVALID_REQUEST,
        `invalid request: the query parameter ${name} is given more than once`,
        { details: { issues: [{ path: name, message: "given more than once" }] } },
      );
    }
  }
  return parseBody(schema, { ...query });
}
