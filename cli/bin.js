#!/usr/bin/env node
// The `crossproof` command: the compiled JavaScript in dist/, which `npm ci` builds (the
// `prepare` script) and `npm run build` rebuilds after a change to the TypeScript sources.
import { existsSync } from "node:fs";

const main = new URL("../dist/cli/main.js", import.meta.url);
if (existsSync(main)) {
  await import(main.href);
} else {
  process.stderr.write(
    "error DEPENDENCY_MISSING: crossproof is not built: run `npm run build` (npm ci runs it)\n",
  );
  process.exitCode = 1;
}
