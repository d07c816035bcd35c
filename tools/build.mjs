#!/usr/bin/env node
// `npm run build` and `prepare` (which `npm ci` runs): compile the TypeScript sources to dist/.
// A production install (`npm ci --omit=dev`) has no TypeScript compiler: there the dist/ that
// came with the copy is used as it is, and a copy without one is refused with what to do.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  if (existsSync(new URL("../dist/cli/main.js", import.meta.url))) {
    process.stdout.write(
      "crossproof: no TypeScript compiler (a production install): using the built dist/\n",
    );
    process.exit(0);
  }
  process.stderr.write(
    "crossproof: dist/ is missing and there is no TypeScript compiler to build it: run `npm ci` with the development dependencies\n",
  );
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
