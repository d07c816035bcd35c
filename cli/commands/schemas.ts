/**
 * `crossproof schemas [list | show ID | add FILE]`: the shipped record schemas and the
 * operator's own, stored in the data folder (registered at every command's start by cli/main.ts).
 */
import { parseArgs } from "node:util";
import { allSchemas, builtInSchemas, getSchema, type Schema } from "../../core/schema.js";
import { addSchemaFile } from "../../infra/schema-store.js";
import { printJson, usageError } from "../output.js";

function summary(s: Schema): {
  id: string;
  schemaId: string;
  title: string;
  origin: "shipped" | "added";
  fields: string[];
} {
  return {
    id: s.id,
    schemaId: s.schemaId.toString(),
    title: s.document.title,
    origin: builtInSchemas().has(s.id) ? "shipped" : "added",
    fields: s.fields.map((f) => `${f.name}:${f.type}/${f.encoding}`),
  };
}

function printSchema(s: Schema): void {
  const r = summary(s);
  process.stdout.write(`${r.id} — ${r.title}${r.origin === "added" ? " (added)" : ""}\n`);
  process.stdout.write(`  schemaId ${r.schemaId}\n`);
  r.fields.forEach((f, i) => {
    process.stdout.write(`  slot ${String(i).padStart(2)}  ${f}\n`);
  });
}

/** `crossproof schemas …`; no subcommand lists them, as before subcommands existed. */
export async function runSchemas(args: string[], json: boolean): Promise<void> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {}, strict: true });
  const [sub = "list", ...rest] = positionals;
  switch (sub) {
    case "list": {
      if (rest.length > 0) usageError("`schemas list` takes no argument");
      const schemas = allSchemas();
      if (json) printJson(schemas.map(summary));
      else for (const s of schemas) printSchema(s);
      return;
    }
    case "show": {
      if (rest.length !== 1) usageError("give exactly one schema ID");
      const schema = getSchema(rest[0] as string);
      if (json) {
        printJson({ ...summary(schema), document: schema.document });
        return;
      }
      printSchema(schema);
      schema.fields.forEach((f, i) => {
        const codes = f.encoding === "code" ? ` codes ${JSON.stringify(f.codes)}` : "";
        process.stdout.write(`  ${String(i).padStart(2)} ${f.name}: ${f.description}${codes}\n`);
      });
      return;
    }
    case "add": {
      if (rest.length !== 1) usageError("give exactly one schema FILE (JSON)");
      const { schema, path, added } = await addSchemaFile(rest[0] as string);
      if (json) {
        printJson({ ...summary(schema), path, added });
        return;
      }
      process.stdout.write(
        added
          ? `added ${schema.id} (schemaId ${schema.schemaId}) in ${path}: \`crossproof issuer import --schema ${schema.id}\` commits records of it\n`
          : `${schema.id} is already added, with the same document (schemaId ${schema.schemaId})\n`,
      );
      return;
    }
    default:
      usageError(`unknown schemas command "${sub}"; one of: list, show, add`);
  }
}
