import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CrossproofError } from "../../core/errors.js";
import { getSchema } from "../../core/schema.js";
import { vaultPath } from "../../infra/paths.js";
import { readImportFile } from "../../issuer/import-file.js";
import { Vault } from "../../issuer/vault.js";
import { BIN, cliEnv, crossproof, crossproofOk } from "../helpers/cli.js";
import { caught } from "../helpers/errors.js";

const schema = getSchema("credit-report-v1");

function problems(file: string): Promise<CrossproofError> {
  return caught(readImportFile(file, schema));
}

describe("importing records into the vault", () => {
  let dir: string;
  let good: string[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "crossproof-import-"));
    good = (await crossproofOk({}, "demo-data", "--count", "20", "--seed", "9")).trim().split("\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads CSV and JSON Lines into the same encoded records", async () => {
    const jsonl = join(dir, "a.jsonl");
    const csv = join(dir, "a.csv");
    await writeFile(jsonl, `${good.join("\n")}\n`);
    await writeFile(
      csv,
      await crossproofOk({}, "demo-data", "--count", "20", "--seed", "9", "--format", "csv"),
    );
    const fromJsonl = await readImportFile(jsonl, schema);
    const fromCsv = await readImportFile(csv, schema);
    expect(fromJsonl).toHaveLength(20);
    expect(fromCsv.map((r) => [r.recordId, r.slots])).toEqual(
      fromJsonl.map((r) => [r.recordId, r.slots]),
    );
  });

  it("refuses a file with one bad row, naming the line and the field, and imports nothing", async () => {
    const rows = [...good];
    const bad = JSON.parse(rows[13] as string);
    bad.creditScore = -5;
    rows[13] = JSON.stringify(bad);
    const file = join(dir, "bad.jsonl");
    await writeFile(file, `${rows.join("\n")}\n`);
    const err = await problems(file);
    expect(err.code).toBe("IMPORT_INVALID");
    expect(err.message).toBe(
      `${file}: line 14: creditScore: must not be negative; nothing was imported`,
    );
    expect(err.details).toMatchObject({
      count: 1,
      problems: [{ line: 14, field: "creditScore", code: "OUT_OF_RANGE" }],
    });

    // through the command line: exit 1, the same message, and an empty vault
    const data = join(dir, "data-bad");
    const result = await crossproof(
      { CROSSPROOF_DATA_DIR: data },
      ...["issuer", "import", "--schema", "credit-report-v1", file],
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error IMPORT_INVALID: ");
    const vault = await Vault.open(vaultPath(data));
    expect(vault.status()).toEqual([]);
    vault.close();
  });

  it("names every kind of bad row: broken JSON, a missing id, a duplicate, an unknown field, a bad CSV cell", async () => {
    const first = JSON.parse(good[0] as string);
    const { recordId: _id, ...noId } = first;
    const lines = [
      good[0],
      "{not json",
      JSON.stringify(noId),
      JSON.stringify(first),
      JSON.stringify({ ...JSON.parse(good[1] as string), recordId: "x1", nickname: "Al" }),
      JSON.stringify({
        ...JSON.parse(good[2] as string),
        recordId: "x2",
        reportDate: "2026-02-30",
      }),
    ];
    const file = join(dir, "many.jsonl");
    await writeFile(file, `${lines.join("\n")}\n`);
    const err = await problems(file);
    expect(err.details.count).toBe(5);
    expect(
      (err.details.problems as { line: number; field: string; code: string }[]).map((p) => [
        p.line,
        p.field,
        p.code,
      ]),
    ).toEqual([
      [2, "(row)", "WRONG_TYPE"],
      [3, "recordId", "MISSING_FIELD"],
      [4, "recordId", "DUPLICATE_RECORD"],
      [5, "nickname", "UNKNOWN_FIELD"],
      [6, "reportDate", "INVALID_DATE"],
    ]);
    const csv = join(dir, "bad.csv");
    const header =
      "recordId,subjectId,bureau,creditScore,totalDebt,annualIncome,defaults24m,latePayments12m,openAccounts,reportDate,currency,jurisdiction,documentFingerprint";
    await writeFile(
      csv,
      `${header}\nr1,CN-1,b,700,1,2,0,0,1,2026-01-01,CNY,CN,${"a".repeat(64)}\nr2,CN-2,b,7e2,1,2,0,0,1,2026-01-01,CNY,CN,${"a".repeat(64)}\n`,
    );
    const csvErr = await problems(csv);
    expect(csvErr.message).toBe(
      `${csv}: line 3: creditScore: must be an integer, not a string; nothing was imported`,
    );
    // Rows csv-parse cannot read (too few or too many cells, bad quoting) are problems too:
    // every bad row is reported, up to 20, as for JSON Lines.
    const row = (id: string, score: string) =>
      `${id},CN-1,b,${score},1,2,0,0,1,2026-01-01,CNY,CN,${"a".repeat(64)}`;
    const broken = join(dir, "broken.csv");
    await writeFile(
      broken,
      [
        header,
        row("r1", "700"),
        "r2,CN-2,b,700",
        row("r3", "x"),
        `${row("r4", "700")},extra`,
        row("r5", "700"),
        ...Array.from({ length: 25 }, (_, i) => row(`r${6 + i}`, "-1")),
        "",
      ].join("\n"),
    );
    const many = await problems(broken);
    const listed = many.details.problems as { line: number; field: string; code: string }[];
    expect(many.details.count).toBe(28);
    expect(listed).toHaveLength(20);
    expect(listed.slice(0, 3).map((p) => [p.line, p.field])).toEqual([
      [3, "(row)"],
      [4, "creditScore"],
      [5, "(row)"],
    ]);
    expect(many.message).toMatch(
      /line 3: \(row\): is not a valid CSV row: .* \(and 27 more problems\); nothing was imported$/,
    );
  });

  it("refuses a record id the vault already holds, importing nothing from the file", async () => {
    const path = vaultPath(join(dir, "data-dup"));
    const vault = await Vault.open(path);
    try {
      const file = join(dir, "first.jsonl");
      await writeFile(file, `${good.slice(0, 5).join("\n")}\n`);
      await vault.importRecords(schema, await readImportFile(file, schema), "first.jsonl");
      const second = join(dir, "second.jsonl");
      await writeFile(second, `${good.slice(3, 10).join("\n")}\n`);
      const rows = await readImportFile(second, schema);
      await expect(vault.importRecords(schema, rows, "second.jsonl")).rejects.toMatchObject({
        code: "IMPORT_INVALID",
        message: expect.stringContaining("line 1: recordId: cr-9-03 is already in the vault"),
      });
      expect(vault.status()[0]?.records).toBe(5);
    } finally {
      vault.close();
    }
  });

  it("leaves the vault as it was when an import is killed mid-way", async () => {
    const data = join(dir, "data-kill");
    // a first, complete import
    const small = join(dir, "small.jsonl");
    await writeFile(small, `${good.slice(0, 3).join("\n")}\n`);
    await crossproofOk(
      { CROSSPROOF_DATA_DIR: data },
      ...["issuer", "import", "--schema", "credit-report-v1", small],
    );
    // a large one, killed while it commits
    const big = join(dir, "big.jsonl");
    await crossproofOk({}, "demo-data", "--count", "3000", "--seed", "10", "--out", big);
    const child = spawn(
      process.execPath,
      [BIN, "issuer", "import", "--schema", "credit-report-v1", big],
      {
        env: cliEnv({ CROSSPROOF_DATA_DIR: data }),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // "validated" is printed once every row passed, just before the commitments start
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("validated")) resolve();
      });
      child.once("exit", () => reject(new Error("the import finished before it could be killed")));
    });
    await new Promise((r) => setTimeout(r, 500));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const vault = await Vault.open(vaultPath(data));
    try {
      expect(vault.integrityCheck()).toBe("ok");
      expect(vault.status()[0]?.records).toBe(3);
      // and the vault still works: the same import, run to the end, goes through
      await vault.importRecords(schema, await readImportFile(big, schema), "big.jsonl");
      expect(vault.status()[0]?.records).toBe(3003);
    } finally {
      vault.close();
    }
    expect((await readFile(big, "utf8")).split("\n").length).toBe(3001);
  });
});
