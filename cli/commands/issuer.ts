/**
 * `crossproof issuer …` (import, anchor, revoke, status) and `crossproof demo-data`: the
 * issuer's side, over the record vault in the data folder and the chain's registry.
 */
import { createWriteStream } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { stringify } from "csv-stringify/sync";
import { openChain } from "../../chain/connect.js";
import { getSchema } from "../../core/schema.js";
import { vaultPath } from "../../infra/paths.js";
import {
  type AnchorOutcome,
  anchorNewRecords,
  anchorPending,
  revokeRecord,
} from "../../issuer/anchor.js";
import { RECORD_ID_FIELD, readImportFile } from "../../issuer/import-file.js";
import { syntheticRows } from "../../issuer/synthetic.js";
import { Vault } from "../../issuer/vault.js";
import { printJson, progressBar, usageError } from "../output.js";

async function withVault<T>(work: (vault: Vault) => Promise<T>): Promise<T> {
  const vault = await Vault.open(vaultPath());
  try {
    return await work(vault);
  } finally {
    vault.close();
  }
}

function describeOutcomes(outcomes: readonly AnchorOutcome[], out: (line: string) => void): void {
  if (outcomes.length === 0) out("nothing to anchor: every record is already in an anchored root");
  for (const o of outcomes) {
    const where = o.position ? ` in block ${o.position.blockNumber}` : "";
    const what =
      o.outcome === "recovered"
        ? "was already on chain (an earlier run stopped before recording it)"
        : o.outcome === "emptied"
          ? "is empty (every record revoked): the previous root was revoked on chain"
          : `anchored${where}`;
    out(`${o.schema}: root ${o.root} (${o.size} leaves, ${o.reason}) ${what}`);
  }
}

function outcomesJson(outcomes: readonly AnchorOutcome[]): unknown {
  return outcomes.map((o) => ({
    ...o,
    root: o.root.toString(),
    position: o.position
      ? {
          blockNumber: o.position.blockNumber.toString(),
          transactionHash: o.position.transactionHash,
        }
      : null,
  }));
}

/** `crossproof issuer <import|anchor|revoke|status>`. */
export async function runIssuer(args: string[], json: boolean): Promise<void> {
  const [sub, ...rest] = args;
  const out = (line: string): void => {
    if (!json) process.stdout.write(`${line}\n`);
  };
  switch (sub) {
    case "import": {
      const { positionals, values } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { schema: { type: "string" } },
        strict: true,
      });
      if (!values.schema) usageError("--schema is required (see `crossproof schemas`)");
      if (positionals.length !== 1)
        usageError("give exactly one file: CSV (with a header) or JSON Lines");
      const file = positionals[0] as string;
      const schema = getSchema(values.schema);
      const rows = await readImportFile(file, schema);
      out(`validated ${rows.length} rows of ${file}`);
      const committing = progressBar("commit", rows.length, json);
      const result = await withVault((vault) =>
        vault.importRecords(schema, rows, basename(file), (n) => committing.update(n)),
      );
      committing.stop();
      if (json) printJson({ schema: schema.id, ...result });
      out(
        `imported ${result.imported} ${schema.id} records; \`crossproof issuer anchor\` adds them to the tree on chain`,
      );
      return;
    }
    case "anchor": {
      parseArgs({ args: rest, options: {}, strict: true });
      const outcomes = await withVault(async (vault) => {
        const chain = await openChain();
        try {
          return await anchorNewRecords(vault, chain.registry);
        } finally {
          await chain.close();
        }
      });
      if (json) printJson(outcomesJson(outcomes));
      describeOutcomes(outcomes, out);
      return;
    }
    case "revoke": {
      const { positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {},
        strict: true,
      });
      if (positionals.length !== 1) usageError("give exactly one RECORD_ID");
      const recordId = positionals[0] as string;
      const outcomes = await withVault(async (vault) => {
        const chain = await openChain();
        try {
          // A root left pending by an earlier run goes first, so the order on chain is kept.
          await anchorPending(vault, chain.registry);
          return await revokeRecord(vault, chain.registry, recordId);
        } finally {
          await chain.close();
        }
      });
      if (json) printJson({ recordId, roots: outcomesJson(outcomes) });
      out(`revoked ${recordId}`);
      describeOutcomes(outcomes, out);
      return;
    }
    case "status": {
      parseArgs({ args: rest, options: {}, strict: true });
      const status = await withVault(async (vault) => vault.status());
      if (json) {
        printJson(
          status.map((s) => ({
            ...s,
            latest: s.latest && {
              ...s.latest,
              root: s.latest.root.toString(),
              blockNumber: s.latest.blockNumber?.toString() ?? null,
            },
          })),
        );
        return;
      }
      if (status.length === 0)
        out("the vault holds no records: `crossproof issuer import` adds some");
      for (const s of status) {
        out(
          `${s.schema}: ${s.records} records, ${s.treeSize} in the tree, ${s.unanchored} waiting to be anchored, ${s.revoked} revoked`,
        );
        const l = s.latest;
        out(
          l
            ? `  latest root ${l.root} (${l.size} leaves): ${l.state}${l.anchoredAt ? ` ${l.anchoredAt.toISOString()}` : ""}${l.blockNumber !== null ? ` in block ${l.blockNumber}` : ""}`
            : "  no root yet",
        );
      }
      return;
    }
    default:
      usageError(`unknown issuer command "${sub ?? ""}"; one of: import, anchor, revoke, status`);
  }
}

