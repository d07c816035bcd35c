/**
 * Record schemas: the ordered field slots of a kind of record, their types and encodings, and
 * the `schemaId` that commitments and proofs are bound to.
 */
import canonicalize from "canonicalize";
import { z } from "zod";
import corporateCreditV1 from "../schemas/corporate-credit-v1.json" with { type: "json" };
import creditReportV1 from "../schemas/credit-report-v1.json" with { type: "json" };
import medicalClaimV1 from "../schemas/medical-claim-v1.json" with { type: "json" };
import residencyV1 from "../schemas/residency-v1.json" with { type: "json" };
import { CrossproofError, ErrorCode } from "./errors.js";
import { hashBytesToField } from "./field.js";
import { firstIssue, issueList } from "./validation.js";

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
    id: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]{0,63}$/,
        "lower-case letters, digits and hyphens, starting with a letter or digit, at most 64 characters",
      ),
    title: z.string().min(1),
    description,
    fields: z.array(fieldSchema).min(1).max(SLOT_COUNT, `at most ${SLOT_COUNT} fields (slots)`),
  })
  .superRefine((s, ctx) => {
    // The issue names the repeated field itself, so an operator finds it in a long file.
    const seen = new Set<string>();
    s.fields.forEach((f, i) => {
      if (seen.has(f.name)) {
        ctx.addIssue({
          code: "custom",
          message: `duplicate field name "${f.name}"`,
          path: ["fields", i, "name"],
        });
      }
      seen.add(f.name);
    });
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

/**
 * Validate a parsed schema document and derive its id; `INVALID_SCHEMA` on any fault, with the
 * first offending path in the message (`fields.3.codes: at least one code`), that path in
 * `details.field` and every issue in `details.issues`.
 */
export function parseSchema(json: unknown): Schema {
  const parsed = schemaDocument.safeParse(json);
  if (!parsed.success) {
    throw new CrossproofError(
      ErrorCode.INVALID_SCHEMA,
      `invalid schema document: ${firstIssue(parsed.error)}`,
      {
        details: {
          field: parsed.error.issues[0]?.path.join(".") ?? "",
          issues: issueList(parsed.error),
        },
      },
    );
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
  "medical-claim-v1.json": medicalClaimV1,
  "residency-v1.json": residencyV1,
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

/**
 * Schemas an operator added at run time (`crossproof schemas add`), by id. The core reads no
 * disk: the composition root loads the stored documents and registers them here at start, so
 * the issuer's import, the prover and the verifier's policies all find them by id.
 */
const registered = new Map<string, Schema>();

/**
 * Register an operator's schema document for {@link getSchema}: validated as a shipped one
 * (`INVALID_SCHEMA`), refused with `SCHEMA_CONFLICT` when its id is a shipped schema's or one
 * registered with a different document (a published schema is immutable). Registering the same
 * document again is a no-op.
 */
export function registerSchema(document: unknown): Schema {
  const schema = parseSchema(document);
  if (builtInSchemas().has(schema.id)) {
    throw new CrossproofError(
      ErrorCode.SCHEMA_CONFLICT,
      `"${schema.id}" is a shipped schema: give yours another id`,
      { details: { schema: schema.id } },
    );
  }
  const existing = registered.get(schema.id);
  if (existing) {
    if (existing.schemaId === schema.schemaId) return existing;
    throw new CrossproofError(
      ErrorCode.SCHEMA_CONFLICT,
      `a different schema "${schema.id}" is already registered: a changed schema needs a new id`,
      {
        details: {
          schema: schema.id,
          registered: existing.schemaId.toString(),
          given: schema.schemaId.toString(),
        },
      },
    );
  }
  registered.set(schema.id, schema);
  return schema;
}

/** Every known schema, shipped ones first, then those registered at run time. */
export function allSchemas(): readonly Schema[] {
  return [...builtInSchemas().values(), ...registered.values()];
}

/** A shipped or registered schema by id; `UNKNOWN_SCHEMA` when there is none. */
export function getSchema(id: string): Schema {
  const schema = builtInSchemas().get(id) ?? registered.get(id);
  if (!schema) {
    throw new CrossproofError(ErrorCode.UNKNOWN_SCHEMA, `no schema "${id}"`, {
      details: { schema: id, known: allSchemas().map((s) => s.id) },
    });
  }
  return schema;
}
