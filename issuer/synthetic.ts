/**
 * Synthetic credit reports for demonstrations, tests and benchmarks: deterministic for a seed,
 * with plausible distributions (scores around 680, incomes log-spread, a minority of defaults).
 * They describe nobody.
 */
import { createHash } from "node:crypto";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { DAY_MS, type RecordInput } from "../core/record.js";

/** Options of {@link syntheticCreditReports}. */
export interface SyntheticOptions {
  readonly count: number;
  readonly seed: number;
  /** Reports are dated within the 180 days before this date (default: today, UTC). */
  readonly asOf?: Date;
}

/** `count` synthetic `credit-report-v1` records, the same for the same seed and date. */
export function syntheticCreditReports(options: SyntheticOptions): RecordInput[] {
  const rng = xoroshiro128plus(options.seed);
  const int = (min: number, max: number) => uniformInt(rng, min, max);
  const asOf = Math.floor((options.asOf ?? new Date()).getTime() / DAY_MS) * DAY_MS;
  const records: RecordInput[] = [];
  for (let n = 0; n < options.count; n++) {
    const hk = int(0, 1) === 1;
    // Sum of four uniforms: a bell around 680, within [300, 850].
    const score = Math.min(
      850,
      Math.max(300, 440 + int(0, 120) + int(0, 120) + int(0, 120) + int(0, 120) - 60),
    );
    // Income between 120,000 and ~2,400,000 in major units, skewed low.
    const income = 120_000 + Math.floor((int(0, 1000) / 1000) ** 2 * 2_280_000);
    const debt = Math.floor((income * int(0, 80)) / 100);
    const defaulted = int(0, 99) < 8;
    const subjectId = hk
      ? `HK-${String.fromCharCode(65 + int(0, 25))}${int(100000, 999999)}(${int(0, 9)})`
      : `CN-${int(110000, 659999)}${int(19500101, 20051231)}${int(1000, 9999)}`;
    const reportDate = new Date(asOf - int(0, 180) * DAY_MS).toISOString().slice(0, 10);
    const bureau = hk ? "bureau:hk-creditref" : "bureau:cn-pbccrc";
    const document = `${bureau}|${subjectId}|${reportDate}|${score}|${n}|${options.seed}`;
    records.push({
      subjectId,
      bureau,
      creditScore: score,
      totalDebt: debt * 100,
      annualIncome: income * 100,
      defaults24m: defaulted ? int(1, 3) : 0,
      latePayments12m: Math.max(0, int(-6, 5)),
      openAccounts: int(1, 12),
      reportDate,
      currency: hk ? "HKD" : "CNY",
      jurisdiction: hk ? "HK" : "CN",
      documentFingerprint: createHash("sha256").update(document).digest("hex"),
    });
  }
  return records;
}

/** The record ids `syntheticCreditReports` rows get in files: `cr-<seed>-<n>`, zero-padded. */
export function syntheticRecordRows(options: SyntheticOptions): Record<string, unknown>[] {
  const width = String(options.count - 1).length;
  return syntheticCreditReports(options).map((r, n) => ({
    recordId: `cr-${options.seed}-${String(n).padStart(width, "0")}`,
    ...r,
  }));
}