/**
 * `crossproof demo-data`: synthetic records of a shipped schema (credit reports by default) with
 * record ids, as JSON Lines or CSV.
 */
export async function runDemoData(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      count: { type: "string", default: "1000" },
      seed: { type: "string", default: "1" },
      schema: { type: "string", default: "credit-report-v1" },
      format: { type: "string", default: "jsonl" },
      "as-of": { type: "string" },
      out: { type: "string" },
    },
    strict: true,
  });
  const count = Number(values.count);
  const seed = Number(values.seed);
  if (!Number.isInteger(count) || count < 1 || count > 10_000_000)
    usageError("--count must be an integer in [1, 10000000]");
  if (!Number.isSafeInteger(seed)) usageError("--seed must be an integer");
  if (values.format !== "jsonl" && values.format !== "csv")
    usageError("--format must be jsonl or csv");
  let asOf: Date | undefined;
  if (values["as-of"] !== undefined) {
    asOf = new Date(`${values["as-of"]}T00:00:00Z`);
    if (Number.isNaN(asOf.getTime())) usageError("--as-of must be a date, YYYY-MM-DD");
  }
  // getSchema first: an id nobody knows is UNKNOWN_SCHEMA (exit 64) before "no generator".
  const schema = getSchema(values.schema);
  const rows = syntheticRows(schema.id, { count, seed, ...(asOf ? { asOf } : {}) });
  const columns = [RECORD_ID_FIELD, ...schema.fields.map((f) => f.name)];
  // csv-stringify writes booleans as "1" and "": the import reads `true` and `false`.
  const cast = { boolean: (v: boolean) => String(v) };
  function* lines(): Generator<string> {
    if (values.format === "csv") yield stringify([], { header: true, columns });
    for (const row of rows) {
      yield values.format === "csv"
        ? stringify([row], { columns, cast })
        : `${JSON.stringify(row)}\n`;
    }
  }
  const sink = values.out ? createWriteStream(values.out) : process.stdout;
  await pipeline(Readable.from(lines()), sink, { end: values.out !== undefined }).catch(
    (err: NodeJS.ErrnoException) => {
      // `crossproof demo-data | head`: the reader has what it wanted
      if (err.code !== "EPIPE") throw err;
    },
  );
}
