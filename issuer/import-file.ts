/**
 * Reading an issuer's import file (CSV with a header row, or JSON Lines) into records, every
 * row validated against the schema before anything is stored. A bad row is reported with its
 * line number, the field and the reason; the caller imports nothing unless every row is good.
 *
 * Each row carries a `recordId` (the issuer's own identifier for the record, used later to ask
 * for a proof) and the schema's fields. In CSV, cells are text: integers are decimal digits,
 * booleans `true`/`false`, and an empty cell is a missing field.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { parse } from "csv-parse";
import { CrossproofError, ErrorCode, RecordValidationError } from "../core/errors.js";
import { encodeRecord, type RecordInput, type Slots } from "../core/record.js";
import type { Schema } from "../core/schema.js";
import { MALFORMED_JSON, readJsonLines } from "../infra/files.js";

/** The column holding each record's identifier. */
export const RECORD_ID_FIELD = "recordId";

/** Identifiers: 1–128 characters from a conservative set, so they are safe in URLs and logs. */
const RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** A row that passed validation. */
export interface ImportedRow {
  readonly line: number;
  readonly recordId: string;
  readonly slots: Slots;
}

/** One problem in an import file. */
export interface ImportProblem {
  readonly line: number;
  readonly field: string;
  readonly code: string;
  readonly reason: string;
}

/** Most problems listed in one error (the count says how many there were in all). */
const MAX_PROBLEMS = 20;

/** File formats, by extension: `.csv`, `.jsonl` / `.ndjson`. */
export type ImportFormat = "csv" | "jsonl";

/** The format of `file` from its extension, or `USAGE` for anything else. */
export function importFormat(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  throw new CrossproofError(
    ErrorCode.USAGE,
    `cannot tell the format of ${file}: use a .csv or .jsonl file`,
  );
}

/** Whether `id` is an acceptable record identifier. */
export function isRecordId(id: unknown): id is string {
  return typeof id === "string" && RECORD_ID.test(id);
}

/** Turns a CSV row (all text) into the JSON types the schema's encodings expect. */
function typedCsvRow(schema: Schema, row: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, cell] of Object.entries(row)) {
    if (cell === "") continue; // an empty cell is a missing field
    const field = schema.fields.find((f) => f.name === key);
    if (field?.encoding === "boolean" && (cell === "true" || cell === "false")) {
      out[key] = cell === "true";
    } else {
      out[key] = cell; // integers stay decimal text: the encoder accepts and range-checks it
    }
  }
  return out;
}

/** A structurally broken CSV row (wrong cell count, bad quoting): skipped and reported. */
const BROKEN_CSV_ROW: unique symbol = Symbol("broken CSV row");

/**
 * The rows of a CSV file with a header. A row csv-parse cannot read (a wrong number of cells,
 * bad quoting) is yielded as {@link BROKEN_CSV_ROW} with csv-parse's reason, and reading goes
 * on, so that every bad row is reported as JSON Lines' are.
 */
async function* csvRows(
  file: string,
): AsyncGenerator<{ line: number; value: unknown; reason?: string }> {
  const skipped: { line: number; reason: string }[] = [];
  const parser = createReadStream(file).pipe(
    parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      skip_records_with_error: true,
    }),
  );
  parser.on("skip", (err: { message: string; lines?: number }) => {
    skipped.push({ line: err.lines ?? 0, reason: err.message });
  });
  // csv-parse reads ahead: a skipped row can be reported before records above it are yielded.
  const drain = function* (before: number) {
    skipped.sort((a, b) => a.line - b.line);
    while (skipped.length > 0 && (skipped[0] as { line: number }).line < before) {
      const s = skipped.shift() as { line: number; reason: string };
      yield { line: s.line, value: BROKEN_CSV_ROW, reason: s.reason };
    }
  };
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    yield* drain(info.lines);
    yield { line: info.lines, value: record };
  }
  yield* drain(Number.POSITIVE_INFINITY);
}

