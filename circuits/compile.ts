/**
 * Compile a circuit instance with circom 2 (the `circom2` WebAssembly build) and `--O2`.
 *
 * The generated `main` wrapper and the outputs (r1cs, wasm witness generator, sym) go to a
 * build folder; nothing here touches the committed artifacts.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, parse, resolve } from "node:path";
import { ArtifactError, ErrorCode } from "../core/errors.js";
import {
  CIRCUITS_DIR,
  type CompiledCircuitPaths,
  compiledCircuitPaths,
  PROJECT_ROOT,
  packageRoot,
} from "../infra/paths.js";
import { type CircuitInstance, mainSource } from "./instances.js";

const require = createRequire(import.meta.url);

/**
 * Folders circom searches for `include`s: `circuits/` (the generated mains include
 * `src/<file>.circom`, so a main never shadows the source it is named after), circomlib, and
 * zk-kit's Merkle root.
 */
export function includePaths(): string[] {
  return [
    join(PROJECT_ROOT, "circuits"),
    join(dirname(require.resolve("circomlib/package.json")), "circuits"),
    join(dirname(require.resolve("@zk-kit/binary-merkle-root.circom/package.json")), "src"),
  ];
}

/**
 * A cache key for what is built from an instance: sha256 over the circuit sources, the instance's
 * main, the versions of the compiler and the circuit libraries, and `extra` (what else the build
 * depends on, e.g. the setup's beacon and snarkjs's version).
 */
export function circuitSourceKey(
  instance: CircuitInstance,
  extra: { packages?: readonly string[]; text?: string } = {},
): string {
  const hash = createHash("sha256");
  const src = join(CIRCUITS_DIR, "src");
  for (const file of readdirSync(src).sort()) {
    hash.update(file).update(readFileSync(join(src, file)));
  }
  hash.update(mainSource(instance));
  const packages = ["circom2", "circomlib", "@zk-kit/binary-merkle-root.circom"];
  for (const pkg of [...packages, ...(extra.packages ?? [])]) {
    hash.update(readFileSync(join(packageRoot(pkg), "package.json")));
  }
  if (extra.text !== undefined) hash.update(extra.text);
  return hash.digest("hex");
}

/**
 * Run the circom compiler with `args` (paths absolute); resolves with its output, rejects on a
 * non-zero exit. circom2 is a WASI program that sees only its working directory and what lies
 * under it, so it runs from the filesystem's root: a checkout whose node_modules is a symlink to
 * another checkout (a git worktree) then still reaches circomlib.
 */
function runCircom(args: string[]): Promise<string> {
  const cli = require.resolve("circom2/cli.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: parse(process.cwd()).root,
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else
        reject(
          new ArtifactError(ErrorCode.COMPILE_FAILED, `circom exited with code ${code}`, {
            details: { output: output.slice(-4000) },
          }),
        );
    });
  });
}

/** Compile `instance` into `outDir` (default `build/circuits`); returns the output paths. */
export async function compileCircuit(
  instance: CircuitInstance,
  outDir?: string,
): Promise<CompiledCircuitPaths> {
  const paths = compiledCircuitPaths(instance.name, outDir);
  await rm(paths.dir, { recursive: true, force: true });
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.main, mainSource(instance));
  const args = [resolve(paths.main), "--r1cs", "--wasm", "--sym", "--O2", "-o", resolve(paths.dir)];
  for (const include of includePaths()) args.push("-l", include);
  await runCircom(args);
  // circom's witness-calculator scripts are CommonJS, inside a project whose .js files are ESM.
  await writeFile(join(dirname(paths.wasm), "package.json"), '{ "type": "commonjs" }\n');
  return paths;
}

/**
 * Compile a researcher's own circuit file (its `component main` inside) into `outDir`, with the
 * file's folder and the project's include folders (circomlib, zk-kit) on circom's search path.
 * circom names the outputs after the file: `<name>.r1cs`, `<name>_js/<name>.wasm`.
 * `COMPILE_FAILED` (with circom's output in `details.output`) when circom refuses it.
 */
export async function compileCircomFile(
  file: string,
  outDir: string,
): Promise<{ readonly r1cs: string; readonly wasm: string; readonly output: string }> {
  const source = resolve(file);
  const dir = resolve(outDir);
  const name = parse(source).name;
  await mkdir(dir, { recursive: true });
  const args = [source, "--r1cs", "--wasm", "--O2", "-o", dir, "-l", dirname(source)];
  for (const include of includePaths()) args.push("-l", include);
  const output = await runCircom(args);
  await writeFile(join(dir, `${name}_js`, "package.json"), '{ "type": "commonjs" }\n');
  return { r1cs: join(dir, `${name}.r1cs`), wasm: join(dir, `${name}_js`, `${name}.wasm`), output };
}

/** The circom compiler's version string (e.g. `circom compiler 2.2.3`). */
export async function circomVersion(): Promise<string> {
  return (await runCircom(["--version"])).trim();
}
