/**
 * The verifier service over real HTTP, on the stack `npm start` runs (a local chain node, an
 * issuer with synthetic records anchored, the prover and verifier services), started in a
 * temporary data folder on free ports. Every answer of the suite is recorded and checked against
 * the service's own `/openapi.json` at the end; then the verifier's database and the logs are
 * searched for the records' raw values.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import {
  ApiError,
  type Challenge,
  type Presentation,
  ProverClient,
  type ResponseObserver,
  subjectHash,
  VerifierClient,
} from "crossproof/client";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { LocalNode } from "../../chain/local-node.js";
import { FIELD_ORDER } from "../../core/field.js";
import { computeQueryHash, Op, type OpCode } from "../../core/query.js";
import { checkLog, parseLog } from "../../core/receipt-log.js";
import { getSchema } from "../../core/schema.js";
import type { statsResponse } from "../../core/wire/verifier.js";
import {
  deploymentReadiness,
  SAMPLE_POLICY_ID,
  type Stack,
  samplePolicy,
  startStack,
} from "../../deploy/local.js";
import { startVerifierService, type VerifierService } from "../../deploy/services.js";
import { createLogger } from "../../infra/log.js";
import { verifierPaths } from "../../infra/paths.js";
import { anchorNewRecords } from "../../issuer/anchor.js";
import { readImportFile } from "../../issuer/import-file.js";
import { syntheticRecordRows } from "../../issuer/synthetic.js";
import { type ServiceConfig, serviceConfigFromEnv } from "../../server/config.js";

interface Answer {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

const answers: Answer[] = [];
const record: ResponseObserver = (a) => answers.push({ ...a });

describe("the verifier service", () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let config: ServiceConfig;
  let stack: Stack;
  let client: VerifierClient;
  let admin: VerifierClient;
  let prover: ProverClient;
  let clientKey: string;
  let adminKey: string;
  const extra: { close(): Promise<void> }[] = [];

  const hashOf = (subjectId: string) => subjectHash("credit-report-v1", "subjectId", subjectId);
  /** A fresh challenge for the eligible applicant, and the holder's presentation for it. */
  const fresh = async (
    policyId = SAMPLE_POLICY_ID,
  ): Promise<{ challenge: Challenge; presentation: Presentation }> => {
    const challenge = await client.issueChallenge(
      policyId,
      hashOf(stack.applicants.eligible.subjectId),
    );
    const presentation = await prover.present(stack.applicants.eligible.recordId, challenge);
    return { challenge, presentation };
  };
  /** A request outside the SDK (bad bodies, bad keys), recorded like the others. */
  const raw = async (
    method: string,
    path: string,
    options: { body?: string; key?: string | null; contentType?: string } = {},
  ): Promise<{ status: number; body: unknown; headers: Headers }> => {
    const headers: Record<string, string> = {};
    const key = options.key === undefined ? clientKey : options.key;
    if (key) headers.authorization = `Bearer ${key}`;
    if (options.body !== undefined)
      headers["content-type"] = options.contentType ?? "application/json";
    const response = await fetch(`${stack.verifier.url}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON (metrics, docs)
    }
    answers.push({ method, path, status: response.status, body });
    return { status: response.status, body, headers: response.headers };
  };
  const codes = (v: { reasons: readonly { code: string }[] }) => v.reasons.map((r) => r.code);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "crossproof-verifier-"));
    env = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_ROOT_POLL_MS: "100",
      CROSSPROOF_VERIFY_WORKERS: "1",
      CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1", // the committed keys are development keys
      CROSSPROOF_AUDIT_ANCHOR_SECONDS: "1", // the receipt log is anchored within a second
    };
    config = serviceConfigFromEnv(env);
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
    clientKey = (await readFile(stack.clientKeyPath, "utf8")).trim();
    adminKey = (await readFile(stack.adminKeyPath, "utf8")).trim();
    client = new VerifierClient({ url: stack.verifier.url, apiKey: clientKey, onResponse: record });
    admin = new VerifierClient({ url: stack.verifier.url, apiKey: adminKey, onResponse: record });
    prover = new ProverClient({ url: stack.prover.url });
    const base = samplePolicy(stack.chain.registry.signer as string);
    await admin.createPolicy({ ...base, id: "other-policy" });
    await admin.createPolicy({ ...base, id: "short-lived", challengeTtlSeconds: 1 });
    await admin.createPolicy({ ...base, id: "no-grace", rootGraceSeconds: 0 });
    await admin.createPolicy({
      ...base,
      id: "other-issuer",
      issuers: [privateKeyToAccount(generatePrivateKey()).address],
    });
  }, 120_000);

  afterAll(async () => {
    for (const part of extra.reverse()) await part.close().catch(() => undefined);
    await stack?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("runs the full scenario: challenge, presentation from the prover, verified with the disclosed value, a stored receipt", async () => {
    const { challenge, presentation } = await fresh();
    expect(challenge.query.at(-2)).toMatchObject({ op: "GTE", field: "reportDate" });
    const verdict = await client.verify(SAMPLE_POLICY_ID, presentation);
    expect(verdict).toMatchObject({
      verified: true,
      reasons: [],
      challengeId: challenge.challengeId,
    });
    const jurisdiction = stack.applicants.eligible.subjectId.startsWith("HK") ? "HK" : "CN";
    expect(verdict.disclosed).toEqual({ jurisdiction });
    expect(verdict.issuer).toBe(stack.chain.registry.signer);
    expect(verdict.root).toBe(stack.vault.latestRoot("credit-report-v1")?.root.toString());
    const receipt = await client.receipt(verdict.receiptId);
    expect(receipt).toEqual({
      id: verdict.receiptId,
      createdAt: verdict.checkedAt,
      policyId: SAMPLE_POLICY_ID,
      challengeId: challenge.challengeId,
      root: verdict.root,
      issuer: verdict.issuer,
      verified: true,
      reasons: [],
      checks: expect.any(Array),
    });
    expect(receipt.checks.filter((c) => c.outcome !== "passed")).toEqual([]);
    const used = await client.challenge(challenge.challengeId);
    expect(used.receiptId).toBe(verdict.receiptId);
    expect(used.consumedAt).not.toBeNull();
  });

  it("refuses each bad presentation with its own reason, verified: false, never a 5xx", async () => {
    const { challenge, presentation } = await fresh();
    expect((await client.verify(SAMPLE_POLICY_ID, presentation)).verified).toBe(true);
    // replayed
    expect(codes(await client.verify(SAMPLE_POLICY_ID, presentation))).toEqual([
      "CHALLENGE_CONSUMED",
    ]);
    // a challenge of another policy
    const other = await client.issueChallenge(
      "other-policy",
      hashOf(stack.applicants.eligible.subjectId),
    );
    const forOther = { ...presentation, challengeId: other.challengeId };
    expect(codes(await client.verify(SAMPLE_POLICY_ID, forOther))).toEqual([
      "CHALLENGE_POLICY_MISMATCH",
    ]);
    // expired
    const short = await client.issueChallenge(
      "short-lived",
      hashOf(stack.applicants.eligible.subjectId),
    );
    await new Promise((r) => setTimeout(r, 1_100));
    expect(
      codes(
        await client.verify("short-lived", { ...presentation, challengeId: short.challengeId }),
      ),
    ).toEqual(["CHALLENGE_EXPIRED"]);
    // never issued
    expect(
      codes(await client.verify(SAMPLE_POLICY_ID, { ...presentation, challengeId: "ch_never" })),
    ).toEqual(["CHALLENGE_UNKNOWN"]);
    // the proof made for one challenge, presented with another (unused) one of the same policy
    const next = await client.issueChallenge(
      SAMPLE_POLICY_ID,
      hashOf(stack.applicants.eligible.subjectId),
    );
    expect(
      codes(
        await client.verify(SAMPLE_POLICY_ID, { ...presentation, challengeId: next.challengeId }),
      ),
    ).toEqual([
      "CHALLENGE_MISMATCH",
      ...(next.queryHash === challenge.queryHash ? [] : ["QUERY_MISMATCH"]),
    ]);
  });

  it("refuses a proof about another subject's record (QUERY_MISMATCH) and a root from an issuer the policy does not accept", async () => {
    const { eligible, other } = stack.applicants;
    const challenge = await client.issueChallenge(SAMPLE_POLICY_ID, hashOf(eligible.subjectId));
    // K: the query circuit's public signals are K disclosed outputs, then 4 inputs.
    const k = (await client.circuit("query")).publicSignals.length - 4;
    const swapped = challenge.predicates.map((p, n) =>
      n === 0 ? { ...p, a: hashOf(other.subjectId).toString() } : p,
    );
    const forged = {
      ...challenge,
      predicates: swapped,
      queryHash: computeQueryHash(
        swapped.map((p) => ({
          op: p.op as OpCode,
          i: p.i,
          j: p.j,
          a: BigInt(p.a),
          b: BigInt(p.b),
        })),
        k,
      ).toString(),
    };
    // The honest prover refuses the other record under the bank's own query ...
    await expect(prover.present(other.recordId, challenge)).rejects.toMatchObject({
      code: "PREDICATE_UNSATISFIED",
    });
    // ... and a proof under a rewritten query does not pass for the bank's.
    const aboutOther = await prover.present(other.recordId, forged);
    expect(codes(await client.verify(SAMPLE_POLICY_ID, aboutOther))).toEqual(["QUERY_MISMATCH"]);

    const { presentation } = await fresh("other-issuer");
    expect(codes(await client.verify("other-issuer", presentation))).toEqual([
      "ISSUER_NOT_ACCEPTED",
    ]);
  });

  it("refuses malformed presentations before any pairing work, without using the challenge; a changed signal fails the pairing", async () => {
    const { challenge, presentation } = await fresh();
    const signals = presentation.publicSignals;
    const variants: [string, unknown][] = [
      [
        "a signal equal to r",
        { ...presentation, publicSignals: [FIELD_ORDER.toString(), ...signals.slice(1)] },
      ],
      [
        "a signal above r",
        {
          ...presentation,
          publicSignals: [...signals.slice(0, -1), (FIELD_ORDER + 5n).toString()],
        },
      ],
      [
        "a signal BigInt() cannot read",
        { ...presentation, publicSignals: ["1e3", ...signals.slice(1)] },
      ],
      [
        "a coordinate BigInt() cannot read",
        { ...presentation, proof: { ...(presentation.proof as object), pi_c: ["1e3", "2", "1"] } },
      ],
      [
        "a projective point (z = 2)",
        { ...presentation, proof: { ...(presentation.proof as object), pi_a: ["1", "2", "2"] } },
      ],
      ["too few signals", { ...presentation, publicSignals: signals.slice(1) }],
      ["too many signals", { ...presentation, publicSignals: [...signals, "0"] }],
      ["no proof", { challengeId: presentation.challengeId, publicSignals: signals }],
      ["an extra field", { ...presentation, salt: "1" }],
      ["a string", "presentation"],
    ];
    for (const [, bad] of variants) {
      const verdict = await client.verify(SAMPLE_POLICY_ID, bad);
      expect(verdict.verified).toBe(false);
      expect(codes(verdict)).toEqual(["MALFORMED"]);
    }
    expect((await client.challenge(challenge.challengeId)).consumedAt).toBeNull();

    // A point off the curve passes the shape check and is caught in the worker, before pairing.
    const proof = presentation.proof as { pi_a: string[] };
    const offCurve = {
      ...presentation,
      proof: { ...presentation.proof, pi_a: [proof.pi_a[0], "5", "1"] },
    };
    const off = await client.verify(SAMPLE_POLICY_ID, offCurve);
    expect(codes(off)).toEqual(["MALFORMED"]);
    expect(off.reasons[0]?.message).toContain("not on the curve");

    const second = await fresh();
    const at = second.challenge.predicates.findIndex((p) => p.op === Op.DISCLOSE);
    const changed = {
      ...second.presentation,
      publicSignals: second.presentation.publicSignals.map((s, i) =>
        i === at ? (BigInt(s) + 1n).toString() : s,
      ),
    };
    expect(codes(await client.verify(SAMPLE_POLICY_ID, changed))).toEqual(["PROOF_INVALID"]);
  });

  it("answers bad requests with a 4xx and a stable code", async () => {
    const error = (r: { status: number; body: unknown }) => [
      r.status,
      (r.body as { error: { code: string } }).error.code,
    ];
    expect(error(await raw("POST", "/v1/verifications", { body: '{"policyId": "pilot' }))).toEqual([
      400,
      "INVALID_REQUEST",
    ]);
    expect(
      error(
        await raw("POST", "/v1/verifications", {
          body: JSON.stringify({ policyId: "x", presentation: {}, pad: "x".repeat(300_000) }),
        }),
      ),
    ).toEqual([413, "BODY_TOO_LARGE"]);
    expect(
      error(await raw("POST", "/v1/verifications", { body: "{}", contentType: "text/plain" })),
    ).toEqual([415, "UNSUPPORTED_MEDIA_TYPE"]);
    expect(error(await raw("GET", "/v1/policies", { key: null }))).toEqual([401, "UNAUTHORIZED"]);
    expect(
      error(
        await raw("GET", "/v1/policies", {
          key: "cpk.0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        }),
      ),
    ).toEqual([401, "UNAUTHORIZED"]);
    expect(error(await raw("GET", "/v1/policies", { key: `${clientKey}x` }))).toEqual([
      401,
      "UNAUTHORIZED",
    ]);
    expect(
      error(
        await raw("POST", "/v1/policies", {
          body: JSON.stringify(samplePolicy(stack.chain.registry.signer as string)),
        }),
      ),
    ).toEqual([403, "FORBIDDEN"]);
    expect(error(await raw("POST", "/v1/api-keys", { body: '{"name":"x"}' }))).toEqual([
      403,
      "FORBIDDEN",
    ]);
    expect(error(await raw("GET", "/v1/policies/no-such-policy"))).toEqual([404, "NOT_FOUND"]);
    expect(error(await raw("GET", "/v1/receipts/rc_none"))).toEqual([404, "NOT_FOUND"]);
    expect(error(await raw("GET", "/v1/nothing-here"))).toEqual([404, "NOT_FOUND"]);
    expect(error(await raw("DELETE", "/v1/policies"))).toEqual([405, "INVALID_REQUEST"]);
    expect(
      error(
        await raw("POST", "/v1/verifications", {
          body: JSON.stringify({ policyId: "no-such-policy", presentation: {} }),
        }),
      ),
    ).toEqual([404, "NOT_FOUND"]);
    expect(
      error(
        await raw("POST", "/v1/challenges", {
          body: JSON.stringify({ policyId: SAMPLE_POLICY_ID }),
        }),
      ),
    ).toEqual([400, "INVALID_SUBJECT"]);
    expect(
      error(
        await raw("POST", "/v1/challenges", {
          body: JSON.stringify({ policyId: SAMPLE_POLICY_ID, subjectHash: FIELD_ORDER.toString() }),
        }),
      ),
    ).toEqual([400, "INVALID_SUBJECT"]);
    // The commonest first mistake, sending the identifier itself: the answer says how to hash it.
    const plainId = await raw("POST", "/v1/challenges", {
      body: JSON.stringify({
        policyId: SAMPLE_POLICY_ID,
        subjectHash: stack.applicants.eligible.subjectId,
      }),
    });
    expect(error(plainId)).toEqual([400, "INVALID_REQUEST"]);
    expect((plainId.body as { error: { message: string } }).error.message).toContain(
      'subjectHash("credit-report-v1", "subjectId", applicantId)',
    );
    expect(error(await raw("GET", "/v1/roots/abc"))).toEqual([400, "INVALID_REQUEST"]);

    const policy = samplePolicy(stack.chain.registry.signer as string);
    await expect(admin.createPolicy(policy)).rejects.toMatchObject({
      status: 409,
      code: "POLICY_EXISTS",
    });
    for (const bad of [
      { ...policy, id: "bad-1", schema: "no-such-schema" },
      { ...policy, id: "bad-2", predicates: [{ op: "GTE", field: "noSuchField", value: 1 }] },
      { ...policy, id: "bad-3", predicates: [{ op: "GTE", field: "subjectId", value: 1 }] },
      {
        ...policy,
        id: "bad-4",
        predicates: [{ op: "GTE", field: "creditScore", value: { daysAgo: 3 } }],
      },
      { ...policy, id: "bad-5", issuers: ["0x1234"] },
      { ...policy, id: "bad-6", disclose: ["a", "b", "c", "d", "e", "f", "g", "h"] },
      { ...policy, id: "BAD" },
    ]) {
      await expect(admin.createPolicy(bad)).rejects.toMatchObject({
        status: 400,
        code: "INVALID_POLICY",
      });
    }

    // A revoked client key stops working at once.
    const created = await admin.createApiKey("temporary");
    const temporary = new VerifierClient({
      url: stack.verifier.url,
      apiKey: created.key,
      onResponse: record,
    });
    expect((await temporary.listPolicies()).length).toBeGreaterThan(0);
    expect((await admin.listApiKeys()).map((k) => k.id)).toContain(created.id);
    // A client reads its own challenges and receipts only.
    const mine = await client.issueChallenge(
      SAMPLE_POLICY_ID,
      hashOf(stack.applicants.eligible.subjectId),
    );
    await expect(temporary.challenge(mine.challengeId)).rejects.toMatchObject({
      status: 404,
      code: "NOT_FOUND",
    });
    expect((await admin.challenge(mine.challengeId)).challengeId).toBe(mine.challengeId);
    await admin.revokeApiKey(created.id);
    await expect(temporary.listPolicies()).rejects.toMatchObject({
      status: 401,
      code: "UNAUTHORIZED",
    });
    const stored = await stack.verifier.store.getApiKey(created.id);
    expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(created.key).not.toContain(stored?.secretHash);
  });

  it("limits each key's request rate (a second instance on the same database)", async () => {
    const limited: VerifierService = await startVerifierService({
      config: { ...config, rateLimit: 3, verifyWorkers: 1 },
      env,
      registry: stack.chain.registry,
      logger: createLogger("verifier"),
      port: 0,
    });
    extra.push(limited);
    const c = new VerifierClient({ url: limited.url, apiKey: clientKey, onResponse: record });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => c.listPolicies()));
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        status: 429,
        code: "RATE_LIMITED",
      });
    // The policies the first instance stored are this one's too.
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await c.policy("short-lived")).challengeTtlSeconds).toBe(1);
  });

  it("verifies a batch: one result per item, in order", async () => {
    const a = await fresh();
    const b = await fresh();
    const batch = await client.verifyBatch([
      { policyId: SAMPLE_POLICY_ID, presentation: a.presentation },
      { policyId: SAMPLE_POLICY_ID, presentation: a.presentation },
      { policyId: SAMPLE_POLICY_ID, presentation: { challengeId: "x" } },
      { policyId: "no-such-policy", presentation: b.presentation },
      { policyId: SAMPLE_POLICY_ID, presentation: b.presentation },
    ]);
    const summary = batch.results.map((r) =>
      "error" in r ? r.error.code : r.verified ? "verified" : codes(r).join(),
    );
    // Items run concurrently: of the two copies of `a`, exactly one is verified.
    expect(summary.slice(0, 2).sort()).toEqual(["CHALLENGE_CONSUMED", "verified"]);
    expect(summary.slice(2)).toEqual(["MALFORMED", "NOT_FOUND", "verified"]);
  });

  it("verifies the same presentation sent many times at once exactly once", async () => {
    const { presentation } = await fresh();
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, () => client.verify(SAMPLE_POLICY_ID, presentation)),
    );
    expect(verdicts.filter((v) => v.verified)).toHaveLength(1);
    for (const v of verdicts.filter((v) => !v.verified))
      expect(codes(v)).toEqual(["CHALLENGE_CONSUMED"]);
  });

  it("lets an auditor key in only where an operation names the auditor (403 FORBIDDEN elsewhere)", async () => {
    const created = await admin.createApiKey("regulator", "auditor");
    expect(created.role).toBe("auditor");
    const key = created.key;
    const challenge = await client.issueChallenge(
      SAMPLE_POLICY_ID,
      hashOf(stack.applicants.eligible.subjectId),
    );
    const refused: [string, string, string?][] = [
      ["GET", "/v1/policies"],
      ["POST", "/v1/policies", JSON.stringify({ id: "auditor-policy" })],
      ["POST", "/v1/challenges", JSON.stringify({ policyId: SAMPLE_POLICY_ID })],
      ["GET", `/v1/challenges/${challenge.challengeId}`],
      ["POST", "/v1/verifications", JSON.stringify({ challengeId: challenge.challengeId })],
      ["GET", "/v1/receipts/r-0"],
      ["POST", "/v1/api-keys", JSON.stringify({ name: "x" })],
      ["GET", "/v1/api-keys"],
    ];
    for (const [method, path, body] of refused) {
      const answer = await raw(method, path, { key, ...(body ? { body } : {}) });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect((answer.body as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    }
    // A client cannot make keys, and no one makes an admin key through the API.
    expect(
      (await raw("POST", "/v1/api-keys", { body: JSON.stringify({ name: "x" }) })).status,
    ).toBe(403);
    const adminRole = await raw("POST", "/v1/api-keys", {
      key: adminKey,
      body: JSON.stringify({ name: "x", role: "admin" }),
    });
    expect(adminRole.status).toBe(400);
    await admin.revokeApiKey(created.id);
  });

  it("shows the auditor flows, the receipt log and its anchoring, never a nonce, subject hash or secret; refuses a client there", async () => {
    const auditorKey = (await readFile(stack.auditorKeyPath, "utf8")).trim();
    const { challenge, presentation } = await fresh();
    expect((await client.verify(SAMPLE_POLICY_ID, presentation)).verified).toBe(true);
    const refusedChallenge = await client.issueChallenge(
      SAMPLE_POLICY_ID,
      hashOf(stack.applicants.eligible.subjectId),
    );
    const audit = [
      "/v1/audit/flows?by=verdict&bucket=hour",
      "/v1/audit/log",
      "/v1/audit/status",
      "/v1/audit/anchors",
    ];
    // A client sees none of it.
    for (const path of audit) {
      const answer = await raw("GET", path);
      expect(answer.status, path).toBe(403);
      expect((answer.body as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    }
    const seen: string[] = [];
    const get = async (path: string) => {
      const answer = await raw("GET", path, { key: auditorKey });
      expect(answer.status, path).toBe(200);
      seen.push(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
      return answer.body;
    };
    for (const by of ["policy", "issuer", "verdict", "reason"]) {
      const flows = (await get(`/v1/audit/flows?by=${by}&bucket=day`)) as {
        rows: { key: string; count: number }[];
      };
      if (by === "verdict") {
        expect(flows.rows.find((r) => r.key === "verified")?.count).toBeGreaterThan(0);
      }
      if (by === "policy") expect(flows.rows.map((r) => r.key)).toContain(SAMPLE_POLICY_ID);
    }
    const badFlows = await raw("GET", "/v1/audit/flows?by=subject", { key: auditorKey });
    expect(badFlows.status).toBe(400);
    expect((badFlows.body as { error: { code: string } }).error.code).toBe("INVALID_REQUEST");

    // The log is anchored within a second (CROSSPROOF_AUDIT_ANCHOR_SECONDS=1 here).
    let status = (await get("/v1/audit/status")) as {
      count: number;
      verifiedUpTo: number;
      lastAnchor: { count: number } | null;
      contract: string;
      anchorer: string;
    };
    for (let i = 0; i < 50 && status.verifiedUpTo === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await get("/v1/audit/status")) as typeof status;
    }
    expect(status.contract).toBe(stack.chain.receiptLogAddress);
    expect(status.verifiedUpTo).toBeGreaterThan(0);
    expect(status.lastAnchor?.count).toBe(status.verifiedUpTo);
    const anchors = (await get("/v1/audit/anchors")) as { anchors: { count: number }[] };
    expect(anchors.anchors[0]?.count).toBe(status.lastAnchor?.count);

    // (`raw` parses a body that is one JSON document: a log of one line is one.)
    const body = await get("/v1/audit/log?limit=10000");
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const parsed = parseLog(text);
    const check = checkLog(parsed.entries, [], parsed.problems);
    expect(check.problems).toEqual([]);
    expect(check.head.count).toBeGreaterThanOrEqual(status.count);
    expect(parsed.entries.some((e) => e.receipt.challengeId === challenge.challengeId)).toBe(true);

    // Nothing the auditor saw holds a nonce, a subject hash, or a key's secret or its hash.
    const secret = clientKey.split(".")[2] as string;
    const clientRecord = (await stack.verifier.store.listApiKeys()).find((k) =>
      clientKey.startsWith(`cpk.${k.id}.`),
    );
    const forbidden = [
      challenge.nonce,
      refusedChallenge.nonce,
      hashOf(stack.applicants.eligible.subjectId).toString(),
      secret,
      clientRecord?.secretHash as string,
      auditorKey,
    ];
    const all = seen.join("\n");
    for (const value of forbidden) expect(all.includes(value), value.slice(0, 12)).toBe(false);
    // The auditor still cannot read a receipt in detail.
    const receiptId = parsed.entries[0]?.receipt.id as string;
    expect((await raw("GET", `/v1/receipts/${receiptId}`, { key: auditorKey })).status).toBe(403);
  });

  it("checks any Groth16 proof against a registered circuit, and serves circuits and keys", async () => {
    const { presentation } = await fresh();
    const bundle = { proof: presentation.proof, publicSignals: presentation.publicSignals };
    expect(await client.checkProof("query", bundle)).toEqual({ valid: true, reasons: [] });
    const changed = {
      ...bundle,
      publicSignals: presentation.publicSignals.map((s, i) => (i === 9 ? "1" : s)),
    };
    expect(codes(await client.checkProof("query", changed))).toEqual(["PROOF_INVALID"]);
    expect(codes(await client.checkProof("commitment", bundle))).toEqual(["MALFORMED"]);
    await expect(client.checkProof("nothing", bundle)).rejects.toMatchObject({
      status: 404,
      code: "NOT_FOUND",
    });

    // The batch endpoint: one result per item, in order; the bad ones named.
    const batch = await client.checkProofs("query", [
      bundle,
      changed,
      { proof: 1, publicSignals: [] },
      bundle,
    ]);
    expect(batch.results.map((r) => (r.valid ? "valid" : r.reasons[0]?.code))).toEqual([
      "valid",
      "PROOF_INVALID",
      "MALFORMED",
      "valid",
    ]);
    // Single checks arriving together share batches (micro-batching): fewer batches than proofs.
    const batches = async () => {
      const text = (await raw("GET", "/metrics", { key: null })).body as string;
      const value = (name: string) =>
        Number(new RegExp(`^crossproof_verifier_batch_size_${name} (\\S+)$`, "m").exec(text)?.[1]);
      return { count: value("count"), sum: value("sum") };
    };
    const before = await batches();
    const answers = await Promise.all(
      Array.from({ length: 24 }, () => client.checkProof("query", bundle)),
    );
    expect(answers.every((a) => a.valid)).toBe(true);
    const after = await batches();
    expect(after.sum - before.sum).toBe(24);
    expect(after.count - before.count).toBeLessThan(24);

    const circuits = await client.circuits();
    expect(circuits.map((c) => c.name).sort()).toEqual(["commitment", "query", "query_v2"]);
    const query = await client.circuit("query");
    expect(query.constraints).toBe(10_628);
    expect(query.setup).toBe("development");
    const vk = await client.verificationKey("query");
    expect(vk.nPublic).toBe(12);
    // The proof's root, as the registry has it.
    const root = await client.root(presentation.publicSignals[8] as string);
    expect(root).toMatchObject({
      anchored: true,
      issuer: stack.chain.registry.signer,
      revokedAt: null,
      issuerActive: true,
    });
    expect(await client.root("12345")).toMatchObject({ anchored: false, issuer: null });
  });

  it("is not ready before the local deployment's prover and sample policy are up", async () => {
    // A fresh database: no sample policy yet, and no prover started.
    const fresh = await mkdtemp(join(tmpdir(), "crossproof-ready-"));
    extra.push({ close: () => rm(fresh, { recursive: true, force: true }) });
    const freshConfig = serviceConfigFromEnv({ ...env, CROSSPROOF_DATA_DIR: fresh });
    let prover: Parameters<typeof deploymentReadiness>[1];
    const early: VerifierService = await startVerifierService({
      config: { ...freshConfig, verifyWorkers: 1 },
      env: { ...env, CROSSPROOF_DATA_DIR: fresh },
      registry: stack.chain.registry,
      logger: createLogger("verifier"),
      port: 0,
      readiness: () => deploymentReadiness(early.store, prover),
    });
    extra.push(early);
    const readyz = async () => {
      const answer = await fetch(`${early.url}/readyz`);
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    };
    expect(await readyz()).toMatchObject({
      status: 503,
      body: {
        ready: false,
        checks: {
          store: { ok: true },
          prover: { ok: false, detail: "starting" },
          samplePolicy: { ok: false, detail: `${SAMPLE_POLICY_ID} not created yet` },
        },
      },
    });
    prover = stack.prover;
    expect((await readyz()).status).toBe(503); // the policy still missing
    await early.verifier.createPolicy(samplePolicy(stack.chain.registry.signer as string));
    expect(await readyz()).toMatchObject({
      status: 200,
      body: { ready: true, checks: { prover: { ok: true }, samplePolicy: { ok: true } } },
    });
  });

  it("serves health, readiness, metrics by verdict and reason, the OpenAPI document and its page, with security headers", async () => {
    expect(await client.health()).toEqual({ status: "ok" });
    const ready = await client.ready();
    expect(ready.ready).toBe(true);
    expect(ready.warnings.join()).toContain("development");
    // Development keys are allowed here, and the service says so plainly.
    expect(ready.checks.keys?.detail).toContain("CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1");
    const metrics = await raw("GET", "/metrics", { key: null });
    expect(metrics.body).toMatch(
      /crossproof_verifier_verifications_total\{verdict="verified",reason="none"\} [1-9]/,
    );
    expect(metrics.body).toMatch(
      /crossproof_verifier_verifications_total\{verdict="refused",reason="CHALLENGE_CONSUMED"\} [1-9]/,
    );
    expect(metrics.body).toContain("crossproof_verifier_verification_seconds_bucket");
    expect(metrics.body).toContain("crossproof_verifier_pool_queue_depth");
    const docs = await raw("GET", "/docs", { key: null });
    expect(docs.status).toBe(200);
    expect(docs.body).toContain("/v1/verifications");
    expect(docs.body).toMatch(/role="alert".*serves development keys/);
    expect(docs.headers.get("content-security-policy")).not.toContain("script");
    const api = await raw("GET", "/openapi.json", { key: null });
    expect((api.body as { openapi: string }).openapi).toBe("3.1.0");
    for (const h of [
      "x-content-type-options",
      "x-frame-options",
      "content-security-policy",
      "referrer-policy",
    ]) {
      expect(api.headers.get(h)).toBeTruthy();
    }
    expect(api.headers.get("cache-control")).toBe("no-store");
  });

  it("keeps consumed challenges consumed across a restart of the verifier", async () => {
    const { presentation } = await fresh();
    expect((await client.verify(SAMPLE_POLICY_ID, presentation)).verified).toBe(true);
    const restarted = await startVerifierService({
      config: { ...config, verifyWorkers: 1 },
      env,
      registry: stack.chain.registry,
      logger: createLogger("verifier"),
      port: 0,
    });
    extra.push(restarted);
    await stack.verifier.close();
    const after = new VerifierClient({ url: restarted.url, apiKey: clientKey, onResponse: record });
    expect(codes(await after.verify(SAMPLE_POLICY_ID, presentation))).toEqual([
      "CHALLENGE_CONSUMED",
    ]);
    // The rest of the suite talks to the new instance.
    client = after;
    admin = new VerifierClient({ url: restarted.url, apiKey: adminKey, onResponse: record });
    (stack as { verifier: VerifierService }).verifier = restarted;
  });

  it("answers 503 REGISTRY_UNAVAILABLE while the chain node is down, consumes nothing, and recovers", async () => {
    const { challenge, presentation } = await fresh();
    const node = stack.chain.node as LocalNode;
    const port = Number(new URL(node.rpcUrl).port);
    await node.kill();
    await new Promise((r) => setTimeout(r, 400)); // a failed poll empties the root cache
    const error = await client.verify(SAMPLE_POLICY_ID, presentation).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, code: "REGISTRY_UNAVAILABLE" });
    const ready = await client.ready();
    expect(ready.ready).toBe(false);
    expect(ready.checks.registry?.ok).toBe(false);
    expect((await client.challenge(challenge.challengeId)).consumedAt).toBeNull();

    const revived = await LocalNode.start({ dataDir, port, saveIntervalMs: 0 });
    extra.push({ close: () => revived.stop() });
    for (let i = 0; i < 50 && !(await client.ready()).ready; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect((await client.ready()).ready).toBe(true);
    expect((await client.verify(SAMPLE_POLICY_ID, presentation)).verified).toBe(true);
  });

  it("accepts a replaced root within the policy's grace period, refuses it past the period, and refuses a revoked root", async () => {
    const schema = getSchema("credit-report-v1");
    const before = await fresh();
    const beforeNoGrace = await fresh("no-grace");
    // The issuer adds records: a new root, and the old one is marked replaced on chain.
    const file = join(dataDir, "more.jsonl");
    await writeFile(
      file,
      syntheticRecordRows({ count: 20, seed: 99 })
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(""),
    );
    await stack.vault.importRecords(schema, await readImportFile(file, schema), "more.jsonl");
    const [anchored] = await anchorNewRecords(stack.vault, stack.chain.registry);
    expect(anchored?.outcome).toBe("anchored");
    await new Promise((r) => setTimeout(r, 300)); // the event reaches the root cache
    expect(await client.verify(SAMPLE_POLICY_ID, before.presentation)).toMatchObject({
      verified: true,
    });
    expect(codes(await client.verify("no-grace", beforeNoGrace.presentation))).toEqual([
      "ROOT_REPLACED",
    ]);

    const current = await fresh();
    await stack.chain.registry.revokeRoot(anchored?.root as bigint);
    await new Promise((r) => setTimeout(r, 300));
    expect(codes(await client.verify(SAMPLE_POLICY_ID, current.presentation))).toEqual([
      "ROOT_REVOKED",
    ]);
  });

  describe("the console's endpoints", () => {
    type Json = Record<string, unknown>;
    type ReceiptItem = {
      id: string;
      createdAt: string;
      verified: boolean;
      reasons: string[];
      policyId: string;
    };
    type Page = { receipts: ReceiptItem[]; next: string | null };
    type Check = { check: string; outcome: string; reason?: string };
    const get = async (path: string, key: string | null = clientKey) => {
      const answer = await raw("GET", path, { key });
      return { status: answer.status, body: answer.body as Json };
    };
    /** Every page of a listing, following `next`. */
    const everyPage = async (query: string, key = clientKey, limit = 2) => {
      const seen: ReceiptItem[] = [];
      let cursor: string | null = null;
      for (let n = 0; n < 500; n++) {
        const more = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
        const answer = await get(`/v1/receipts?limit=${limit}${query}${more}`, key);
        expect(answer.status).toBe(200);
        const page = answer.body as unknown as Page;
        seen.push(...page.receipts);
        cursor = page.next;
        if (!cursor) break;
      }
      return seen;
    };
    let auditorKey: string;

    beforeAll(async () => {
      auditorKey = (await admin.createApiKey("console auditor", "auditor")).key;
    });

    it("says who is calling: key id, name and role, for each role", async () => {
      expect((await get("/v1/session", adminKey)).body).toEqual({
        keyId: "admin",
        name: "admin",
        role: "admin",
      });
      const made = await admin.createApiKey("console client");
      expect((await get("/v1/session", made.key)).body).toEqual({
        keyId: made.id,
        name: "console client",
        role: "client",
      });
      expect((await get("/v1/session", auditorKey)).body).toMatchObject({
        name: "console auditor",
        role: "auditor",
      });
      expect((await get("/v1/session", null)).status).toBe(401);
    });

    it("lists a client's own receipts newest first, filtered, in pages; the admin's all; refuses the auditor", async () => {
      const { presentation } = await fresh();
      const verdict = await client.verify(SAMPLE_POLICY_ID, presentation);
      const newest = (await get("/v1/receipts?limit=1")).body as unknown as Page;
      expect(newest.receipts.map((r) => r.id)).toEqual([verdict.receiptId]);
      expect(newest.next).not.toBeNull();

      // Another client's refusal: not in the first client's list, in the admin's.
      const other = await admin.createApiKey("another client");
      const theirs = await raw("POST", "/v1/verifications", {
        key: other.key,
        body: JSON.stringify({ policyId: SAMPLE_POLICY_ID, presentation: { challengeId: "x" } }),
      });
      const theirId = (theirs.body as { receiptId: string }).receiptId;

      const mine = await everyPage("", clientKey, 40);
      const ids = mine.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).not.toContain(theirId);
      const times = mine.map((r) => Date.parse(r.createdAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      // Small pages give the same receipts in the same order as large ones.
      const since = encodeURIComponent(mine[9]?.createdAt as string);
      expect((await everyPage(`&from=${since}`, clientKey, 3)).map((r) => r.id)).toEqual(
        mine.filter((r) => r.createdAt >= (mine[9]?.createdAt as string)).map((r) => r.id),
      );
      const all = await everyPage("", adminKey, 200);
      expect(all.map((r) => r.id)).toContain(theirId);
      expect(all.length).toBeGreaterThan(mine.length);

      const refused = await everyPage("&verdict=refused", clientKey, 50);
      expect(refused.length).toBeGreaterThan(3);
      expect(refused.every((r) => !r.verified)).toBe(true);
      const verified = await everyPage("&verdict=verified", clientKey, 50);
      expect(verified.length + refused.length).toBe(mine.length);
      const revoked = await everyPage("&reason=ROOT_REVOKED", clientKey, 50);
      expect(revoked.length).toBeGreaterThan(0);
      expect(revoked.every((r) => r.reasons.includes("ROOT_REVOKED"))).toBe(true);
      const noGrace = await everyPage("&policy=no-grace", clientKey, 50);
      expect(noGrace.length).toBeGreaterThan(0);
      expect(noGrace.every((r) => r.policyId === "no-grace")).toBe(true);
      const before = encodeURIComponent(verdict.checkedAt);
      const older = await everyPage(`&to=${before}`, clientKey, 50);
      expect(older.map((r) => r.id)).not.toContain(verdict.receiptId);
      expect(older.length).toBe(mine.length - 1);

      expect((await get("/v1/receipts", auditorKey)).status).toBe(403);
      for (const bad of [
        "limit=0",
        "limit=201",
        "verdict=maybe",
        "reason=NOT_A_REASON",
        "from=yesterday",
        "cursor=bm90LWEtY3Vyc29y",
        "limit=2&limit=3",
        "colour=red",
      ]) {
        const answer = await get(`/v1/receipts?${bad}`);
        expect(answer.status, bad).toBe(400);
        expect((answer.body as { error: { code: string } }).error.code, bad).toBe(
          "INVALID_REQUEST",
        );
      }
    });

    it("shows each check of a receipt: all passed, stopped at the first failure, the proof not run after a refused root", async () => {
      // The issuer's current root was revoked by an earlier test: fresh proofs are refused.
      const { presentation } = await fresh();
      const first = await client.verify(SAMPLE_POLICY_ID, presentation);
      expect(codes(first)).toEqual(["ROOT_REVOKED"]);
      const again = await client.verify(SAMPLE_POLICY_ID, presentation);
      const [verified] = ((await get("/v1/receipts?verdict=verified&limit=1")).body as Page)
        .receipts;
      const checksOf = async (id: string) =>
        ((await get(`/v1/receipts/${id}`)).body as { checks: Check[] }).checks;
      const outcome = (checks: Check[]) =>
        Object.fromEntries(checks.map((c) => [c.check, c.outcome]));

      expect(new Set((await checksOf(verified?.id as string)).map((c) => c.outcome))).toEqual(
        new Set(["passed"]),
      );
      // The same presentation again: refused at the challenge, nothing after it ran.
      const consumed = await checksOf(again.receiptId);
      expect(consumed.find((c) => c.outcome === "failed")).toMatchObject({
        check: "challenge-unused",
        reason: "CHALLENGE_CONSUMED",
      });
      expect(outcome(consumed)).toMatchObject({
        "presentation-shape": "passed",
        "challenge-issued": "passed",
        "challenge-unexpired": "not-run",
        query: "not-run",
        pairing: "not-run",
      });
      // A revoked root: every root check ran, the proof did not.
      const rootRefused = await checksOf(first.receiptId);
      expect(rootRefused.filter((c) => c.outcome === "failed")).toEqual([
        expect.objectContaining({ check: "root-not-revoked", reason: "ROOT_REVOKED" }),
      ]);
      expect(outcome(rootRefused)).toMatchObject({
        query: "passed",
        "root-current": "passed",
        "proof-points": "not-run",
        pairing: "not-run",
      });
    });

    it("counts the receipts per minute with the verdicts and top reasons, and this instance's latency and batch sizes", async () => {
      const answer = await get("/v1/stats?minutes=30", adminKey);
      expect(answer.status).toBe(200);
      const stats = answer.body as z.infer<typeof statsResponse>;
      expect(stats.perMinute).toHaveLength(30);
      expect(stats.perMinute[0]?.minute).toBe(stats.from);
      expect(Date.parse(stats.to) - Date.parse(stats.from)).toBe(30 * 60_000);
      // The same receipts as the admin's listing of the window.
      const window = `&from=${encodeURIComponent(stats.from)}&to=${encodeURIComponent(stats.to)}`;
      const listed = await everyPage(window, adminKey, 200);
      expect(stats.verdicts).toEqual({
        verified: listed.filter((r) => r.verified).length,
        refused: listed.filter((r) => !r.verified).length,
      });
      expect(stats.verdicts.verified).toBeGreaterThan(0);
      const revoked = listed.filter((r) => r.reasons.includes("ROOT_REVOKED")).length;
      expect(stats.topReasons).toContainEqual({ reason: "ROOT_REVOKED", count: revoked });
      const counts = stats.topReasons.map((r) => r.count);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
      expect(stats.topReasons.length).toBeLessThanOrEqual(10);
      expect(stats.latency?.count).toBeGreaterThan(0);
      const { p50, p90, p99 } = stats.latency ?? { p50: 0, p90: 0, p99: 0 };
      expect(p50).toBeGreaterThan(0);
      expect(p50).toBeLessThanOrEqual(p90);
      expect(p90).toBeLessThanOrEqual(p99);
      expect(stats.batchSizes.at(-1)?.le).toBe("+Inf");
      expect(stats.batchSizes.at(-1)?.count).toBeGreaterThan(0);
      expect(stats.perInstance).toEqual(["latency", "batchSizes"]);

      expect((await get("/v1/stats", auditorKey)).status).toBe(200);
      expect(((await get("/v1/stats", auditorKey)).body.perMinute as unknown[]).length).toBe(60);
      expect((await get("/v1/stats")).status).toBe(403);
      for (const bad of ["minutes=0", "minutes=1441", "minutes=ten"]) {
        expect((await get(`/v1/stats?${bad}`, adminKey)).status, bad).toBe(400);
      }
    });

    it("previews a policy in words with its queryHash, storing nothing, validated as creating one", async () => {
      const base = samplePolicy(stack.chain.registry.signer as string);
      const preview = async (body: unknown, subject = "", key = adminKey) => {
        const response = await fetch(`${stack.verifier.url}/v1/policies/preview`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${key}`,
            "content-type": "application/json",
            ...(subject ? { "x-subject-hash": subject } : {}),
          },
          body: JSON.stringify(body),
        });
        const answer = { status: response.status, body: (await response.json()) as Json };
        answers.push({ method: "POST", path: "/v1/policies/preview", ...answer });
        return answer;
      };
      const fresh = await preview({ ...base, id: "previewed" });
      expect(fresh.status).toBe(200);
      expect(fresh.body).toMatchObject({
        id: "previewed",
        schemaId: getSchema("credit-report-v1").schemaId.toString(),
        queryHash: null,
        subjectBound: true,
        exists: false,
        conditions: [
          "subjectId is the subject named by each challenge",
          "creditScore at least 650",
          "totalDebt at most 40% of annualIncome",
          "defaults24m equals 0",
          "reportDate within the last 90 days",
          "discloses jurisdiction",
        ],
      });
      expect(fresh.body.words).toContain("creditScore at least 650, totalDebt at most 40%");
      expect((await get("/v1/policies/previewed")).status).toBe(404);

      // For one subject: the queryHash its challenge issued now carries.
      const subject = hashOf(stack.applicants.eligible.subjectId);
      const forSubject = await preview(base, String(subject));
      expect(forSubject.body.exists).toBe(true);
      const challenge = await client.issueChallenge(SAMPLE_POLICY_ID, subject);
      expect(forSubject.body.queryHash).toBe(challenge.queryHash);
      const unbound = { ...base, id: "previewed-unbound", subject: undefined };
      expect((await preview(unbound)).body.queryHash).toMatch(/^[0-9]+$/);

      const bad = await preview({
        ...base,
        predicates: [{ op: "GTE", field: "creditScores", value: 650 }],
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({
        error: { code: "INVALID_POLICY", details: { field: "creditScores" } },
      });
      expect(JSON.stringify(bad.body)).toContain("creditScores");
      const shape = await preview({ ...base, challengeTtlSeconds: -1 });
      expect(shape.status).toBe(400);
      expect(JSON.stringify(shape.body)).toContain("challengeTtlSeconds");
      expect((await preview(unbound, String(subject))).status).toBe(400);
      const notHash = await preview(base, "EL123456");
      expect(notHash).toMatchObject({ status: 400, body: { error: { code: "INVALID_SUBJECT" } } });
      expect((await preview(base, "", clientKey)).status).toBe(403);
      expect((await preview(base, "", auditorKey)).status).toBe(403);

      // Stored policies carry their words too.
      const listed = (await get("/v1/policies")).body.policies as {
        id: string;
        conditions: string[];
        words: string;
      }[];
      const sample = listed.find((p) => p.id === SAMPLE_POLICY_ID);
      expect(sample?.conditions).toEqual(fresh.body.conditions);
      expect((await get(`/v1/policies/${SAMPLE_POLICY_ID}`)).body.words).toBe(sample?.words);
    });

    it("shows the chain: the registry, its issuers, and roots newest first with replacements and revocations", async () => {
      const answer = await get("/v1/chain");
      expect(answer.status).toBe(200);
      const view = answer.body as {
        chainId: number;
        registry: string;
        block: string;
        issuers: { address: string; name: string; active: boolean }[];
        roots: {
          root: string;
          issuer: string;
          anchoredAt: string;
          replacedAt: string | null;
          revokedAt: string | null;
        }[];
      };
      expect(view.chainId).toBe(stack.chain.chainId);
      expect(view.registry).toBe(stack.chain.registryAddress);
      expect(view.issuers).toContainEqual({
        address: stack.chain.registry.signer,
        name: "crossproof local issuer",
        active: true,
      });
      expect(view.roots.length).toBeGreaterThanOrEqual(2);
      expect(view.roots.length).toBeLessThanOrEqual(200);
      const times = view.roots.map((r) => Date.parse(r.anchoredAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      // The earlier test replaced the first root, then revoked its replacement.
      expect(view.roots.some((r) => r.replacedAt !== null)).toBe(true);
      expect(view.roots.some((r) => r.revokedAt !== null)).toBe(true);
      expect((await get("/v1/chain", auditorKey)).status).toBe(200);
      expect((await get("/v1/chain", adminKey)).body.roots).toEqual(
        (await get("/v1/chain")).body.roots,
      );
    });
  });

  it("answers every request of this suite as its /openapi.json says", async () => {
    const document = (await client.openApi()) as {
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }
        >
      >;
      components: { schemas: Record<string, object> };
    };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    for (const [name, s] of Object.entries(document.components.schemas)) ajv.addSchema(s, name);
    const routes = Object.keys(document.paths).map((p) => ({
      template: p,
      pattern: new RegExp(`^${p.replace(/\{[^}]+\}/g, "[^/]+")}$`),
    }));
    let checked = 0;
    const problems: string[] = [];
    for (const a of answers) {
      const route = routes.find((r) => r.pattern.test(a.path.split("?")[0] as string));
      const where = `${a.method} ${a.path} → ${a.status}`;
      if (!route) {
        // Only the deliberate unknown-route request has no path in the document: a 404 error body.
        if (a.status !== 404 || !ajv.validate("Error", a.body))
          problems.push(`${where}: undocumented`);
        continue;
      }
      const responses = document.paths[route.template]?.[a.method.toLowerCase()]?.responses;
      if (!responses) {
        if (a.status !== 405 || !ajv.validate("Error", a.body))
          problems.push(`${where}: undocumented method`);
        continue;
      }
      const documented = responses[String(a.status)];
      if (!documented) {
        problems.push(`${where}: status not documented`);
        continue;
      }
      const ref = documented.content?.["application/json"]?.schema.$ref;
      if (!ref) continue; // text (metrics), HTML (docs), 204
      const name = ref.split("/").pop() as string;
      if (!ajv.validate(name, a.body)) problems.push(`${where}: ${ajv.errorsText()}`);
      checked++;
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  });

  it("keeps no raw record field, salt or Merkle path in the verifier's database or the logs", async () => {
    const paths = verifierPaths(dataDir);
    const stored = (
      await Promise.all(
        [paths.database, `${paths.database}-wal`].map((f) =>
          readFile(f).catch(() => Buffer.alloc(0)),
        ),
      )
    )
      .map((b) => b.toString("latin1"))
      .join("");
    const log = await readFile(process.env.CROSSPROOF_LOG_FILE as string, "utf8").catch(() => "");
    const rows = (await readFile(join(dataDir, "issuer", "synthetic-credit-reports.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Numbers are searched as whole numbers (log lines hold timestamps and durations).
    const inLog = (v: string) =>
      new RegExp(`(?<![0-9A-Za-z])${v.replace(/[()]/g, "\\$&")}(?![0-9A-Za-z])`).test(log);
    const found: string[] = [];
    for (const r of rows) {
      const kept = stack.vault.record(r.recordId as string);
      const values = [
        r.subjectId as string,
        r.documentFingerprint as string,
        String(r.annualIncome),
        String(r.totalDebt),
        kept.salt.toString(),
        kept.leaf.toString(),
        // Every large encoded slot but the subject's hash, which the bank itself sends in its
        // challenge requests (it knows its applicant).
        ...kept.slots.filter((v, slot) => slot !== 0 && v > 10n ** 7n).map(String),
      ];
      // (Short numbers, such as a debt of 0, are everywhere and prove nothing either way.)
      for (const v of values.filter((v) => v.length >= 7))
        if (stored.includes(v) || inLog(v)) found.push(`${r.recordId}: ${v.slice(0, 12)}…`);
      // The holder's record ids stay on its side too (its own logs may name them).
      if (stored.includes(r.recordId as string)) found.push(`${r.recordId}: record id`);
    }
    expect(found).toEqual([]);
    expect(stored.length).toBeGreaterThan(10_000); // the search did read the database
  });
});
