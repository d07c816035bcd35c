/**
 * Synthetic records of every shipped schema for demonstrations, tests and benchmarks:
 * deterministic for a seed, with plausible distributions (credit scores around 680, incomes
 * log-spread, a minority of defaults; ratings around BBB; claims mostly outpatient and mostly
 * approved; residents mostly employed full time). They describe nobody.
 */
import { createHash } from "node:crypto";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { CrossproofError, ErrorCode } from "../core/errors.js";
import { DAY_MS, type RecordInput } from "../core/record.js";
import { getSchema } from "../core/schema.js";

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

/** Random draws of one generator: integers in [min, max], picks, weighted picks, dates. */
interface Draw {
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** One key of `weights`, with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
  /** `YYYY-MM-DD` of the day `days` after `asOf` (negative: before). */
  day(days: number): string;
  /** Today, as a day number. */
  readonly asOf: number;
}

function draws(options: SyntheticOptions): Draw {
  const rng = xoroshiro128plus(options.seed);
  const int = (min: number, max: number) => uniformInt(rng, min, max);
  const asOf = Math.floor((options.asOf ?? new Date()).getTime() / DAY_MS);
  return {
    int,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T,
    weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
      const entries = Object.entries(weights) as [K, number][];
      let r = int(
        1,
        entries.reduce((sum, [, w]) => sum + w, 0),
      );
      for (const [key, w] of entries) {
        r -= w;
        if (r <= 0) return key;
      }
      return (entries[entries.length - 1] as [K, number])[0];
    },
    day: (days: number) => new Date((asOf + days) * DAY_MS).toISOString().slice(0, 10),
    asOf,
  };
}

function fingerprint(...parts: readonly (string | number)[]): string {
  return createHash("sha256").update(parts.join("|")).digest("hex");
}

/** A number in [min, max] skewed towards `min` (the square of a uniform draw). */
function skewed(d: Draw, min: number, max: number): number {
  return min + Math.floor((d.int(0, 1000) / 1000) ** 2 * (max - min));
}

function personId(d: Draw, hk: boolean): string {
  return hk
    ? `HK-${String.fromCharCode(65 + d.int(0, 25))}${d.int(100000, 999999)}(${d.int(0, 9)})`
    : `CN-${d.int(110000, 659999)}${d.int(19500101, 20051231)}${d.int(1000, 9999)}`;
}

function companyId(d: Draw, hk: boolean): string {
  const alnum = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const chars = (n: number) => Array.from({ length: n }, () => d.pick([...alnum])).join("");
  // mainland: an 18-character unified social credit code; Hong Kong: an 8-digit BR number
  return hk ? `HK-BR-${d.int(10000000, 79999999)}` : `CN-91${d.int(110000, 659999)}${chars(10)}`;
}

/** `count` synthetic `corporate-credit-v1` records, the same for the same seed and date. */
export function syntheticCorporateReports(options: SyntheticOptions): RecordInput[] {
  const d = draws(options);
  const records: RecordInput[] = [];
  const ratings = getSchemaCodes("corporate-credit-v1", "rating");
  for (let n = 0; n < options.count; n++) {
    const hk = d.int(0, 2) === 0;
    // A bell around BBB- (13) over B- … AAA, with a tail of distressed companies below.
    const distressed = d.int(0, 99) < 4;
    const ratingCode = distressed ? d.int(1, 6) : 7 + d.int(0, 5) + d.int(0, 5) + d.int(0, 5);
    const rating = ratings[ratingCode - 1] as string;
    // Registered capital from 1 million to about 1 billion, log-spread.
    const capital = Math.floor(10 ** (6 + d.int(0, 3000) / 1000));
    const assets = Math.floor((capital * d.int(50, 800)) / 100);
    const liabilities = Math.floor((assets * d.int(10, distressed ? 130 : 90)) / 100);
    const overdue =
      distressed || d.int(0, 99) < 10 ? Math.floor((liabilities * d.int(1, 15)) / 100) : 0;
    const registrationId = companyId(d, hk);
    const reportDate = d.day(-d.int(0, 180));
    const bureau = hk ? "bureau:hk-creditref" : "bureau:cn-pbccrc";
    records.push({
      registrationId,
      bureau,
      rating,
      registeredCapital: capital * 100,
      totalAssets: assets * 100,
      totalLiabilities: liabilities * 100,
      overdueAmount: overdue * 100,
      litigationCount: d.int(0, 99) < 75 ? 0 : d.int(1, distressed ? 20 : 6),
      incorporationDate: d.day(-d.int(365, 40 * 365)),
      reportDate,
      currency: hk ? "HKD" : "CNY",
      jurisdiction: hk ? "HK" : "CN",
      documentFingerprint: fingerprint(bureau, registrationId, reportDate, n, options.seed),
    });
  }
  return records;
}

