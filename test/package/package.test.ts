/**
 * crossproof as users install it: the tarball `npm pack` makes, unpacked into a temporary folder
 * with the lockfile and installed with `npm ci --omit=dev` (production dependencies only, their
 * install scripts run), and linked into a scratch project's node_modules. From there
 * `crossproof start` (compiled JavaScript, no tsx, no TypeScript) must come up, and a plain `.mjs`
 * file of the scratch project importing `crossproof/client` must hash a subject and verify a
 * presentation against it. And the client must bundle for a browser.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectHash } from "../../client/index.js";
import { PROJECT_ROOT } from "../../infra/paths.js";

const run = promisify(execFile);

describe("the published package", () => {
  let scratch: string;
  let packageDir: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "crossproof-package-"));
    // npm test has just built dist/; the tarball is what `npm publish` would upload.
    const { stdout } = await run(
      "npm",
      ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch],
      { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    // A scratch copy of the package with this checkout's lockfile, installed as a production
    // deployment installs it: `npm ci --omit=dev` (from npm's cache when it holds everything,
    // as after this checkout's own `npm ci`; else from the registry). Its install and prepare
    // scripts run as they would there: the native prover is compiled (or the snarkjs engine
    // used), and the build keeps the shipped dist/ since TypeScript is not installed.
    packageDir = join(scratch, "app");
    await mkdir(packageDir, { recursive: true });
    await run("tar", ["-xzf", join(scratch, filename), "-C", packageDir, "--strip-components=1"]);
    await copyFile(join(PROJECT_ROOT, "package-lock.json"), join(packageDir, "package-lock.json"));
    await run("npm", ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: packageDir,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE_ENV: "production" },
    });
    // A user's project depends on it: scratch/node_modules/crossproof.
    await mkdir(join(scratch, "node_modules"), { recursive: true });
    await symlink(packageDir, join(scratch, "node_modules", "crossproof"));
    const installed = new Set(await readdir(join(packageDir, "node_modules")));
    expect(installed.has("zod")).toBe(true);
    // (typescript is there: npm installs viem's optional peer dependencies with --omit=dev; the
    // package's prepare script uses the shipped dist/ all the same, since it has no sources.)
    for (const dev of ["tsx", "vitest", "solc", "circom2", "autocannon", "esbuild", "vega"]) {
      expect(installed.has(dev), dev).toBe(false);
    }
  }, 900_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("ships compiled JavaScript with declarations, a licence, and no test or benchmark code", async () => {
    const manifest = JSON.parse(await readFile(join(packageDir, "package.json"), "utf8"));
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe("Apache-2.0");
    expect(await readFile(join(packageDir, "LICENSE"), "utf8")).toContain("Apache License");
    // What the tarball shipped: the installed dependencies and the addon's build are not its files.
    const files = (
      await run("find", [
        packageDir,
        "(",
        "-path",
        join(packageDir, "node_modules"),
        "-o",
        "-path",
        join(packageDir, "prover", "native", "build"),
        ")",
        "-prune",
        "-o",
        "-type",
        "f",
        "-print",
      ])
    ).stdout;
    expect(files).toContain("dist/client/index.js");
    expect(files).toContain("dist/client/index.d.ts");
    // The web console, built: its page and assets, not its sources.
    expect(files).toContain("dist/console/index.html");
    expect(files).toMatch(/dist\/console\/assets\/index-[\w-]+\.js$/m);
    expect(files).not.toMatch(/(?<!\.d)\.ts$/m); // declarations only: no TypeScript sources
    expect(files).not.toMatch(/\/(test|bench|reliability|support)\//);
  });

  it("runs crossproof start on the production dependencies alone, and a plain .mjs client verifies a presentation against it", async () => {
    const dataDir = join(scratch, "data");
    const child = spawn(
      process.execPath,
      [join(packageDir, "cli", "bin.js"), "start", "--records", "64", "--seed", "3", "--json"],
      {
        cwd: scratch,
        env: {
          PATH: process.env.PATH,
          CROSSPROOF_DATA_DIR: dataDir,
          CROSSPROOF_VERIFIER_PORT: "0",
          CROSSPROOF_PROVER_PORT: "0",
          CROSSPROOF_LOG_FILE: process.env.CROSSPROOF_LOG_FILE ?? join(scratch, "services.log"),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      let out = "";
      let err = "";
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
      });
      const started = await new Promise<{
        verifier: string;
        prover: string;
        clientKeyFile: string;
      }>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          try {
            resolve(JSON.parse(out));
          } catch {
            // not all of it yet
          }
        });
        child.once("exit", (code) => reject(new Error(`start exited ${code}: ${err}`)));
      });
      const env = await readFile(join(dataDir, "walkthrough.env"), "utf8");
      const value = (name: string) =>
        new RegExp(`^${name}='([^']*)'$`, "m").exec(env)?.[1] as string;
      const script = join(scratch, "check-client.mjs");
      await writeFile(
        script,
        `import { readFileSync } from "node:fs";
import { ProverClient, subjectHash, VerifierClient } from "crossproof/client";
const [verifierUrl, proverUrl, keyFile, hash, recordId] = process.argv.slice(2);
const verifier = new VerifierClient({ url: verifierUrl, apiKey: readFileSync(keyFile, "utf8").trim() });
const challenge = await verifier.issueChallenge("pilot-credit-v1", BigInt(hash));
const presentation = await new ProverClient({ url: proverUrl }).present(recordId, challenge);
const verdict = await verifier.verify("pilot-credit-v1", presentation);
console.log(JSON.stringify({ hash: subjectHash("credit-report-v1", "subjectId", "HK-PACKAGE-TEST").toString(), verified: verdict.verified, reasons: verdict.reasons }));
`,
      );
      const { stdout } = await run(
        process.execPath,
        [
          script,
          started.verifier,
          started.prover,
          started.clientKeyFile,
          value("SUBJECT_HASH"),
          value("RECORD_ID"),
        ],
        { cwd: scratch },
      );
      expect(JSON.parse(stdout)).toEqual({
        hash: subjectHash("credit-report-v1", "subjectId", "HK-PACKAGE-TEST").toString(),
        verified: true,
        reasons: [],
      });
      // The installed package serves the console it shipped.
      const page = await fetch(`${started.verifier}/console`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("crossproof console");
    } finally {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    }
  }, 300_000);

  it("bundles the client for a browser: no Node.js module anywhere in it", async () => {
    const result = await build({
      entryPoints: [join(packageDir, "dist", "client", "index.js")],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes("dist/client/index.js"))).toBe(true);
    expect(inputs.filter((i) => i.startsWith("node:"))).toEqual([]);
    expect(result.outputFiles[0]?.text).toContain("subjectHash");
  });
});
