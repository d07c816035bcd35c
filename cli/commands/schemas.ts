/**
 * `crossproof schemas [list | show ID | add FILE]`: the shipped record schemas and the
 * operator's own, stored in the data folder (registered at every command's start by cli/main.ts);
 * and `crossproof policies`: a sample verifier policy for each shipped schema.
 */
import { parseArgs } from "node:util";
import { loadCircuitInstances } from "../../circuits/instances.js";
import { allSchemas, builtInSchemas, getSchema, type Schema } from "../../core/schema.js";
import { SAMPLE_POLICIES } from "../../deploy/sample-policies.js";
import { addSchemaFile } from "../../infra/schema-store.js";
import { parsePolicyDefinition } from "../../verifier/policy.js";
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

/** The predicate slots (K) of the `query` release, which every sample must fit. */
function querySlots(): number {
  const query = loadCircuitInstances().find((c) => c.name === "query");
  const k = query?.params[1];
  if (k === undefined) throw new TypeError("circuits.json has no query instance");
  return k;
}

/** `crossproof policies [sample ID --issuer ADDRESS… [--linked-issuer ADDRESS…]]`. */
export function runPolicies(args: string[], json: boolean): void {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      issuer: { type: "string", multiple: true },
      "linked-issuer": { type: "string", multiple: true },
    },
    strict: true,
  });
  const [sub, ...rest] = positionals;
  if (sub === undefined) {
    const rows = [...SAMPLE_POLICIES.values()].map((p) => {
      const { description } = p.definition([]) as { description?: string };
      return {
        id: p.id,
        schema: p.schema,
        ...(p.linkedSchemas?.length ? { linkedSchemas: [...p.linkedSchemas] } : {}),
        description: description ?? "",
      };
    });
    if (json) printJson(rows);
    else
      for (const r of rows) {
        const schemas = [r.schema, ...(r.linkedSchemas ?? [])].join(" + ");
        process.stdout.write(`${r.id} (${schemas})\n  ${r.description}\n`);
      }
    return;
  }
  if (sub !== "sample") usageError(`unknown policies command "${sub}"; one of: sample`);
  if (rest.length !== 1)
    usageError("give exactly one sample policy ID (see `crossproof policies`)");
  const policy = SAMPLE_POLICIES.get(rest[0] as string);
  if (!policy) {
    usageError(`no sample policy "${rest[0]}": one of ${[...SAMPLE_POLICIES.keys()].join(", ")}`);
  }
  if (!values.issuer?.length)
    usageError("--issuer ADDRESS is required (the issuer's chain address)");
  const linked = values["linked-issuer"];
  if (linked?.length && !policy.linkedSchemas?.length)
    usageError(`--linked-issuer is for a policy with linked records, and ${policy.id} has none`);
  // Checked as the verifier will check it, so what is printed is accepted when posted. Its
  // linked records accept --linked-issuer's roots (default: --issuer's).
  const definition = policy.definition(
    values.issuer,
    linked?.length ? (policy.linkedSchemas ?? []).map(() => linked) : undefined,
  );
  parsePolicyDefinition(definition, querySlots());
  printJson(definition);
}