/** The code names of a coded field, by code value order (for synthetic draws). */
function getSchemaCodes(schema: string, field: string): string[] {
  const definition = getSchema(schema).fields.find((f) => f.name === field);
  if (definition?.encoding !== "code") throw new TypeError(`${schema}.${field} is not coded`);
  return Object.entries(definition.codes)
    .sort(([, a], [, b]) => a - b)
    .map(([name]) => name);
}

/** Claimed amounts by treatment category, in major units: [min, max], skewed low. */
const CLAIM_RANGE = {
  outpatient: [300, 3_000],
  dental: [500, 8_000],
  emergency: [1_000, 20_000],
  "chronic-care": [2_000, 30_000],
  rehabilitation: [5_000, 50_000],
  "day-surgery": [8_000, 60_000],
  maternity: [30_000, 120_000],
  inpatient: [20_000, 300_000],
} as const;

const HOSPITALS = {
  CN: ["hospital:cn-gd-440300-0001", "hospital:cn-gd-440100-0007", "hospital:cn-gd-440400-0003"],
  HK: ["hospital:hk-ha-0012", "hospital:hk-private-0004", "hospital:hk-private-0009"],
  MO: ["hospital:mo-0002"],
} as const;

/** `count` synthetic `medical-claim-v1` records, the same for the same seed and date. */
export function syntheticMedicalClaims(options: SyntheticOptions): RecordInput[] {
  const d = draws(options);
  const records: RecordInput[] = [];
  for (let n = 0; n < options.count; n++) {
    // Mostly Hong Kong policies used in the Greater Bay Area, and mainland ones used in Hong Kong.
    const insurerJurisdiction = d.weighted({ HK: 65, CN: 30, MO: 5 });
    const hospitalJurisdiction =
      insurerJurisdiction === "HK"
        ? d.weighted({ CN: 70, HK: 25, MO: 5 })
        : d.weighted({ HK: 75, CN: 20, MO: 5 });
    const category = d.weighted({
      outpatient: 45,
      dental: 8,
      emergency: 10,
      "chronic-care": 5,
      rehabilitation: 2,
      "day-surgery": 10,
      maternity: 5,
      inpatient: 15,
    });
    const [min, max] = CLAIM_RANGE[category];
    const claim = skewed(d, min, max);
    const age = d.int(0, 365);
    // Older claims are decided; the last month's are often still open.
    const status =
      age < 30
        ? d.weighted({ submitted: 30, "under-review": 30, approved: 25, rejected: 5, paid: 10 })
        : d.weighted({
            "under-review": 4,
            approved: 50,
            "partially-approved": 15,
            rejected: 8,
            paid: 23,
          });
    const approved =
      status === "approved" || status === "paid"
        ? claim
        : status === "partially-approved"
          ? Math.floor((claim * d.int(40, 90)) / 100)
          : 0;
    const planned =
      category === "inpatient" || category === "day-surgery" || category === "maternity";
    const decided = status !== "submitted" && status !== "under-review";
    const memberId = `${insurerJurisdiction}-MBR-${d.int(10_000_000, 99_999_999)}-${d.int(1, 4)}`;
    const insurer = `insurer:${insurerJurisdiction.toLowerCase()}-${d.pick(["0031", "0117", "0205"])}`;
    const treatmentDate = d.day(-age);
    records.push({
      memberId,
      insurer,
      hospital: d.pick(HOSPITALS[hospitalJurisdiction]),
      claimAmount: claim * 100,
      approvedAmount: approved * 100,
      currency: insurerJurisdiction === "HK" ? "HKD" : insurerJurisdiction === "MO" ? "MOP" : "CNY",
      treatmentDate,
      treatmentCategory: category,
      hospitalJurisdiction,
      insurerJurisdiction,
      preAuthorised: d.int(0, 99) < (planned ? 85 : 10),
      claimStatus: status,
      decisionDate: d.day(-age + Math.min(age, d.int(1, decided ? 45 : 10))),
      documentFingerprint: fingerprint(insurer, memberId, treatmentDate, n, options.seed),
    });
  }
  return records;
}

