/**
 * More schemas on the same circuit: the shipped corporate, medical-claim and residency schemas,
 * and an operator's own schema added at run time with `crossproof schemas add`, each generated
 * (`demo-data --schema`, except the operator's), imported with `crossproof issuer import`,
 * anchored, proved by the holder's prover service and verified by the verifier service against
 * its sample policy; and malformed or clashing schema files refused with the field named.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, ProverClient, subjectHash, VerifierClient } from "../../client/index.js";
import { evaluatePredicate } from "../../core/query.js";
import { encodeRecord, type RecordInput } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import { type Stack, startStack } from "../../deploy/local.js";
import {
  CORPORATE_TRADE_CREDIT_POLICY,
  MEDICAL_CLAIM_POLICY,
  RESIDENCY_TENANCY_POLICY,
  type SamplePolicy,
} from "../../deploy/sample-policies.js";
import { createLogger } from "../../infra/log.js";
import { customSchemasDir } from "../../infra/paths.js";
import { syntheticRows } from "../../issuer/synthetic.js";
import { serviceConfigFromEnv } from "../../server/config.js";
import { parsePolicyDefinition, resolveQuery } from "../../verifier/policy.js";
import { crossproof, crossproofOk } from "../helpers/cli.js";

/** An operator's own schema: Hong Kong MPF contributions (not shipped). */
const MPF_SCHEMA = {
  id: "mpf-contributions-v1",
  title: "MPF contribution history",
  description: "A Mandatory Provident Fund trustee's summary of one member's contributions.",
  fields: [
    { name: "memberId", type: "hash", encoding: "text", description: "HKID of the member." },
    { name: "trustee", type: "hash", encoding: "text", description: "Identifier of the trustee." },
    {
      name: "contributionMonths",
      type: "uint",
      encoding: "integer",
      description: "Months with a mandatory contribution in the last 36 months.",
    },
    {
      name: "lastContribution",
      type: "uint",
      encoding: "date",
      description: "Date of the last contribution, as days since 1970-01-01.",
    },
    {
      name: "employed",
      type: "uint",
      encoding: "boolean",
      description: "Whether an employer currently contributes.",
    },
    {
      name: "scheme",
      type: "uint",
      encoding: "code",
      codes: { "master-trust": 1, industry: 2, "employer-sponsored": 3 },
      description: "Kind of MPF scheme.",
    },
  ],
} as const;

const MPF_POLICY: SamplePolicy = {
  id: "mpf-steady-v1",
  schema: MPF_SCHEMA.id,
  definition: (issuers) => ({
    id: "mpf-steady-v1",
    schema: MPF_SCHEMA.id,
    issuers: [...issuers],
    subject: { field: "memberId" },
    predicates: [
      { op: "GTE", field: "contributionMonths", value: 24 },
      { op: "EQ", field: "employed", value: true },
      { op: "GTE", field: "lastContribution", value: { daysAgo: 60 } },
    ],
    disclose: ["scheme"],
  }),
};

const day = (offset: number) =>
  new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** 40 MPF records of the operator's schema: every fourth one lapsed or short. */
function mpfRows(): Record<string, unknown>[] {
  return Array.from({ length: 40 }, (_, n) => ({
    recordId: `mpf-${n}`,
    memberId: `HK-M${100000 + n}(${n % 10})`,
    trustee: "trustee:hk-0042",
    contributionMonths: n % 4 === 3 ? 6 : 24 + (n % 13),
    lastContribution: day(-(n % 4 === 3 ? 200 : n % 30)),
    employed: n % 4 !== 3,
    scheme: ["master-trust", "industry", "employer-sponsored"][n % 3],
  }));
}

/** The subject field of a policy. */
function subjectField(p: SamplePolicy): string {
  const { subject } = p.definition(["0x0000000000000000000000000000000000000001"]) as {
    subject: { field: string };
  };
  return subject.field;
}

