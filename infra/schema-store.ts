/**
 * The operator's own record schemas, kept in the data folder (`<data>/schemas/<id>.json`).
 *
 * The core reads no disk: `core/schema.ts` knows the shipped schemas and whatever is registered
 * with `registerSchema`. This module is the disk side: it stores a validated document (`crossproof
 * schemas add`) and registers every stored one at start, so that the issuer's import, the prover
 * and the verifier's policies of a process all find an operator's schema by id.
 */
import { link, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { builtInSchemas, parseSchema, registerSchema, type Schema } from "../core/schema.js";
import { temporaryPathFor } from "./files.js";
import { customSchemasDir } from "./paths.js";

/** A schema document read from `file`: JSON, else `INVALID_SCHEMA` naming the file. */
async function readSchemaFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CrossproofError(ErrorCode.USAGE, `cannot read ${file}`, {
      details: { file },
      cause: err,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CrossproofError(ErrorCode.INVALID_SCHEMA, `${file} is not JSON`, {
      details: { file, field: "" },
      cause: err,
    });
  }
}

/** `parseSchema`, with the file named in the message and the details of a refusal. */
function parseSchemaFile(file: string, json: unknown): Schema {
  try {
    return parseSchema(json);
  } catch (err) {
    if (err instanceof CrossproofError && err.code === ErrorCode.INVALID_SCHEMA) {
      throw new CrossproofError(err.code, `${file}: ${err.message}`, {
        details: { file, ...err.details },
      });
    }
    throw err;
  }
}

/**
 * Registers every schema stored in `root`'s schemas folder (none when it does not exist) and
 * returns them. A stored file that is malformed, or whose name is not its id, stops the start
 * with `INVALID_SCHEMA` naming it: a process must not run without a schema its records use.
 */
export async function loadStoredSchemas(root?: string): Promise<Schema[]> {
  const dir = customSchemasDir(root);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const loaded: Schema[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const schema = parseSchemaFile(file, await readSchemaFile(file));
    if (`${schema.id}.json` !== name) {
      throw new CrossproofError(ErrorCode.INVALID_SCHEMA, `${file} declares id "${schema.id}"`, {
        details: { file, field: "id" },
      });
    }
    loaded.push(registerSchema(schema.document));
  }
  return loaded;
}

/** What {@link addSchemaFile} did. */
export interface AddedSchema {
  readonly schema: Schema;
  /** Where it is stored. */
  readonly path: string;
  /** False when this very document was already stored (adding it again changes nothing). */
  readonly added: boolean;
}

/**
 * Validates an operator's schema file, refuses an id that is a shipped schema's or a different
 * stored document's (`SCHEMA_CONFLICT`), stores it in `root`'s schemas folder and registers it.
 * The file appears whole or not at all, and two adds racing for one id cannot both win: the
 * document is written to a temporary file, then hard-linked to its name, which fails if taken.
 */
export async function addSchemaFile(file: string, root?: string): Promise<AddedSchema> {
  const schema = parseSchemaFile(file, await readSchemaFile(file));
  if (builtInSchemas().has(schema.id)) {
    throw new CrossproofError(
      ErrorCode.SCHEMA_CONFLICT,
      `"${schema.id}" is a shipped schema: give yours another id`,
      { details: { schema: schema.id } },
    );
  }
  const dir = customSchemasDir(root);
  const path = join(dir, `${schema.id}.json`);
  await mkdir(dir, { recursive: true });
  const tmp = temporaryPathFor(path);
  try {
    await writeFile(tmp, `${JSON.stringify(schema.document, null, 2)}\n`);
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const stored = parseSchemaFile(path, await readSchemaFile(path));
    if (stored.schemaId !== schema.schemaId) {
      throw new CrossproofError(
        ErrorCode.SCHEMA_CONFLICT,
        `a different schema "${schema.id}" is already stored in ${path}: a changed schema needs a new id`,
        {
          details: {
            schema: schema.id,
            stored: stored.schemaId.toString(),
            given: schema.schemaId.toString(),
          },
        },
      );
    }
    return { schema: registerSchema(stored.document), path, added: false };
  } finally {
    await rm(tmp, { force: true });
  }
  return { schema: registerSchema(schema.document), path, added: true };
}