const DISTRICTS = {
  HK: ["HK-Central and Western", "HK-Kowloon City", "HK-Sha Tin", "HK-Tsuen Wan", "HK-Eastern"],
  CN: ["CN-Shenzhen-Nanshan", "CN-Shenzhen-Futian", "CN-Guangzhou-Tianhe", "CN-Zhuhai-Hengqin"],
} as const;

/**
 * One residency attestation, drawn from `d`: in Hong Kong when `hk`, else on the mainland; about
 * `subjectId` when given (the draw of a fresh id is then skipped), else about a fresh person.
 */
function residencyRecord(
  d: Draw,
  n: number,
  seed: number,
  hk: boolean,
  subjectId?: string,
): RecordInput {
  // Mainland talent and workers resident in Hong Kong, and Hong Kong people living in the GBA.
  const status = hk
    ? d.weighted({
        visitor: 3,
        student: 10,
        dependant: 10,
        "work-permit": 25,
        "talent-scheme": 22,
        permanent: 30,
      })
    : d.weighted({ student: 8, dependant: 12, "work-permit": 55, permanent: 25 });
  const settled = status === "permanent";
  const since = -d.int(settled ? 7 * 365 : 30, settled ? 30 * 365 : 6 * 365);
  // Most permits run beyond today; a few have lapsed and await renewal.
  const expiry = settled
    ? "9999-12-31"
    : d.day(d.int(0, 99) < 5 ? -d.int(1, 60) : d.int(30, 3 * 365));
  const employment =
    status === "student"
      ? "student"
      : d.weighted({
          "full-time": 66,
          "part-time": 8,
          "self-employed": 10,
          unemployed: 8,
          retired: status === "permanent" ? 8 : 0,
        });
  const employed =
    employment === "full-time" || employment === "part-time" || employment === "self-employed";
  // Monthly income in major units of the local currency: Hong Kong salaries run higher.
  const scale = hk ? 1 : 0.55;
  const income =
    employment === "full-time"
      ? skewed(d, 15_000, 150_000)
      : employment === "part-time"
        ? skewed(d, 5_000, 25_000)
        : employment === "self-employed"
          ? skewed(d, 0, 200_000)
          : employment === "student"
            ? skewed(d, 0, 4_000)
            : 0;
  const attested = -d.int(0, 90);
  const subject = subjectId ?? personId(d, !hk);
  const authority = hk
    ? "authority:hk-immd"
    : d.pick(["authority:cn-gd-shenzhen-psb", "authority:cn-gd-guangzhou-psb"]);
  const attestationDate = d.day(attested);
  return {
    subjectId: subject,
    authority,
    jurisdiction: hk ? "HK" : "CN",
    residencyStatus: status,
    residentSince: d.day(since),
    permitExpiry: expiry,
    addressDistrict: d.pick(DISTRICTS[hk ? "HK" : "CN"]),
    employmentStatus: employment,
    employer: employed ? companyId(d, hk) : "none",
    employedSince: employed ? d.day(-d.int(30, 12 * 365)) : attestationDate,
    monthlyIncome: Math.floor(income * scale) * 100,
    currency: hk ? "HKD" : "CNY",
    socialInsured: d.int(0, 99) < (employed ? 92 : 20),
    attestationDate,
    documentFingerprint: fingerprint(authority, subject, attestationDate, n, seed),
  };
}