describe("schemas on the one query circuit: shipped, and added by an operator at run time", () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let stack: Stack;
  let client: VerifierClient;
  let admin: VerifierClient;
  let prover: ProverClient;
  /** Each schema's rows as imported, by schema id. */
  const rows = new Map<string, Record<string, unknown>[]>();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "crossproof-schemas-"));
    env = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_ROOT_POLL_MS: "100",
      CROSSPROOF_VERIFY_WORKERS: "1",
      CROSSPROOF_PROVER_WORKERS: "1",
      CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1", // the committed keys are development keys
    };
    // The operator adds a schema, then everything below runs in processes that only find it in
    // the data folder: the import commands, and the services started after.
    const schemaFile = join(dataDir, "mpf.json");
    await writeFile(schemaFile, JSON.stringify(MPF_SCHEMA));
    const added = JSON.parse(await crossproofOk(env, "schemas", "add", schemaFile, "--json")) as {
      id: string;
      added: boolean;
      schemaId: string;
    };
    expect(added).toMatchObject({ id: MPF_SCHEMA.id, added: true });
    const mpfFile = join(dataDir, "mpf.jsonl");
    await writeFile(
      mpfFile,
      mpfRows()
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(""),
    );
    rows.set(MPF_SCHEMA.id, mpfRows());

    for (const [schema, format] of [
      ["corporate-credit-v1", "jsonl"],
      ["medical-claim-v1", "csv"],
      ["residency-v1", "jsonl"],
    ] as const) {
      const file = join(dataDir, `${schema}.${format}`);
      await crossproofOk(
        env,
        ...["demo-data", "--schema", schema, "--count", "120", "--seed", "3"],
        ...["--format", format, "--out", file],
      );
      // the same records (the generator is deterministic for a seed and a day), to pick from
      rows.set(schema, syntheticRows(schema, { count: 120, seed: 3 }));
      await crossproofOk(env, "issuer", "import", "--schema", schema, file);
    }
    await crossproofOk(env, "issuer", "import", "--schema", MPF_SCHEMA.id, mpfFile);

    // The stack anchors every schema's root at start and registers the stored schema.
    const config = serviceConfigFromEnv(env);
    stack = await startStack({
      config,
      env,
      logger: createLogger("crossproof"),
      records: 200,
      seed: 5,
      print: () => {},
      verifierPort: 0,
      proverPort: 0,
    });
    const clientKey = (await readFile(stack.clientKeyPath, "utf8")).trim();
    const adminKey = (await readFile(stack.adminKeyPath, "utf8")).trim();
    client = new VerifierClient({ url: stack.verifier.url, apiKey: clientKey });
    admin = new VerifierClient({ url: stack.verifier.url, apiKey: adminKey });
    prover = new ProverClient({ url: stack.prover.url });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const cases = [
    ["corporate-credit-v1", CORPORATE_TRADE_CREDIT_POLICY],
    ["medical-claim-v1", MEDICAL_CLAIM_POLICY],
    ["residency-v1", RESIDENCY_TENANCY_POLICY],
    [MPF_SCHEMA.id, MPF_POLICY],
  ] as const;

  for (const [schemaId, policy] of cases) {
    it(`${schemaId}: imported, anchored, proved and verified against ${policy.id}; a record that fails it gets no proof`, async () => {
      const schema = getSchema(schemaId);
      const status = stack.vault.status().find((s) => s.schema === schemaId);
      expect(status).toMatchObject({ unanchored: 0, latest: { state: "anchored" } });
      const onChain = await stack.chain.registry.lookupRoot(status?.latest?.root ?? 0n);
      expect(onChain?.schemaId).toBe(schema.schemaId);

      const issuer = stack.chain.registry.signer as string;
      // A shipped schema's sample as an operator gets it, ready to post; the operator's own here.
      const posted =
        policy === MPF_POLICY
          ? policy.definition([issuer])
          : (JSON.parse(
              await crossproofOk(env, "policies", "sample", policy.id, "--issuer", issuer),
            ) as Record<string, unknown>);
      expect(posted).toEqual(policy.definition([issuer]));
      await admin.createPolicy(posted);
      const definition = parsePolicyDefinition(posted, 8);
      // Who meets the policy today, by the policy's own predicates (the subject binds anyone).
      const { subject: _, ...unbound } = definition;
      const { predicates } = resolveQuery(unbound, 8, new Date(), undefined).compiled;
      const meets = (r: Record<string, unknown>) => {
        const { recordId: _id, ...record } = r;
        return predicates.every((p) =>
          evaluatePredicate(p, encodeRecord(schema, record as RecordInput)),
        );
      };
      const all = rows.get(schemaId) ?? [];
      const eligible = all.filter(meets);
      const ineligible = all.find((r) => !meets(r));
      expect(eligible.length).toBeGreaterThanOrEqual(2);
      expect(ineligible).toBeDefined();

      const field = subjectField(policy);
      const disclosed = (definition.disclose as string[])[0] as string;
      for (const r of eligible.slice(0, 2)) {
        const challenge = await client.issueChallenge(
          policy.id,
          subjectHash(schemaId, field, r[field] as string),
        );
        const presentation = await prover.present(r.recordId as string, challenge);
        const verdict = await client.verify(policy.id, presentation);
        expect(verdict.reasons).toEqual([]);
        expect(verdict.verified).toBe(true);
        expect(verdict.disclosed).toEqual({ [disclosed]: r[disclosed] });
      }

      // a proof about one subject does not pass for another's challenge
      const [first, second] = eligible as [Record<string, unknown>, Record<string, unknown>];
      const forOther = await client.issueChallenge(
        policy.id,
        subjectHash(schemaId, field, second[field] as string),
      );
      const refused = await prover.present(first.recordId as string, forOther).catch((e) => e);
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).code).toBe("PREDICATE_UNSATISFIED");

      const bad = ineligible as Record<string, unknown>;
      const challenge = await client.issueChallenge(
        policy.id,
        subjectHash(schemaId, field, bad[field] as string),
      );
      const unmet = await prover.present(bad.recordId as string, challenge).catch((e) => e);
      expect((unmet as ApiError).code).toBe("PREDICATE_UNSATISFIED");
    });
  }

  it("refuses malformed schema files with INVALID_SCHEMA naming the field, and clashing ids with SCHEMA_CONFLICT", async () => {
    const base = JSON.parse(JSON.stringify(MPF_SCHEMA)) as {
      id: string;
      fields: Record<string, unknown>[];
    };
    const f = (i: number) => base.fields[i] as Record<string, unknown>;
    const cases: [string, unknown, string, string][] = [
      [
        "duplicate",
        { ...base, id: "dup-v1", fields: [f(0), { ...f(1), name: "memberId" }] },
        "INVALID_SCHEMA",
        "fields.1.name",
      ],
      [
        "too-many",
        {
          ...base,
          id: "wide-v1",
          fields: Array.from({ length: 17 }, (_, i) => ({ ...f(2), name: `count${i}` })),
        },
        "INVALID_SCHEMA",
        "fields",
      ],
      [
        "encoding",
        { ...base, id: "enc-v1", fields: [f(0), { ...f(3), encoding: "datetime" }] },
        "INVALID_SCHEMA",
        "fields.1.encoding",
      ],
      [
        "codes",
        { ...base, id: "codes-v1", fields: [f(0), { ...f(5), codes: {} }] },
        "INVALID_SCHEMA",
        "fields.1.codes",
      ],
      ["shipped", { ...base, id: "credit-report-v1" }, "SCHEMA_CONFLICT", ""],
      ["changed", { ...base, title: "MPF contributions, edited" }, "SCHEMA_CONFLICT", ""],
    ];
    const results = await Promise.all(
      cases.map(async ([name, doc]) => {
        const file = join(dataDir, `${name}.json`);
        await writeFile(file, JSON.stringify(doc));
        return crossproof(env, "schemas", "add", file, "--json");
      }),
    );
    cases.forEach(([name, , code, field], i) => {
      const result = results[i] as { code: number; stdout: string };
      expect(result.code, name).toBe(1);
      const { error } = JSON.parse(result.stdout) as {
        error: { code: string; message: string; details: Record<string, unknown> };
      };
      expect(error.code, name).toBe(code);
      if (code === "INVALID_SCHEMA") {
        expect(error.details.field, name).toBe(field);
        expect(error.message, name).toContain(`${field}: `);
        expect(error.message, name).toContain(`${name}.json`);
      }
    });
    const notJson = join(dataDir, "broken.json");
    await writeFile(notJson, "{ not json");
    const broken = await crossproof(env, "schemas", "add", notJson);
    expect([broken.code, broken.stderr]).toEqual([
      1,
      expect.stringMatching(/INVALID_SCHEMA: .*is not JSON/),
    ]);
    // nothing of it was stored; adding the same document again is a no-op
    expect(await readdir(customSchemasDir(dataDir))).toEqual([`${MPF_SCHEMA.id}.json`]);
    const again = await crossproofOk(env, "schemas", "add", join(dataDir, "mpf.json"), "--json");
    expect(JSON.parse(again)).toMatchObject({ added: false });
    const listed = JSON.parse(await crossproofOk(env, "schemas", "list", "--json")) as {
      id: string;
      origin: string;
    }[];
    expect(listed.map((s) => `${s.id}:${s.origin}`)).toEqual([
      "corporate-credit-v1:shipped",
      "credit-report-v1:shipped",
      "medical-claim-v1:shipped",
      "residency-v1:shipped",
      `${MPF_SCHEMA.id}:added`,
    ]);
  });
});
