/**
 * Sample verifier policies, one per shipped schema, in the form `POST /v1/policies` takes: a
 * starting point for an operator (`crossproof policies sample ID --issuer ADDRESS` prints one
 * ready to post) and what the tests prove against. Each fits the `query` release (8 predicate
 * slots, the subject binding and the disclosures included), and the synthetic records of its
 * schema (`crossproof demo-data --schema`) hold both records that meet it and records that do
 * not.
 */

/** A sample policy: its id, the schema it is for, and its definition for given issuers. */
export interface SamplePolicy {
  readonly id: string;
  readonly schema: string;
  /** The definition accepting roots anchored by `issuers` (chain addresses). */
  definition(issuers: readonly string[]): Record<string, unknown>;
}

function sample(id: string, schema: string, body: Readonly<Record<string, unknown>>): SamplePolicy {
  return {
    id,
    schema,
    definition: (issuers) => ({
      id,
      ...body,
      schema,
      issuers: [...issuers],
      challengeTtlSeconds: 300,
      rootGraceSeconds: 3600,
    }),
  };
}

/** The pilot's creditworthiness policy (`crossproof start` creates it). */
export const PILOT_CREDIT_POLICY = sample("pilot-credit-v1", "credit-report-v1", {
  description:
    "Cross-boundary credit check: about the applicant, score at least 650, debt/income at most 40 %, no default in 24 months, report issued within 90 days; discloses the jurisdiction",
  subject: { field: "subjectId" },
  predicates: [
    { op: "GTE", field: "creditScore", value: 650 },
    { op: "RATIO_LTE", field: "totalDebt", per: "annualIncome", numerator: 40, denominator: 100 },
    { op: "EQ", field: "defaults24m", value: 0 },
    { op: "GTE", field: "reportDate", value: { daysAgo: 90 } },
  ],
  disclose: ["jurisdiction"],
});

/** A lender's or supplier's check of a company before extending trade credit. */
export const CORPORATE_TRADE_CREDIT_POLICY = sample(
  "corporate-trade-credit-v1",
  "corporate-credit-v1",
  {
    description:
      "Trade credit check: about the company, rated BBB- or better, nothing overdue, liabilities at most 70 % of assets, at most 2 pending lawsuits, report issued within 90 days; discloses the jurisdiction",
    subject: { field: "registrationId" },
    predicates: [
      { op: "GTE", field: "rating", value: "BBB-" },
      { op: "EQ", field: "overdueAmount", value: 0 },
      {
        op: "RATIO_LTE",
        field: "totalLiabilities",
        per: "totalAssets",
        numerator: 70,
        denominator: 100,
      },
      { op: "LTE", field: "litigationCount", value: 2 },
      { op: "GTE", field: "reportDate", value: { daysAgo: 90 } },
    ],
    disclose: ["jurisdiction"],
  },
);

/**
 * A Hong Kong insurer's or employer's check that a member's cross-border claim was settled,
 * without seeing the claim: approved in full or paid, treated within 180 days, at most HKD
 * 50,000.
 */
export const MEDICAL_CLAIM_POLICY = sample("medical-claim-settled-v1", "medical-claim-v1", {
  description:
    "Cross-border claim check: about the member, claim approved in full or paid, treated within 180 days, in HKD and at most HKD 50,000.00; discloses where the hospital is",
  subject: { field: "memberId" },
  predicates: [
    { op: "GTE", field: "claimStatus", value: "approved" },
    { op: "GTE", field: "treatmentDate", value: { daysAgo: 180 } },
    { op: "EQ", field: "currency", value: "HKD" },
    { op: "LTE", field: "claimAmount", value: 5_000_000 },
  ],
  disclose: ["hospitalJurisdiction"],
});

/**
 * A Hong Kong landlord's or bank's tenancy check: resident in Hong Kong on a work permit or a
 * more settled status, permit valid today, income at least HKD 25,000 a month, attested within
 * 90 days.
 */
export const RESIDENCY_TENANCY_POLICY = sample("residency-tenancy-v1", "residency-v1", {
  description:
    "Tenancy check: about the applicant, resident in Hong Kong with a work permit or a more settled status, permit valid today, monthly income at least HKD 25,000.00, attested within 90 days; discloses the residence status",
  subject: { field: "subjectId" },
  predicates: [
    { op: "EQ", field: "jurisdiction", value: "HK" },
    { op: "GTE", field: "residencyStatus", value: "work-permit" },
    { op: "GTE", field: "permitExpiry", value: { daysAgo: 0 } },
    { op: "EQ", field: "currency", value: "HKD" },
    { op: "GTE", field: "monthlyIncome", value: 2_500_000 },
    { op: "GTE", field: "attestationDate", value: { daysAgo: 90 } },
  ],
  disclose: ["residencyStatus"],
});

/** Every sample policy, by id. */
export const SAMPLE_POLICIES: ReadonlyMap<string, SamplePolicy> = new Map(
  [
    PILOT_CREDIT_POLICY,
    CORPORATE_TRADE_CREDIT_POLICY,
    MEDICAL_CLAIM_POLICY,
    RESIDENCY_TENANCY_POLICY,
  ].map((p) => [p.id, p]),
);
