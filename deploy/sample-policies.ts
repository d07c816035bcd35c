/**
 * Sample verifier policies, one per shipped schema, in the form `POST /v1/policies` takes: a
 * starting point for an operator (`crossproof policies sample ID --issuer ADDRESS` prints one
 * ready to post) and what the tests prove against. Each fits its release's 8 predicate slots
 * (the subject binding and the disclosures included), and the synthetic records of its schema
 * (`crossproof demo-data --schema`) hold both records that meet it and records that do not.
 * Those without a set predicate or a linked record are `query` policies; the others (IN / NIN,
 * and the linked policy across the local deployment's two bureaus) are `query_v2` ones.
 */

/** A sample policy: its id, the schemas it is for, and its definition for given issuers. */
export interface SamplePolicy {
  readonly id: string;
  /** The schema of its (primary) record. */
  readonly schema: string;
  /** The schemas of its linked records, in order (left out or empty: a single-record policy). */
  readonly linkedSchemas?: readonly string[];
  /**
   * The definition accepting roots anchored by `issuers` (chain addresses) for its record, and
   * by `linkedIssuers[i]` for its i-th linked record (default: `issuers` too).
   */
  definition(
    issuers: readonly string[],
    linkedIssuers?: readonly (readonly string[])[],
  ): Record<string, unknown>;
}

/** How long a challenge lives and a replaced root is still accepted, in every sample. */
const LIFETIMES = { challengeTtlSeconds: 300, rootGraceSeconds: 3600 } as const;

function sample(id: string, schema: string, body: Readonly<Record<string, unknown>>): SamplePolicy {
  return {
    id,
    schema,
    linkedSchemas: [],
    definition: (issuers) => ({
      id,
      ...body,
      schema,
      issuers: [...issuers],
      ...LIFETIMES,
    }),
  };
}

/** The pilot's creditworthiness predicates, shared by its policy and the linked one. */
const CREDITWORTHY = [
  { op: "GTE", field: "creditScore", value: 650 },
  { op: "RATIO_LTE", field: "totalDebt", per: "annualIncome", numerator: 40, denominator: 100 },
  { op: "EQ", field: "defaults24m", value: 0 },
  { op: "GTE", field: "reportDate", value: { daysAgo: 90 } },
] as const;

/** The pilot's creditworthiness policy (`crossproof start` creates it). */
export const PILOT_CREDIT_POLICY = sample("pilot-credit-v1", "credit-report-v1", {
  description:
    "Cross-boundary credit check: about the applicant, score at least 650, debt/income at most 40 %, no default in 24 months, report issued within 90 days; discloses the jurisdiction",
  subject: { field: "subjectId" },
  predicates: CREDITWORTHY,
  disclose: ["jurisdiction"],
});

/**
 * A Hong Kong bank's check of a mainland applicant across two bureaus (`crossproof start`
 * creates it, with the mainland bureau's issuer for the credit report and the Hong Kong
 * bureau's for the residency attestation): the credit report meets the pilot's
 * creditworthiness predicates, AND a Hong Kong residency attestation about the same person
 * (linked on `subjectId`, which neither record reveals) shows a work permit, a talent-scheme or
 * a permanent status, a permit valid today, and employment.
 */
export const CROSS_BORDER_LINKED_POLICY: SamplePolicy = {
  id: "cross-border-linked-v1",
  schema: "credit-report-v1",
  linkedSchemas: ["residency-v1"],
  definition: (issuers, linkedIssuers = [issuers]) => ({
    id: "cross-border-linked-v1",
    description:
      "Cross-border check over two bureaus: about the applicant, a credit report with score at least 650, debt/income at most 40 %, no default in 24 months, issued within 90 days; and, about the same person, a Hong Kong residency attestation with a work permit, talent-scheme or permanent status, a permit valid today, and employment; discloses the report's jurisdiction and the residence status",
    schema: "credit-report-v1",
    issuers: [...issuers],
    subject: { field: "subjectId" },
    link: { field: "subjectId" },
    predicates: CREDITWORTHY,
    disclose: ["jurisdiction"],
    linked: [
      {
        schema: "residency-v1",
        issuers: [...(linkedIssuers[0] ?? issuers)],
        link: { field: "subjectId" },
        predicates: [
          { op: "EQ", field: "jurisdiction", value: "HK" },
          {
            op: "IN",
            field: "residencyStatus",
            values: ["work-permit", "talent-scheme", "permanent"],
          },
          { op: "GTE", field: "permitExpiry", value: { daysAgo: 0 } },
          {
            op: "IN",
            field: "employmentStatus",
            values: ["full-time", "part-time", "self-employed"],
          },
        ],
        disclose: ["residencyStatus"],
      },
    ],
    ...LIFETIMES,
  }),
};

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

/**
 * A Greater Bay Area check with set predicates on one record (`crossproof start` creates it):
 * registered in one of the listed districts (IN over text values, committed as their hashes),
 * neither unemployed nor a student (NIN over codes), permit valid today, attested within 90 days.
 */
export const RESIDENCY_DISTRICT_POLICY = sample("residency-district-v1", "residency-v1", {
  description:
    "District check: about the applicant, registered in Kowloon City, Sha Tin, Tsuen Wan, Shenzhen Nanshan or Shenzhen Futian, neither unemployed nor a student, permit valid today, attested within 90 days; discloses the jurisdiction",
  subject: { field: "subjectId" },
  predicates: [
    {
      op: "IN",
      field: "addressDistrict",
      values: [
        "HK-Kowloon City",
        "HK-Sha Tin",
        "HK-Tsuen Wan",
        "CN-Shenzhen-Nanshan",
        "CN-Shenzhen-Futian",
      ],
    },
    { op: "NIN", field: "employmentStatus", values: ["unemployed", "student"] },
    { op: "GTE", field: "permitExpiry", value: { daysAgo: 0 } },
    { op: "GTE", field: "attestationDate", value: { daysAgo: 90 } },
  ],
  disclose: ["jurisdiction"],
});

/** Every sample policy, by id. */
export const SAMPLE_POLICIES: ReadonlyMap<string, SamplePolicy> = new Map(
  [
    PILOT_CREDIT_POLICY,
    CORPORATE_TRADE_CREDIT_POLICY,
    MEDICAL_CLAIM_POLICY,
    RESIDENCY_TENANCY_POLICY,
    RESIDENCY_DISTRICT_POLICY,
    CROSS_BORDER_LINKED_POLICY,
  ].map((p) => [p.id, p]),
);
