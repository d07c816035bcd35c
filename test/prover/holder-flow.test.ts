import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomFieldElement } from "../../core/field.js";
import { proofRequestToJson, type QueryProofRequest } from "../../core/proof-request.js";
import { parseQueryPublicSignals } from "../../core/public-signals.js";
import { compileQuery, evaluatePredicate, type PredicateSpec } from "../../core/query.js";
import { getSchema } from "../../core/schema.js";
import { MAX_BATCH } from "../../core/wire/common.js";
import { createLogger } from "../../infra/log.js";
import { vaultPath } from "../../infra/paths.js";
import { anchorNewRecords, revokeRecord } from "../../issuer/anchor.js";
import { readImportFile } from "../../issuer/import-file.js";
import { Vault } from "../../issuer/vault.js";
import { loadNativeAddon } from "../../prover/native/addon.js";
import { ProverPool } from "../../prover/pool.js";
import { presentRecord, witnessFor } from "../../prover/present-record.js";
import { checkQueryWitness, queryShape } from "../../prover/prove-query.js";
import { listen, type RunningService } from "../../server/http.js";
import { createProverApp, ProverMetrics, poolBackend } from "../../server/prover-service.js";
import { checkQueryProof } from "../../support/check-query.js";
import { startTestChain, type TestChain } from "../helpers/chain.js";
import { BIN, cliEnv, crossproof, crossproofOk } from "../helpers/cli.js";
import { caught } from "../helpers/errors.js";
import { scanLog } from "../helpers/log-scan.js";

/** The prover service's answers, as far as these tests read them. */
interface Answer {
  challengeId: string;
  proof: unknown;
  publicSignals: string[];
  presentation: { challengeId: string; proof: unknown; publicSignals: string[] };
  error: { code: string };
  results: Answer[];
}

const schema = getSchema("credit-report-v1");
const AS_OF = "2026-11-20";

/** The pilot policy for one applicant, as a verifier would resolve it. */
function policy(subjectId: string): PredicateSpec[] {
  return [
    { op: "EQ", field: "subjectId", value: subjectId },
    { op: "GTE", field: "creditScore", value: 650 },
    { op: "RATIO_LTE", field: "totalDebt", per: "annualIncome", numerator: 40, denominator: 100 },
    { op: "EQ", field: "defaults24m", value: 0 },
    { op: "DISCLOSE", field: "jurisdiction" },
  ];
}

const native = loadNativeAddon();

/** Both proving engines; the native one only where its addon is built (and says so otherwise). */
const ENGINES = [
  { engine: "native", skip: native.available ? "" : ` (skipped: ${native.reason})` },
  { engine: "snarkjs", skip: "" },
] as const;

for (const { engine, skip } of ENGINES) {
  describe.skipIf(skip !== "")(
    `the holder's side: vault, anchoring, proving in the pool, the prover service, on the ${engine} engine${skip}`,
    () => holderSuite(engine),
  );
}

