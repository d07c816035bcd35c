// Run by test/prover/pool.test.ts in a child process, the way cli/bin.js runs crossproof: plain
// node, tsx's loader registered from JavaScript, no vitest. See pool-smoke.ts.
import { register } from "tsx/esm/api";

register();
await import("./pool-smoke.ts");
