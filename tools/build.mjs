#!/usr/bin/env node
// `npm run build` and `prepare` (which `npm ci` runs): compile the TypeScript sources to dist/,
// then build the web console (console/, Vite) into dist/console.
// A copy of the published package has no sources, only dist/: there (whether or not a
// TypeScript compiler happens to be installed: `npm ci --omit=dev` installs one as an optional
// peer of viem) the dist/ that came with it is used as it is. A checkout with sources and no
// compiler uses its dist/ if it has one, and is refused with what to do if not.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const built = existsSync(new URL("../dist/cli/main.js", import.meta.url));
const useBuilt = (why) => {
  process.stdout.write(`crossproof: ${why}: using the built dist/\n`);
  process.exit(0);
};

if (!existsSync(new URL("../tsconfig.build.json", import.meta.url))) {
  if (built) useBuilt("no TypeScript sources (the published package)");
  process.stderr.write("crossproof: neither TypeScript sources nor a built dist/ in this copy\n");
  process.exit(1);
}
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  if (built) useBuilt("no TypeScript compiler (a production install)");
  process.stderr.write(
    "crossproof: dist/ is missing and there is no TypeScript compiler to build it: run `npm ci` with the development dependencies\n",
  );
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});
if (result.status !== 0) process.exit(result.status ?? 1);

// The console: its sources are not published, so a copy without them keeps its dist/console.
if (existsSync(new URL("../console/vite.config.ts", import.meta.url))) {
  let vite;
  try {
    vite = join(
      dirname(createRequire(import.meta.url).resolve("vite/package.json")),
      "bin/vite.js",
    );
  } catch {
    if (existsSync(new URL("../dist/console/index.html", import.meta.url))) {
      process.stdout.write(
        "crossproof: no Vite (a production install): using the built dist/console\n",
      );
      process.exit(0);
    }
    process.stderr.write(
      "crossproof: dist/console is missing and there is no Vite to build it: run `npm ci` with the development dependencies\n",
    );
    process.exit(1);
  }
  const consoleBuild = spawnSync(
    process.execPath,
    [vite, "build", "--config", "console/vite.config.ts"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  process.exit(consoleBuild.status ?? 1);
}
