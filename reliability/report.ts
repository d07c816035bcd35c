/**
 * What every reliability suite reports: the figures it measured and the invariants it checked.
 * The short versions in `npm test` assert on the checks; `npm run soak` runs the long versions,
 * prints them as tables and writes them as JSON to `reliability/results/`.
 */

/** One invariant a suite checked, and whether it held. */
export interface ReliabilityCheck {
  /** What must hold, as a sentence ("no 5xx but REGISTRY_UNAVAILABLE"). */
  readonly name: string;
  readonly passed: boolean;
  /** Counter-examples or numbers behind a failure (never a record field, salt or path). */
  readonly detail?: string;
  /** Set when the check could not be made here: why (`passed` is then false). */
  readonly skipped?: string;
}

/** A suite's result. */
export interface SuiteReport {
  /** `fuzz`, `replay`, `faults-chain`, …: also the name of its JSON file. */
  readonly suite: string;
  /** The seed of any random generation, so a run can be repeated. */
  readonly seed?: number;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Measured figures by name: counts, rates, memory growth. Units in the name (`…Ms`, `…MiB`). */
  readonly figures: Readonly<Record<string, number | string>>;
  readonly checks: readonly ReliabilityCheck[];
}

/** Collects checks and figures while a suite runs, and builds its report at the end. */
export class SuiteRecorder {
  readonly #suite: string;
  readonly #seed: number | undefined;
  readonly #started = performance.now();
  readonly #startedAt = new Date().toISOString();
  readonly #figures: Record<string, number | string> = {};
  readonly #checks: ReliabilityCheck[] = [];

  constructor(suite: string, seed?: number) {
    this.#suite = suite;
    this.#seed = seed;
  }

  /** Records a figure (a later value of the same name replaces the earlier one). */
  figure(name: string, value: number | string): void {
    this.#figures[name] = value;
  }

  /** Records an invariant; `detail` explains a failure. */
  check(name: string, passed: boolean, detail?: string): void {
    this.#checks.push(detail === undefined ? { name, passed } : { name, passed, detail });
  }

  /**
   * Records an invariant that holds when `counterExamples` is empty; the first few of them are
   * the failure's detail.
   */
  checkNone(name: string, counterExamples: readonly string[]): void {
    if (counterExamples.length === 0) {
      this.check(name, true);
      return;
    }
    const more = counterExamples.length - 5;
    const shown = counterExamples.slice(0, 5).join("; ");
    this.check(name, false, more > 0 ? `${shown}; and ${more} more` : shown);
  }

  /** Records a check that could not be made here, and why: reported as skipped, never passed. */
  skip(name: string, why: string): void {
    this.#checks.push({ name, passed: false, skipped: why });
  }

  /** The report so far. */
  report(): SuiteReport {
    return {
      suite: this.#suite,
      ...(this.#seed === undefined ? {} : { seed: this.#seed }),
      startedAt: this.#startedAt,
      durationMs: Math.round(performance.now() - this.#started),
      figures: { ...this.#figures },
      checks: [...this.#checks],
    };
  }
}

/** The checks of `report` that failed (skipped ones aside), one line each (empty when all held). */
export function failedChecks(report: SuiteReport): string[] {
  return report.checks
    .filter((c) => !c.passed && c.skipped === undefined)
    .map((c) => `${report.suite}: ${c.name}${c.detail ? ` (${c.detail})` : ""}`);
}
