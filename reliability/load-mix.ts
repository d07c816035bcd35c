/**
 * What the soaks share: a tally of a mixed load's requests by kind (counts, latencies, the first
 * unexpected answers), a paced loop, and the statistics their figures use.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError } from "../client/index.js";
import type { SuiteRecorder } from "./report.js";

/** What a request ended in: true when it was what it must be, else what it was instead. */
export type Outcome = true | string;

/** Counts and latencies by kind of request, and the first unexpected answers. */
export class MixTally<K extends string> {
  readonly counts = new Map<K, { expected: number; unexpected: number; ms: number[] }>();
  readonly unexpected: string[] = [];

  /** Times one request of `kind`; a thrown error is an unexpected outcome, not a crash. */
  async time(kind: K, request: () => Promise<Outcome>): Promise<void> {
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await request();
    } catch (err) {
      outcome =
        err instanceof ApiError ? `${err.status} ${err.code}` : `error ${(err as Error).message}`;
    }
    let entry = this.counts.get(kind);
    if (!entry) {
      entry = { expected: 0, unexpected: 0, ms: [] };
      this.counts.set(kind, entry);
    }
    entry.ms.push(performance.now() - started);
    if (outcome === true) entry.expected++;
    else {
      entry.unexpected++;
      if (this.unexpected.length < 20) this.unexpected.push(`${kind}: ${outcome}`);
    }
  }

  total(which: "expected" | "unexpected"): number {
    let n = 0;
    for (const entry of this.counts.values()) n += entry[which];
    return n;
  }

  /** Each kind's count and p50/p99 latency as figures; `<kind>.count`, `.p50Ms`, `.p99Ms`. */
  recordKinds(recorder: SuiteRecorder, kinds: readonly K[]): void {
    for (const kind of kinds) {
      const entry = this.counts.get(kind);
      if (!entry) continue;
      recorder.figure(`${kind}.count`, entry.expected + entry.unexpected);
      recorder.figure(`${kind}.p50Ms`, round1(percentile(entry.ms, 50)));
      recorder.figure(`${kind}.p99Ms`, round1(percentile(entry.ms, 99)));
    }
  }

  /** One check per kind that must have been in the mix (at least one expected answer). */
  checkIncluded(recorder: SuiteRecorder, kinds: readonly K[]): void {
    for (const kind of kinds) {
      recorder.check(`the mix included ${kind}`, (this.counts.get(kind)?.expected ?? 0) > 0);
    }
  }
}

/** Runs `body` again and again until `until`, at most `perSecond` times a second. */
export async function paced(
  until: number,
  perSecond: number,
  body: () => Promise<void>,
): Promise<void> {
  const interval = 1_000 / perSecond;
  while (Date.now() < until) {
    const started = Date.now();
    await body();
    const rest = interval - (Date.now() - started);
    if (rest > 0) await sleep(Math.min(rest, Math.max(0, until - Date.now())));
  }
}

export const MIB = 2 ** 20;

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

export const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

export const round1 = (x: number): number => Math.round(x * 10) / 10;

/** Least-squares slope of `ys` over `xs`. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * ((ys[i] as number) - my);
    den += (x - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}