/** `count` synthetic `residency-v1` records, the same for the same seed and date. */
export function syntheticResidency(options: SyntheticOptions): RecordInput[] {
  const d = draws(options);
  const records: RecordInput[] = [];
  for (let n = 0; n < options.count; n++) {
    records.push(residencyRecord(d, n, options.seed, d.int(0, 99) < 55));
  }
  return records;
}

/** Options of {@link syntheticHongKongResidency}. */
export interface HongKongResidencyOptions extends SyntheticOptions {
  /** Subject ids another bureau already holds records about (its credit reports' `subjectId`). */
  readonly subjects: readonly string[];
}

/**
 * The Hong Kong bureau's synthetic `residency-v1` attestations (all in Hong Kong): one about each
 * of about two thirds of `subjects`, with the very same ids, so that a verifier can link them to
 * the other bureau's records; then `count` about people the other bureau does not know. The same
 * for the same subjects, seed and date; the draws are not those of the other bureau's seed.
 */
export function syntheticHongKongResidency(options: HongKongResidencyOptions): RecordInput[] {
  // A stream of its own ("HK"), so that who is known here does not echo the credit reports' draws.
  const d = draws({ ...options, seed: options.seed ^ 0x484b });
  const known = new Set(options.subjects);
  const records: RecordInput[] = [];
  for (const subjectId of options.subjects) {
    if (d.int(0, 2) === 0) continue;
    records.push(residencyRecord(d, records.length, options.seed, true, subjectId));
  }
  for (let extra = 0; extra < options.count; ) {
    const record = residencyRecord(d, records.length, options.seed, true);
    // A fresh id that happens to be a known subject's would make a link nobody meant.
    if (known.has(record.subjectId as string)) continue;
    records.push(record);
    extra++;
  }
  return records;
}

/** The generator and the record id prefix of each shipped schema. */
export const SYNTHETIC_GENERATORS: Readonly<
  Record<string, { readonly prefix: string; generate(options: SyntheticOptions): RecordInput[] }>
> = {
  "credit-report-v1": { prefix: "cr", generate: syntheticCreditReports },
  "corporate-credit-v1": { prefix: "cc", generate: syntheticCorporateReports },
  "medical-claim-v1": { prefix: "mc", generate: syntheticMedicalClaims },
  "residency-v1": { prefix: "rs", generate: syntheticResidency },
};

/**
 * Synthetic rows of `schema` with record ids `<prefix>-<seed>-<n>`, zero-padded (`cr` credit
 * reports, `cc` corporate reports, `mc` medical claims, `rs` residency). `UNKNOWN_SCHEMA` for a
 * schema without a generator (an operator's own).
 */
export function syntheticRows(
  schema: string,
  options: SyntheticOptions,
): Record<string, unknown>[] {
  const generator = SYNTHETIC_GENERATORS[schema];
  if (!generator) {
    throw new CrossproofError(
      ErrorCode.UNKNOWN_SCHEMA,
      `no synthetic data for "${schema}": one of ${Object.keys(SYNTHETIC_GENERATORS).join(", ")}`,
      { details: { schema, known: Object.keys(SYNTHETIC_GENERATORS) } },
    );
  }
  const width = String(options.count - 1).length;
  return generator.generate(options).map((r, n) => ({
    recordId: `${generator.prefix}-${options.seed}-${String(n).padStart(width, "0")}`,
    ...r,
  }));
}

/** The record ids `syntheticCreditReports` rows get in files: `cr-<seed>-<n>`, zero-padded. */
export function syntheticRecordRows(options: SyntheticOptions): Record<string, unknown>[] {
  return syntheticRows("credit-report-v1", options);
}
