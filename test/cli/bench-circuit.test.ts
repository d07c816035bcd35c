/**
 * `crossproof bench circuit FILE.circom --input INPUT.json` from the command line, on circuits of
 * this test's own (test/cli/fixtures/bench-circuit): a small one is compiled, given a development
 * key and measured with both engines (its proofs verified inside the command), then found in the
 * cache the second time; a file circom refuses, an input that fails the circuit and an input
 * that is not JSON each end with their stable code. (A circuit larger than the development ptau,
 * CIRCUIT_TOO_LARGE, is left out: circom takes about 45 s here to compile one of 70,000
 * constraints.)
 *
 * The cache is a fresh folder per run (so the compile and the setup really run), with the
 * machine's cached development ptau files linked in (making one takes minutes).
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDir, PROJECT_ROOT } from "../../infra/paths.js";
import { loadNativeAddon } from "../../prover/native/addon.js";
import { crossproof } from "../helpers/cli.js";

const FIXTURES = join(PROJECT_ROOT, "test", "cli", "fixtures", "bench-circuit");
const fixture = (name: string) => join(FIXTURES, name);

let cache: string;
const bench = (...args: string[]) =>
  crossproof({ CROSSPROOF_CACHE: cache }, "bench", "circuit", ...args);

interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly ratio: number | null;
}

/** The error a `--json` run printed. */
function jsonError(stdout: string): { code: string; message: string } {
  return (JSON.parse(stdout) as { error: { code: string; message: string } }).error;
}

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), "crossproof-bench-circuit-"));
  const ptau = join(cacheDir(), "ptau");
  await mkdir(ptau, { recursive: true });
  await symlink(ptau, join(cache, "ptau"));
});

afterAll(async () => {
  await rm(cache, { recursive: true, force: true });
});

describe("crossproof bench circuit", () => {
  it("compiles a small circuit, makes its key, measures both engines, then reuses the cache", async () => {
    const first = await bench(
      fixture("square.circom"),
      "--input",
      fixture("input.json"),
      "--proofs",
      "2",
      "--json",
    );
    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as {
      circuit: string;
      cached: boolean;
      figures: Figure[];
      results: string;
    };
    expect(report).toMatchObject({ circuit: "square", cached: false });
    const byName = new Map(report.figures.map((f) => [f.name.replace(/^square: /, ""), f]));
    // x[i]² three times, Poseidon(1) of the output, and y·(y − 1) = 0.
    expect(byName.get("constraints")?.value).toBeGreaterThan(200);
    expect(byName.get("constraints")?.value).toBeLessThan(260);
    expect(byName.get("public signals")?.value).toBe(2);
    expect(byName.get("proof size, calldata (A, B, C)")?.value).toBe(256);
    for (const name of [
      "compile",
      "development key (ptau 2^8)",
      "witness (p50)",
      "prove, snarkjs in process (p50)",
      "verify, snarkjs.groth16.verify (p50)",
    ]) {
      expect(byName.get(name)?.value, name).toBeGreaterThan(0);
    }
    if (loadNativeAddon().available) {
      const native = report.figures.filter((f) => f.name.includes("prove, native on"));
      expect(native.length).toBeGreaterThan(0);
      for (const f of native) expect(f.ratio).toBeGreaterThan(0);
    }
    const written = JSON.parse(await readFile(report.results, "utf8")) as { figures: Figure[] };
    expect(written.figures).toEqual(report.figures);

    // The same sources and input shape: no compile and no setup the second time.
    const second = await bench(
      fixture("square.circom"),
      "--input",
      fixture("input.json"),
      "--proofs",
      "1",
    );
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain("from the cache");
    expect(second.stdout).toContain("square: prove, snarkjs in process (p50)");
    expect(second.stdout).not.toContain("square: compile");
  }, 300_000);

  it("shows circom's message for a circuit that does not compile (COMPILE_FAILED)", async () => {
    const result = await bench(fixture("broken.circom"), "--input", fixture("input.json"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error COMPILE_FAILED: circom could not compile the circuit");
    expect(result.stderr).toContain("Undeclared symbol");
  }, 120_000);

  it("refuses an input that fails the circuit (WITNESS_FAILED)", async () => {
    const result = await bench(
      fixture("square.circom"),
      "--input",
      fixture("failing-input.json"),
      "--json",
    );
    expect(result.code).toBe(1);
    const error = jsonError(result.stdout);
    expect(error.code).toBe("WITNESS_FAILED");
    expect(error.message).toContain("Assert Failed");
  }, 300_000);

  it("refuses an input file that is not a JSON object (CIRCUIT_INPUT_INVALID), and a missing --input (USAGE)", async () => {
    const notJson = join(cache, "not-json.json");
    await writeFile(notJson, "x = 3\n");
    const bad = await bench(fixture("square.circom"), "--input", notJson, "--json");
    expect(bad.code).toBe(1);
    expect(jsonError(bad.stdout).code).toBe("CIRCUIT_INPUT_INVALID");
    const usage = await bench(fixture("square.circom"));
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain("error USAGE");
  }, 120_000);
});