/** The holder's end-to-end tests, proving with `engine`. */
function holderSuite(engine: "native" | "snarkjs"): void {
  let t: TestChain;
  let vault: Vault;
  let pool: ProverPool;
  let k: number;
  let records: Record<string, unknown>[];
  let logFile: string;
  /** Indices, among the first 60 records, of those that meet their applicant's policy. */
  let eligible: number[];

  const requestFor = (subjectId: string): QueryProofRequest => {
    const { predicates, queryHash } = compileQuery(schema, policy(subjectId), k);
    return {
      challengeId: `ch-${randomFieldElement() % 1_000_000n}`,
      nonce: randomFieldElement(),
      schemaId: schema.schemaId,
      queryHash,
      predicates,
    };
  };
  /** The holder's presentation of record `r` for `request` (default: its applicant's policy). */
  const present = (r: Record<string, unknown>, request = requestFor(r.subjectId as string)) =>
    presentRecord(vault, (w) => pool.prove(w), r.recordId as string, request, k);
  /** The verifier's reasons for refusing `presentation` against the vault's anchored root. */
  const refusals = async (
    presentation: { proof: unknown; publicSignals: readonly string[] },
    request: QueryProofRequest,
  ): Promise<string[]> => {
    const verdict = await checkQueryProof(
      pool.release,
      { proof: presentation.proof, publicSignals: presentation.publicSignals },
      {
        root: vault.latestRoot(schema.id)?.root ?? 0n,
        schemaId: schema.schemaId,
        queryHash: request.queryHash,
        challenge: request.nonce,
      },
    );
    return verdict.verified
      ? []
      : verdict.reasons.length > 0
        ? [...verdict.reasons]
        : ["UNVERIFIED"];
  };
  const meets = (n: number): boolean => {
    const r = records[n] as Record<string, unknown>;
    const slots = vault.record(r.recordId as string).slots;
    return compileQuery(schema, policy(r.subjectId as string), k).predicates.every((p) =>
      evaluatePredicate(p, slots),
    );
  };

  beforeAll(async () => {
    t = await startTestChain();
    // The suite's log file (test/global-setup.ts), scanned for record data after every file.
    logFile = process.env.CROSSPROOF_LOG_FILE ?? join(t.dataDir, "prover.log");
    const file = join(t.dataDir, "reports.jsonl");
    await crossproofOk(
      {},
      ...["demo-data", "--count", "1000", "--seed", "21", "--as-of", AS_OF, "--out", file],
    );
    records = (await readFile(file, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    vault = await Vault.open(vaultPath(t.dataDir));
    await vault.importRecords(schema, await readImportFile(file, schema), "reports.jsonl");
    pool = await ProverPool.start({ workers: 2, engine });
    k = queryShape(pool.release).k;
    eligible = records
      .slice(0, 60)
      .map((_, n) => n)
      .filter(meets);
  });
  afterAll(async () => {
    await pool?.close();
    vault?.close();
    await t?.dispose();
  });

  it("imports 1,000 records, anchors one root, proves a sample in the pool, and each verifies against the anchored root", async () => {
    const outcomes = await anchorNewRecords(vault, t.chain.registry);
    expect(outcomes).toHaveLength(1);
    const anchored = outcomes[0];
    expect(anchored).toMatchObject({ outcome: "anchored", size: 1000, schema: "credit-report-v1" });
    const onChain = await t.chain.registry.lookupRoot(anchored?.root ?? 0n);
    expect(onChain).toMatchObject({
      issuer: t.chain.registry.signer,
      schemaId: schema.schemaId,
      replacedAt: null,
    });

    const sample = records
      .map((_, n) => n)
      .filter(meets)
      .slice(0, 4);
    expect(sample).toHaveLength(4);
    const presentations = await Promise.all(
      sample.map(async (n) => {
        const r = records[n] as Record<string, unknown>;
        const request = requestFor(r.subjectId as string);
        return {
          request,
          presentation: await present(r, request),
        };
      }),
    );
    for (const { request, presentation } of presentations) {
      expect(presentation.challengeId).toBe(request.challengeId);
      const root = parseQueryPublicSignals(presentation.publicSignals, k).root;
      expect(root).toBe(anchored?.root);
      expect(onChain?.root).toBe(root);
      expect(await refusals(presentation, request)).toEqual([]);
    }
    // a record that does not meet the policy gets no proof, and uses no worker
    const failing = records.slice(0, 60).findIndex((_, n) => !eligible.includes(n));
    const r = records[failing] as Record<string, unknown>;
    await expect(present(r)).rejects.toMatchObject({ code: "PREDICATE_UNSATISFIED" });
  });

  it("serves presentations over HTTP, refuses bad requests with codes, and exports metrics", async () => {
    const metrics = new ProverMetrics();
    const logger = createLogger("prover", { CROSSPROOF_LOG_FILE: logFile });
    const logStart = (await readFile(logFile, "utf8").catch(() => "")).length;
    const app = createProverApp({ vault, backend: poolBackend(pool), metrics, logger });
    const service: RunningService = await listen(app);
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${service.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "test-1" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      return {
        status: res.status,
        body: (await res.json()) as Answer,
        headers: res.headers,
      };
    };
    try {
      const n = eligible[5] as number;
      const r = records[n] as Record<string, unknown>;
      const request = requestFor(r.subjectId as string);
      const ok = await post("/v1/presentations", {
        recordId: r.recordId,
        challenge: proofRequestToJson(request),
      });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-request-id")).toBe("test-1");
      expect(Object.keys(ok.body).sort()).toEqual(["challengeId", "proof", "publicSignals"]);
      expect(await refusals(ok.body, request)).toEqual([]);

      const unknown = await post("/v1/presentations", {
        recordId: "nobody",
        challenge: proofRequestToJson(request),
      });
      expect([unknown.status, unknown.body.error.code]).toEqual([404, "UNKNOWN_RECORD"]);
      const tampered = await post("/v1/presentations", {
        recordId: r.recordId,
        challenge: { ...proofRequestToJson(request), queryHash: "1" },
      });
      expect([tampered.status, tampered.body.error.code]).toEqual([400, "INVALID_CHALLENGE"]);
      const notJson = await post("/v1/presentations", "{recordId:");
      expect([notJson.status, notJson.body.error.code]).toEqual([400, "INVALID_REQUEST"]);
      const huge = await post("/v1/presentations", { recordId: "x".repeat(300_000) });
      expect([huge.status, huge.body.error.code]).toEqual([413, "BODY_TOO_LARGE"]);
      const route = await fetch(`${service.url}/v1/nothing`);
      expect(route.status).toBe(404);

      const other = records[eligible[6] as number] as Record<string, unknown>;
      const batch = await post("/v1/presentations/batch", {
        items: [
          {
            recordId: other.recordId,
            challenge: proofRequestToJson(requestFor(other.subjectId as string)),
          },
          { recordId: "nobody", challenge: proofRequestToJson(request) },
        ],
      });
      expect(batch.status).toBe(200);
      expect(batch.body.results[0]?.presentation.publicSignals).toHaveLength(12);
      expect(batch.body.results[1]?.error.code).toBe("UNKNOWN_RECORD");

      const health = await fetch(`${service.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ engine, pool: { workers: 2 } });
      expect(health.headers.get("x-content-type-options")).toBe("nosniff");
      const text = await (await fetch(`${service.url}/metrics`)).text();
      expect(text).toMatch(/crossproof_prover_queue_depth 0/);
      expect(text).toContain(`crossproof_prover_engine_info{engine="${engine}"} 1`);
      expect(text).toMatch(/crossproof_prover_presentations_total\{result="UNKNOWN_RECORD"\} 2/);
    } finally {
      await service.close();
    }
    // What the service logged: ids, routes, codes and times; nothing of any record.
    const log = (await readFile(logFile, "utf8")).slice(logStart);
    expect(log).toMatch(/"route":"\/v1\/presentations","status":200/);
    const record = vault.record(records[0]?.recordId as string);
    for (const r of records.slice(0, 200)) {
      expect(log).not.toContain(r.subjectId as string);
      expect(log).not.toContain(r.documentFingerprint as string);
    }
    expect(log).not.toContain(record.salt.toString());
    expect(scanLog(log)).toEqual([]); // no field element, digest, subject id or body at all
  });

  // The queue's admission is the pool's and the same for both engines: the full batch of 64 is
  // proved on the native engine (seconds); on snarkjs (about 2 s a proof) a batch of 16 shows the
  // same admission and keeps the suite within its time.
  const batchSize = engine === "native" ? MAX_BATCH : 16;
  it(`proves a batch of ${batchSize} on a 2-worker pool as one request, answers QUEUE_FULL with Retry-After only when really saturated, and serves its OpenAPI document`, async () => {
    const metrics = new ProverMetrics();
    const logger = createLogger("prover", { CROSSPROOF_LOG_FILE: logFile });
    // batchSize + 3 proofs on 2 workers; the time limit is not tested here.
    const app = createProverApp({
      vault,
      backend: poolBackend(pool),
      metrics,
      logger,
      requestTimeoutMs: 900_000,
    });
    const service: RunningService = await listen(app, { requestTimeoutMs: 900_000 });
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${service.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Answer, headers: res.headers };
    };
    /** Waits until the pool holds `n` waiting requests. */
    const queuedRequests = async (n: number) => {
      while (pool.stats.queuedRequests !== n) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      const items = Array.from({ length: batchSize }, (_, i) => {
        const r = records[eligible[i % eligible.length] as number] as Record<string, unknown>;
        const request = requestFor(r.subjectId as string);
        return { recordId: r.recordId as string, request };
      });
      const batch = post("/v1/presentations/batch", {
        items: items.map((i) => ({
          recordId: i.recordId,
          challenge: proofRequestToJson(i.request),
        })),
      });
      // The batch holds one place of the queue (2 workers: the default bound is 4 requests).
      await queuedRequests(1);
      const single = () => {
        const r = records[eligible[0] as number] as Record<string, unknown>;
        const request = requestFor(r.subjectId as string);
        return post("/v1/presentations", {
          recordId: r.recordId,
          challenge: proofRequestToJson(request),
        });
      };
      const accepted = [single(), single(), single()];
      await queuedRequests(4);
      const refused = await single();
      expect([refused.status, refused.body.error.code]).toEqual([503, "QUEUE_FULL"]);
      expect(refused.headers.get("retry-after")).toBe("1");

      const answer = await batch;
      expect(answer.status).toBe(200);
      expect(answer.body.results).toHaveLength(batchSize);
      for (const [n, result] of answer.body.results.entries()) {
        const item = items[n] as (typeof items)[number];
        expect(result.presentation.challengeId).toBe(item.request.challengeId);
        expect(await refusals(result.presentation, item.request)).toEqual([]);
      }
      for (const a of await Promise.all(accepted)) expect(a.status).toBe(200);

      // Shapes are checked before anything is proved.
      const extra = await post("/v1/presentations", { recordId: "x", challenge: {}, more: 1 });
      expect([extra.status, extra.body.error.code]).toEqual([400, "INVALID_REQUEST"]);
      const tooMany = await post("/v1/presentations/batch", {
        items: Array.from({ length: MAX_BATCH + 1 }, () => ({ recordId: "x", challenge: {} })),
      });
      expect([tooMany.status, tooMany.body.error.code]).toEqual([400, "INVALID_REQUEST"]);

      const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      expect(document.openapi).toBe("3.1.0");
      expect(Object.keys(document.paths).sort()).toEqual([
        "/docs",
        "/healthz",
        "/metrics",
        "/openapi.json",
        "/v1/presentations",
        "/v1/presentations/batch",
        "/v1/presentations/linked",
      ]);
      const docs = await fetch(`${service.url}/docs`);
      expect(docs.headers.get("content-type")).toMatch(/text\/html/);
      expect(await docs.text()).toContain("crossproof prover API");
    } finally {
      await service.close();
    }
  }, 600_000);

  it("proves a batch file from the command line, one result per line, errors named", async () => {
    const r = records[eligible[7] as number] as Record<string, unknown>;
    const request = requestFor(r.subjectId as string);
    const file = join(t.dataDir, "requests.jsonl");
    await writeFile(
      file,
      [
        { recordId: r.recordId, challenge: proofRequestToJson(request) },
        { recordId: "nobody", challenge: proofRequestToJson(request) },
      ]
        .map((line) => JSON.stringify(line))
        .join("\n"),
    );
    const result = await crossproof(
      { CROSSPROOF_DATA_DIR: t.dataDir, CROSSPROOF_PROVER_ENGINE: engine },
      ...["prove", "--batch", file, "--workers", "1"],
    );
    expect(result.code).toBe(1);
    const [first, second] = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(first.recordId).toBe(r.recordId);
    expect(await refusals(first.presentation, request)).toEqual([]);
    expect(second).toMatchObject({ recordId: "nobody", error: { code: "UNKNOWN_RECORD" } });
    expect(result.stderr).toContain("1 of 2 requests failed");
    expect(result.stderr).toContain(`proving with the ${engine} engine`);
  });

  it("runs as `crossproof prover serve` and stops cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "prover", "serve", "--port", "0", "--workers", "1", "--json"],
      {
        env: cliEnv({
          CROSSPROOF_DATA_DIR: t.dataDir,
          CROSSPROOF_LOG_LEVEL: "silent",
          CROSSPROOF_PROVER_ENGINE: engine,
        }),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => resolve(code)),
    );
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        const match = /"url":"([^"]+)"/.exec(chunk.toString());
        if (match?.[1]) resolve(match[1]);
      });
      void exited.then(() => reject(new Error("the service exited before it listened")));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ engine });
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("revokes a record: the new root replaces the old on chain, and no proof of the record is possible", async () => {
    const before = vault.latestRoot(schema.id);
    const n = eligible[0] as number;
    const r = records[n] as Record<string, unknown>;
    const witnessBefore = witnessFor(
      vault,
      r.recordId as string,
      requestFor(r.subjectId as string),
      k,
    );
    const outcomes = await revokeRecord(vault, t.chain.registry, r.recordId as string);
    expect(outcomes).toMatchObject([{ outcome: "anchored", reason: `revoke:${r.recordId}` }]);
    const old = await t.chain.registry.lookupRoot(before?.root ?? 0n);
    expect(old?.replacedAt).toBeInstanceOf(Date);
    const now = await t.chain.registry.lookupRoot(outcomes[0]?.root ?? 0n);
    expect(now?.replacedAt).toBeNull();

    // the vault refuses
    await expect(present(r)).rejects.toMatchObject({ code: "RECORD_REVOKED" });
    // and a holder that kept the record and its salt cannot reach the new root: the leaf is 0
    const tree = vault.tree(schema.id);
    const path = tree.path(vault.record(r.recordId as string).leafIndex as number);
    expect(path.leaf).toBe(0n);
    const refused = await caught(() => checkQueryWitness({ ...witnessBefore, path }, k));
    expect(refused.code).toBe("RECORD_NOT_IN_TREE");
    // other records still prove against the new root
    const m = eligible[1] as number;
    const other = records[m] as Record<string, unknown>;
    const request = requestFor(other.subjectId as string);
    const presentation = await present(other, request);
    expect(parseQueryPublicSignals(presentation.publicSignals, k).root).toBe(outcomes[0]?.root);
  });

  it("completes a root left pending by an interrupted anchoring, on the next run", async () => {
    const extra = join(t.dataDir, "extra.jsonl");
    const lines = (await readFile(join(t.dataDir, "reports.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .slice(0, 3);
    await writeFile(
      extra,
      `${lines.map((l) => JSON.stringify({ ...JSON.parse(l), recordId: `${JSON.parse(l).recordId}-b` })).join("\n")}\n`,
    );
    await vault.importRecords(schema, await readImportFile(extra, schema), "extra.jsonl");
    // stage as an anchoring would, then "crash" before the chain is asked
    const pending = vault.stageNewRecords(schema.id);
    expect(pending?.state).toBe("pending");
    const r = records[eligible[2] as number] as Record<string, unknown>;
    await expect(present(r)).rejects.toMatchObject({ code: "ROOT_PENDING" });
    const outcomes = await anchorNewRecords(vault, t.chain.registry);
    expect(outcomes).toMatchObject([{ outcome: "anchored", size: 1003 }]);
    // and when the chain confirmed but the vault did not record it, the next run recovers it
    await vault.importRecords(
      schema,
      await readImportFile(extra, schema).then((rows) =>
        rows.map((row) => ({ ...row, recordId: `${row.recordId}-c` })),
      ),
      "extra-c",
    );
    const staged = vault.stageNewRecords(schema.id);
    await t.chain.registry.anchorRoot(schema.schemaId, staged?.root ?? 0n);
    expect(await anchorNewRecords(vault, t.chain.registry)).toMatchObject([
      { outcome: "recovered", size: 1006 },
    ]);
    expect(vault.latestRoot(schema.id)?.state).toBe("anchored");
  });
}
