import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentFingerprint } from "../../core/field.js";
import { crossproof } from "../helpers/cli.js";

// The commands run with their own data folder (the local chain node's state), never the repo's.
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "crossproof-cli-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `crossproof` with this file's own data folder. */
const cli = (...args: string[]) => crossproof({ CROSSPROOF_DATA_DIR: dataDir }, ...args);

describe("crossproof command line", () => {
  it("lists the commands that exist", async () => {
    const { code, stdout } = await cli("--help");
    expect(code).toBe(0);
    for (const command of ["start", "demo", "verifier", "setup", "circuits", "schemas"])
      expect(stdout).toMatch(new RegExp(`^  ${command} `, "m"));
  });

  it("refuses an unknown command or option with USAGE and exit code 64", async () => {
    const unknown = await cli("fly");
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatchInlineSnapshot(`
      "error USAGE: unknown command "fly"; see \`crossproof --help\`
      "
    `);
    const badOption = await cli("schemas", "--colour");
    expect(badOption.code).toBe(64);
    const json = await cli("start", "--records", "1", "--json"); // at least 16
    expect(json.code).toBe(64);
    expect(JSON.parse(json.stdout).error.code).toBe("USAGE");
    const section = await cli("bench", "--only", "speed");
    expect(section.code).toBe(64);
    expect(section.stderr).toContain('error USAGE: unknown section "speed"');
  });

  it("prints a command group's help and exits 64 when no subcommand is given", async () => {
    for (const group of ["issuer", "chain", "verifier", "prover", "setup"]) {
      const alone = await cli(group);
      expect(alone.code, group).toBe(64);
      expect(alone.stderr, group).toContain(`Usage: crossproof ${group} `);
      expect(alone.stderr, group).not.toContain(`unknown ${group} command`);
    }
    const sub = await cli("issuer", "fly");
    expect(sub.code).toBe(64);
    expect(sub.stderr).toContain('unknown issuer command "fly"');
  });

  it("exits 64 for an unknown schema, as for any usage error, and says so in --help", async () => {
    const file = join(dataDir, "one.jsonl");
    await writeFile(file, '{"recordId":"r1"}\n');
    const unknown = await cli("issuer", "import", "--schema", "no-such-schema", file);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain("error UNKNOWN_SCHEMA");
    expect((await cli("--help")).stdout).toMatch(/Exit codes: .*64 a usage error/);
  });

  it("documents the benchmark sections, flags and how long they take", async () => {
    const { code, stdout } = await cli("bench", "--help");
    expect(code).toBe(0);
    for (const word of [
      "circuits",
      "throughput",
      "proving",
      "http",
      "--only",
      "--quick",
      "--report",
    ])
      expect(stdout).toContain(word);
    expect(stdout).toMatch(/\d+ min/);
  });

  it("lists schemas with their schemaIds as JSON", async () => {
    const { code, stdout } = await cli("schemas", "--json");
    expect(code).toBe(0);
    const schemas = JSON.parse(stdout) as { id: string; schemaId: string }[];
    expect(schemas.map((s) => s.id)).toEqual([
      "corporate-credit-v1",
      "credit-report-v1",
      "medical-claim-v1",
      "residency-v1",
    ]);
  });

  it("reports the committed releases as loadable", async () => {
    const { code, stdout } = await cli("circuits", "--json");
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as { name: string; release: string }[];
    expect(rows.find((r) => r.name === "query")?.release).toMatch(
      /10628 constraints, 12 public signals, development setup/,
    );
  });

  it("fingerprints a document as a verifier needs it for EQ on documentFingerprint", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crossproof-doc-"));
    const file = join(dir, "report.pdf");
    await writeFile(file, "credit report body");
    const { code, stdout } = await cli("fingerprint", file, "--json");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      file,
      sha256: createHash("sha256").update("credit report body").digest("hex"),
      field: documentFingerprint(new TextEncoder().encode("credit report body")).field.toString(),
    });
    expect((await cli("fingerprint", join(dir, "missing.pdf"))).code).toBe(64);
    await rm(dir, { recursive: true, force: true });
  });
});
