/**
 * The order vitest starts test files in: the slowest first (as measured in CI), then the rest in
 * vitest's own order. On a fresh clone vitest has no timings of its own and starts the largest
 * files first, which left one of the two lanes running a long file alone at the end; starting
 * the long ones first lets the short ones fill in behind them, so both lanes finish together.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** The slowest files of the suite, slowest first (CI on 2 cores, 2026-12-03). */
const SLOWEST = [
  "test/setup/ceremony.test.ts",
  "test/package/package.test.ts",
  "test/prover/native/random-records.test.ts",
  "test/prover/holder-flow.test.ts",
  "test/reliability/scale-out.test.ts",
  "test/circuits/soundness-corpus.test.ts",
  "test/prover/native/memory.test.ts",
];

const rank = (spec: TestSpecification): number => {
  const i = SLOWEST.findIndex((file) => spec.moduleId.endsWith(file));
  return i === -1 ? SLOWEST.length : i;
};

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // Array.prototype.sort is stable: files not listed keep vitest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
