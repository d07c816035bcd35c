/**
 * Record schemas: the ordered field slots of a kind of record, their types and encodings, and
 * the `schemaId` that commitments and proofs are bound to.
 */
import canonicalize from "canonicalize";
import { z } from "zod";
import corporateCreditV1 from "../schemas/corporate-credit-v1.json" with { type: "json" };
import creditReportV1 from "../schemas/credit-report-v1.json" with { type: "json" };
import { CrossproofError, ErrorCode } from "./errors.js";
import { hashBytesToField } from "./field.js";

/** Number of field slots every commitment has; a schema uses the first ones, the rest are 0. */
export const SLOT_COUNT = 16;

const fieldName = z.string().regex(/^[a-z][A-Za-z0-9]{0,63}$/, "camelCase, at most 64 characters");
const description = z.string().min(1);

const fieldSchema = z.discriminatedUnion("encoding", [
  z.strictObject({
    name: fieldName,
    type: z.literal("uint"),
    encoding: z.literal("integer"),
    description,
  }),
  z.strictObject({
    name: fieldName,
    type: z.literal("uint"),
    encoding: z.literal("date"),
    description,
  }),
  z.strictObject({
    name: fieldName,
    type: z.literal("uint"),
    encoding: z.literal("boolean"),
    description,
  }),
  z.strictObject({
    name: fieldName,
    type: z.literal("uint"),
    encoding: z.literal("code"),
    codes: z
      .record(z.string().min(1), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER))
      .refine((c) => Object.keys(c).length > 0, "at least one code"),
    description,
  }),
  z.strictObject({
    name: fieldName,
    type: z.literal("hash"),
    encoding: z.literal("text"),
    description,
  }),
  z.strictObject({
    name: fieldName,
    type: z.literal("hash"),
    encoding: z.literal("sha256"),
    description,
  }),
]);

const schemaDocument = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
    title: z.string().min(1),
    description,
    fields: z.array(fieldSchema).min(1).max(SLOT_COUNT),
  })
  .refine((s) => new Set(s.fields.map((f) => f.name)).size === s.fields.length, {
    message: "field names must be unique",
    path: ["fields"],
  });

/** One field slot of a schema, as written in the schema file. */
export type FieldDefinition = z.infer<typeof fieldSchema>;

/** A schema document, as written in `schemas/<id>.json`. */
export type SchemaDocument = z.infer<typeof schemaDocument>;

/** A loaded schema: the document, its field element id, and each field's slot index. */
export interface Schema {
  readonly id: string;
  readonly document: SchemaDocument;
  /** sha256(RFC 8785 canonical JSON of the document) >> 8: any edit makes a new schema. */
  readonly schemaId: bigint;
  readonly fields: readonly FieldDefinition[];
  /** Slot index of a field by name. */
  readonly slotOf: ReadonlyMap<string, number>;
}

/**
 * The `schemaId` of a schema document: its RFC 8785 canonical JSON, hashed to the field by the
 * project's one rule ({@link hashBytesToField}). Descriptions are part of it: a published schema
 * is immutable, and a new version is a new schema.
 */
export function computeSchemaId(document: SchemaDocument): bigint {
  const canonical = canonicalize(document);
  if (canonical === undefined) throw new TypeError("schema document cannot be canonicalized");
  return hashBytesToField(new TextEncoder().encode(canonical));
}

/** Validate a parsed schema document and derive its id; `INVALID_SCHEMA` on any fault. */
export function parseSchema(json: unknown): Schema {
  const parsed = schemaDocument.safeParse(json);
  if (!parsed.success) {
    throw new CrossproofError(ErrorCode.INVALID_SCHEMA, "invalid schema document", {
      details: {
        issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      },
    });
  }
  const document = parsed.data;
  return {
    id: document.id,
    document,
    schemaId: computeSchemaId(document),
    fields: document.fields,
    slotOf: new Map(document.fields.map((f, i) => [f.name, i])),
  };
}

/**
 * The documents shipped in `schemas/`, by file name. They are imported, not read from disk, so
 * the core (and the client SDK with it) runs wherever JavaScript does, a browser included; a
 * test checks that every file of the folder is listed here.
 */
export const SHIPPED_SCHEMA_FILES: Readonly<Record<string, unknown>> = {
  "corporate-credit-v1.json": corporateCreditV1,
  "credit-report-v1.json": creditReportV1,
};

let builtIn: ReadonlyMap<string, Schema> | undefined;

/** The schemas shipped in `schemas/`, by id (parsed once). */
export function builtInSchemas(): ReadonlyMap<string, Schema> {
  if (!builtIn) {
    const loaded = new Map<string, Schema>();
    for (const [file, document] of Object.entries(SHIPPED_SCHEMA_FILES)) {
      const schema = parseSchema(document);
      if (`${schema.id}.json` !== file) {
        throw new CrossproofError(ErrorCode.INVALID_SCHEMA, `${file} declares id "${schema.id}"`);
      }
      loaded.set(schema.id, schema);
    }
    builtIn = loaded;
  }
  return builtIn;
}

/** A shipped schema by id; `UNKNOWN_SCHEMA` when there is none. */
export function getSchema(id: string): Schema {
  const schema = builtInSchemas().get(id);
  if (!schema) {
    throw new CrossproofError(ErrorCode.UNKNOWN_SCHEMA, `no schema "${id}"`, {
      details: { schema: id, known: [...builtInSchemas().keys()] },
    });
  }
  return schema;
}