/** Options of `readImportFile`. */
export interface ReadImportOptions {
  /** Called now and then with the bytes read so far and the file's size (for a progress bar). */
  readonly onProgress?: (rowsRead: number) => void;
}

/**
 * Reads and validates every row of `file` against `schema`. Returns the rows when all are good;
 * otherwise throws `IMPORT_INVALID` whose message names the first bad row's line, field and
 * reason, with up to 20 problems in `details.problems` and their count in `details.count`.
 * Duplicate record ids (within the file) are problems too.
 */
export async function readImportFile(
  file: string,
  schema: Schema,
  options: ReadImportOptions = {},
): Promise<ImportedRow[]> {
  const format = importFormat(file);
  try {
    await stat(file);
  } catch (err) {
    throw new CrossproofError(ErrorCode.USAGE, `cannot read ${file}`, { cause: err });
  }
  const rows: ImportedRow[] = [];
  const problems: ImportProblem[] = [];
  let count = 0;
  const seen = new Map<string, number>();
  const problem = (line: number, field: string, code: string, reason: string): void => {
    count++;
    if (problems.length < MAX_PROBLEMS) problems.push({ line, field, code, reason });
  };
  let read = 0;
  try {
    for await (const row of format === "csv" ? csvRows(file) : readJsonLines(file)) {
      const { line, value } = row;
      read++;
      if (read % 1000 === 0) options.onProgress?.(read);
      if (value === BROKEN_CSV_ROW) {
        problem(
          line,
          "(row)",
          ErrorCode.WRONG_TYPE,
          `is not a valid CSV row: ${"reason" in row ? row.reason : "unreadable"}`,
        );
        continue;
      }
      if (value === MALFORMED_JSON) {
        problem(line, "(row)", ErrorCode.WRONG_TYPE, "is not valid JSON");
        continue;
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        problem(line, "(row)", ErrorCode.WRONG_TYPE, "must be a JSON object");
        continue;
      }
      const { [RECORD_ID_FIELD]: recordId, ...fields } = value as Record<string, unknown>;
      if (!isRecordId(recordId)) {
        problem(
          line,
          RECORD_ID_FIELD,
          recordId === undefined || recordId === ""
            ? ErrorCode.MISSING_FIELD
            : ErrorCode.WRONG_TYPE,
          recordId === undefined || recordId === ""
            ? "is required"
            : "must be 1–128 characters: letters, digits and . _ : - (not first)",
        );
        continue;
      }
      const earlier = seen.get(recordId);
      if (earlier !== undefined) {
        problem(line, RECORD_ID_FIELD, "DUPLICATE_RECORD", `repeats line ${earlier}`);
        continue;
      }
      seen.set(recordId, line);
      try {
        const record: RecordInput =
          format === "csv" ? typedCsvRow(schema, fields as Record<string, string>) : fields;
        rows.push({ line, recordId, slots: encodeRecord(schema, record) });
      } catch (err) {
        if (!(err instanceof RecordValidationError)) throw err;
        problem(line, err.field, err.code, err.message.slice(err.field.length + 2));
      }
    }
  } catch (err) {
    if (err instanceof CrossproofError) throw err;
    // csv-parse refuses structurally broken CSV (wrong column count, bad quoting)
    const e = err as { message?: string; lines?: number };
    throw new CrossproofError(
      ErrorCode.IMPORT_INVALID,
      `${file}: line ${e.lines ?? "?"}: ${e.message ?? "unreadable"}; nothing was imported`,
      { details: { file, line: e.lines ?? null } },
    );
  }
  options.onProgress?.(read);
  const first = problems[0];
  if (first) {
    throw new CrossproofError(
      ErrorCode.IMPORT_INVALID,
      `${file}: line ${first.line}: ${first.field}: ${first.reason}${count > 1 ? ` (and ${count - 1} more problems)` : ""}; nothing was imported`,
      { details: { file, count, problems } },
    );
  }
  if (rows.length === 0) {
    throw new CrossproofError(ErrorCode.IMPORT_INVALID, `${file} holds no records`, {
      details: { file, count: 0, problems: [] },
    });
  }
  return rows;
}
