// Builds the native proving engine (prover/native/build/Release/crossproof_prover.node) with
// node-gyp, as `npm ci` runs it (the root package's `install` script). It never fails the
// install: without a compiler (or with any other build error) it prints one line saying why,
// keeps the full log in prover/native/build.log, and exits 0; crossproof then proves with snarkjs.
// Set CROSSPROOF_NATIVE_BUILD=0 to skip the build.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const log = join(here, "build.log");

function note(message) {
  console.log(`crossproof native prover: ${message}`);
}

/** node-gyp as npm ships it (npm passes its path), or as a package beside npm. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    candidates.push(
      join(
        dirname(process.env.npm_execpath),
        "..",
        "node_modules",
        "node-gyp",
        "bin",
        "node-gyp.js",
      ),
    );
  }
  try {
    candidates.push(createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js"));
  } catch {
    // not installed as a package: fine
  }
  candidates.push(
    join(
      dirname(process.execPath),
      "..",
      "lib",
      "node_modules",
      "npm",
      "node_modules",
      "node-gyp",
      "bin",
      "node-gyp.js",
    ),
  );
  return candidates.find((path) => existsSync(path));
}

function main() {
  if (process.env.CROSSPROOF_NATIVE_BUILD === "0") {
    note("build skipped (CROSSPROOF_NATIVE_BUILD=0); proofs use snarkjs");
    return;
  }
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    note("not built (node-gyp not found); proofs use snarkjs");
    return;
  }
  const args = [nodeGyp, "rebuild", "--release", `--directory=${here}`];
  // Headers of a distribution's Node (no download): npm passes its `nodedir` setting through the
  // environment; without it, use /usr when the headers are there.
  if (!process.env.npm_config_nodedir && existsSync("/usr/include/node/node_api.h")) {
    args.push("--nodedir=/usr");
  }
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  mkdirSync(here, { recursive: true });
  writeFileSync(log, `${result.stdout ?? ""}\n${result.stderr ?? ""}\n${result.error ?? ""}\n`);
  const built = join(here, "build", "Release", "crossproof_prover.node");
  if (result.status === 0 && existsSync(built)) {
    note(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return;
  }
  const lines = `${result.stderr ?? ""}${result.error ?? ""}`
    .split("\n")
    .filter((l) => l.trim() !== "");
  const reason = lines.find((l) => /error|not found/i.test(l)) ?? lines.at(-1) ?? "unknown error";
  note(`not built (${reason.trim().slice(0, 160)}); proofs use snarkjs. Log: ${log}`);
}

try {
  main();
} catch (err) {
  note(`not built (${err instanceof Error ? err.message : String(err)}); proofs use snarkjs`);
}
process.exitCode = 0;
