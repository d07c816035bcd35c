import { defineConfig } from "vitest/config";
import SlowestFirst from "./test/slow-first-sequencer.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
    // Circuit compiles and proofs take seconds; two files at a time fit this 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    maxWorkers: 2,
    allowOnly: false,
    sequence: { sequencer: SlowestFirst },
  },
});
