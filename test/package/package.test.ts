/**
 * crossproof as users install it: the tarball `npm pack` makes, unpacked into a scratch project
 * in a temporary folder whose node_modules holds only the production dependencies (the closure
 * `npm ls --omit=dev` computes, linked from this checkout's node_modules, so no download and no
 * compile is needed). From there `crossproof start` (compiled JavaScript, no tsx, no TypeScript)
 * must come up, and a plain `.mjs` file importing `crossproof/client` must hash a subject and
 * verify a presentation against it. And the client must bundle for a browser.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
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
    packageDir = join(scratch, "node_modules", "crossproof");
    await mkdir(packageDir, { recursive: true });
    await run("tar", ["-xzf", join(scratch, filename), "-C", packageDir, "--strip-components=1"]);
    // The production closure, top-level packages only (nested ones come with their parent).
    const { stdout: parseable } = await run("npm", ["ls", "--omit=dev", "--all", "--parseable"], {
      cwd: PROJECT_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const modules = join(PROJECT_ROOT, "node_modules");
    // An optional peer dependency (typescript, of viem) shows in that list when installed, but
    // `npm ci --omit=dev` installs none that is only a development dependency here.
    const own = JSON.parse(await readFile(join(PROJECT_ROOT, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    const devOnly = new Set(Object.keys(own.devDependencies));
    const topLevel = new Set(
      parseable
        .split("\n")
        .map((p) => relative(modules, p))
        .filter((p) => p && !p.startsWith("..") && !p.includes("node_modules"))
        .map((p) =>
          p
            .split("/")
            .slice(0, p.startsWith("@") ? 2 : 1)
            .join("/"),
        )
        .filter((name) => !devOnly.has(name)),
    );
    for (const name of topLevel) {
      await mkdir(join(scratch, "node_modules", name, ".."), { recursive: true });
      await symlink(join(modules, name), join(scratch, "node_modules", name));
    }
    expect(topLevel.has("zod")).toBe(true);
    for (const dev of ["typescript", "tsx", "vitest", "solc", "circom2", "autocannon"]) {
      expect(topLevel.has(dev), dev).toBe(false);
    }
  }, 300_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("ships compiled JavaScript with declarations, a licence, and no test or benchmark code", async () => {
    const manifest = JSON.parse(await readFile(join(packageDir, "package.json"), "utf8"));
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe("Apache-2.0");
    expect(await readFile(join(packageDir, "LICENSE"), "utf8")).toContain("Apache License");
    const files = (await run("find", [packageDir, "-type", "f"])).stdout;
    expect(files).toContain("dist/client/index.js");
    expect(files).toContain("dist/client/index.d.ts");
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
