/**
 * Linked presentations on the holder's side, over HTTP: a prover service holding two bureaus'
 * vaults (a mainland credit bureau's reports, a Hong Kong authority's residency attestations)
 * proves both parts of a linked `query_v2` challenge with a link nonce it draws itself
 * (`POST /v1/presentations/linked`); the client's `presentLinked` asks two provers, one per
 * bureau, for their own record's part with a nonce drawn on the holder's side. Every proof
 * verifies with snarkjs against artifacts/query_v2/verification_key.json and the links of one
 * presentation are equal and non-zero. Bad items are refused with stable codes before any proof
 * is made, and no nonce or record value reaches the log.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, ProverClient, presentLinked } from "../../client/index.js";
import { computeLink } from "../../core/query-v2.js";
import { encodeRecord, type RecordInput } from "../../core/record.js";
import type { Schema } from "../../core/schema.js";
import type { LinkedPresentation } from "../../core/wire/prover.js";
import { type ProverService, startProverService } from "../../deploy/services.js";
import { createLogger } from "../../infra/log.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import { syntheticRows } from "../../issuer/synthetic.js";
import { Vault } from "../../issuer/vault.js";
import { serviceConfigFromEnv } from "../../server/config.js";
import { listen, type RunningService } from "../../server/http.js";
import { createProverApp, ProverMetrics, poolBackend } from "../../server/prover-service.js";
import { GOOD_REPORT } from "../helpers/fixtures.js";
import {
  CREDIT,
  linkedChallenge,
  RESIDENCY,
  V2_SIGNAL,
  verifiesV2,
} from "../helpers/linked-challenge.js";
import { RESIDENCY_SAMPLE } from "../helpers/query-v2.js";

/** The subject both bureaus hold a record about (and that must never reach a log line). */
const SUBJECT = "CN-440305199001011234";
const KNOWN_NONCE = 0x7a11_0c0f_fee5_1234_5678_9abc_def0n;

/** Imports `records` (id → fields) into `vault` and marks the new root anchored. */
async function importAnchored(
  vault: Vault,
  schema: Schema,
  records: readonly (RecordInput & { recordId: string })[],
): Promise<void> {
  const rows = records.map(({ recordId, ...fields }, n) => ({
    line: n + 1,
    recordId,
    slots: encodeRecord(schema, fields),
  }));
  await vault.importRecords(schema, rows, "linked-test");
  const staged = vault.stageNewRecords(schema.id);
  if (!staged) throw new Error("nothing staged");
  // No chain here: the holder's tests need an anchored root, not how it was anchored.
  vault.markAnchored(staged.root, {
    anchoredAt: new Date(),
    blockNumber: null,
    transactionHash: null,
  });
}

/** Synthetic records of `schema` (none about SUBJECT) as import rows. */
function synthetic(schema: string, count: number): (RecordInput & { recordId: string })[] {
  return syntheticRows(schema, {
    count,
    seed: 19,
    asOf: new Date("2026-11-20"),
  }) as (RecordInput & {
    recordId: string;
  })[];
}

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string } };
}

let dir: string;
let mainland: Vault;
let hk: Vault;
let service: ProverService;
const extra: RunningService[] = [];
let mainlandProver: ProverClient;
let hkProver: ProverClient;
let logFile: string;
let logStart: number;

async function post(url: string, path: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

/** Checks a linked presentation of two parts: both proofs verify and share one non-zero link. */
async function expectLinked(
  presentation: LinkedPresentation,
  challenge: Record<string, unknown>,
): Promise<string> {
  expect(Object.keys(presentation).sort()).toEqual([
    "challengeId",
    "linked",
    "proof",
    "publicSignals",
  ]);
  expect(presentation.challengeId).toBe(challenge.challengeId);
  const parts = [presentation, ...(presentation.linked ?? [])];
  expect(parts).toHaveLength(2);
  const linkedPart = (challenge.linked as Record<string, unknown>[])[0] as Record<string, unknown>;
  const expected = [
    {
      schemaId: challenge.schemaId,
      queryHash: challenge.queryHash,
      vault: mainland,
      schema: CREDIT,
    },
    {
      schemaId: linkedPart.schemaId,
      queryHash: linkedPart.queryHash,
      vault: hk,
      schema: RESIDENCY,
    },
  ];
  for (const [i, part] of parts.entries()) {
    const want = expected[i] as (typeof expected)[number];
    expect(part.publicSignals).toHaveLength(13);
    expect(await verifiesV2(part)).toBe(true);
    expect(part.publicSignals[V2_SIGNAL.challenge]).toBe(challenge.nonce);
    expect(part.publicSignals[V2_SIGNAL.schemaId]).toBe(want.schemaId);
    expect(part.publicSignals[V2_SIGNAL.queryHash]).toBe(want.queryHash);
    expect(part.publicSignals[V2_SIGNAL.root]).toBe(
      want.vault.latestRoot(want.schema.id)?.root.toString(),
    );
  }
  const link = presentation.publicSignals[V2_SIGNAL.link] as string;
  expect(link).not.toBe("0");
  expect(presentation.linked?.[0]?.publicSignals[V2_SIGNAL.link]).toBe(link);
  return link;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "crossproof-linked-"));
  logFile = process.env.CROSSPROOF_LOG_FILE ?? join(dir, "prover.log");
  logStart = (await readFile(logFile, "utf8").catch(() => "")).length;
  mainland = await Vault.open(join(dir, "mainland.sqlite"));
  hk = await Vault.open(join(dir, "hk.sqlite"));
  await importAnchored(mainland, CREDIT, [
    ...synthetic(CREDIT.id, 4),
    { recordId: "cr-subject", ...GOOD_REPORT, subjectId: SUBJECT },
  ]);
  await importAnchored(hk, RESIDENCY, [
    ...synthetic(RESIDENCY.id, 4),
    { recordId: "rs-subject", ...RESIDENCY_SAMPLE, subjectId: SUBJECT },
    { recordId: "rs-unemployed", ...RESIDENCY_SAMPLE, employmentStatus: "unemployed" },
  ]);
  const logger = createLogger("prover", { CROSSPROOF_LOG_FILE: logFile });
  const config = serviceConfigFromEnv({ CROSSPROOF_DATA_DIR: dir, CROSSPROOF_PROVER_WORKERS: "2" });
  service = await startProverService({ config, logger, port: 0, vaults: { mainland, hk } });
  // The cross-border case: each bureau's own prover service, holding its own vault alone.
  for (const vault of [mainland, hk]) {
    const app = createProverApp({
      vault,
      backend: poolBackend(service.pool),
      metrics: new ProverMetrics(),
      logger,
    });
    extra.push(await listen(app));
  }
  mainlandProver = new ProverClient({ url: (extra[0] as RunningService).url });
  hkProver = new ProverClient({ url: (extra[1] as RunningService).url });
});

afterAll(async () => {
  for (const s of extra) await s.close();
  await service?.close();
  mainland?.close();
  hk?.close();
  await releaseSnarkjsCurve();
  await rm(dir, { recursive: true, force: true });
});

describe(`linked presentations from a prover holding two bureaus' vaults`, () => {
  let serviceLink: string;

  it("holds both vaults by bureau name, the first the default", () => {
    expect([...service.vaults.keys()]).toEqual(["mainland", "hk"]);
    expect(service.vault).toBe(mainland);
  });

  it("POST /v1/presentations/linked proves both parts with one nonce of its own: both verify, one non-zero link", async () => {
    const challenge = linkedChallenge({ challengeId: "ch-linked-1", nonce: 1001n });
    const answer = await post(service.url, "/v1/presentations/linked", {
      challenge,
      records: [
        { recordId: "cr-subject", bureau: "mainland" },
        { recordId: "rs-subject", bureau: "hk" },
      ],
    });
    expect(answer.status).toBe(200);
    serviceLink = await expectLinked(answer.body as unknown as LinkedPresentation, challenge);
    // the ProverClient's method for the route: the default bureau for part 0, a fresh nonce
    const client = new ProverClient({ url: service.url });
    const again = await client.presentLinked(challenge, [
      { recordId: "cr-subject" },
      { recordId: "rs-subject", bureau: "hk" },
    ]);
    expect(await expectLinked(again, challenge)).not.toBe(serviceLink);
  });

  it("presentLinked: each bureau's prover proves its own record with the holder's nonce; the assembled presentation verifies", async () => {
    const challenge = linkedChallenge({ challengeId: "ch-linked-2", nonce: 1002n });
    const presentation = await presentLinked(
      [
        { prover: mainlandProver, recordId: "cr-subject" },
        { prover: hkProver, recordId: "rs-subject" },
      ],
      challenge,
    );
    const link = await expectLinked(presentation, challenge);
    // a fresh nonce per presentation: another link for the same subject
    expect(link).not.toBe(serviceLink);
  });

  it("presentPart with a given nonce outputs Poseidon(subjectId, nonce), as computed apart", async () => {
    const challenge = linkedChallenge({ challengeId: "ch-linked-3", nonce: 1003n });
    const part = await hkProver.presentPart("rs-subject", challenge, {
      part: 1,
      linkNonce: KNOWN_NONCE,
    });
    expect(await verifiesV2(part)).toBe(true);
    const slots = hk.record("rs-subject").slots;
    expect(part.publicSignals[V2_SIGNAL.link]).toBe(
      computeLink(slots, { index: 0 }, KNOWN_NONCE).toString(),
    );
    // the same subject's credit report under the same nonce: the same link (no proof needed)
    expect(computeLink(mainland.record("cr-subject").slots, { index: 0 }, KNOWN_NONCE)).toBe(
      computeLink(slots, { index: 0 }, KNOWN_NONCE),
    );
  });

  it("refuses bad items with stable codes, before any proof is made", async () => {
    const challenge = linkedChallenge({ challengeId: "ch-linked-4", nonce: 1004n });
    const completed = service.pool.stats.completed;
    const nonce = KNOWN_NONCE.toString();
    const item = (extra: Record<string, unknown>) => ({
      recordId: "rs-subject",
      challenge,
      ...extra,
    });
    const code = async (url: string, path: string, body: unknown) => {
      const a = await post(url, path, body);
      return [a.status, a.body.error?.code];
    };
    const one = (body: unknown) => code(service.url, "/v1/presentations", body);
    const linked = (body: unknown) => code(service.url, "/v1/presentations/linked", body);

    expect(await one(item({ bureau: "macau", part: 1, linkNonce: nonce }))).toEqual([
      404,
      "UNKNOWN_BUREAU",
    ]);
    expect(
      await code(
        (extra[1] as RunningService).url,
        "/v1/presentations",
        item({ bureau: "hk", part: 1, linkNonce: nonce }),
      ),
    ).toEqual([404, "UNKNOWN_BUREAU"]);
    expect(
      await linked({
        challenge,
        records: [{ recordId: "cr-subject" }, { recordId: "rs-subject", bureau: "macau" }],
      }),
    ).toEqual([404, "UNKNOWN_BUREAU"]);
    // the part has a link: the nonce is required; a part without one takes none
    expect(await one(item({ bureau: "hk", part: 1 }))).toEqual([400, "INVALID_CHALLENGE"]);
    const unlinked = linkedChallenge({ single: true, links: [null, null] });
    expect(await one({ recordId: "cr-subject", challenge: unlinked, linkNonce: nonce })).toEqual([
      400,
      "INVALID_CHALLENGE",
    ]);
    expect(await one(item({ bureau: "hk", part: 2, linkNonce: nonce }))).toEqual([
      400,
      "INVALID_CHALLENGE",
    ]);
    // a linked part whose link was changed no longer hashes to its queryHash
    const [linkedPart] = challenge.linked as Record<string, unknown>[];
    const tampered = { ...challenge, linked: [{ ...linkedPart, link: 2 }] };
    expect(
      await one({ ...item({ bureau: "hk", part: 1, linkNonce: nonce }), challenge: tampered }),
    ).toEqual([400, "INVALID_CHALLENGE"]);
    // a record of another schema than its part's
    expect(await one({ recordId: "cr-subject", challenge, part: 1, linkNonce: nonce })).toEqual([
      400,
      "INVALID_CHALLENGE",
    ]);
    // the record is not outside the NIN set
    expect(
      await one({ recordId: "rs-unemployed", bureau: "hk", challenge, part: 1, linkNonce: nonce }),
    ).toEqual([422, "PREDICATE_UNSATISFIED"]);
    expect(
      await linked({
        challenge,
        records: [{ recordId: "cr-subject" }, { recordId: "rs-unemployed", bureau: "hk" }],
      }),
    ).toEqual([422, "PREDICATE_UNSATISFIED"]);
    expect(await linked({ challenge, records: [{ recordId: "cr-subject" }] })).toEqual([
      400,
      "INVALID_REQUEST",
    ]);
    expect(await one(item({ bureau: "hk", part: 1, linkNonce: "not a number" }))).toEqual([
      400,
      "INVALID_REQUEST",
    ]);
    await expect(
      presentLinked([{ prover: mainlandProver, recordId: "cr-subject" }], challenge),
    ).rejects.toThrow("the challenge has 2 parts: give one record per part, not 1");
    const err = await mainlandProver
      .presentPart("cr-subject", challenge, { bureau: "hk" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("UNKNOWN_BUREAU");
    expect(service.pool.stats.completed).toBe(completed);
  });

  it("documents the new items and the linked route in its OpenAPI document", async () => {
    const doc = (await (await fetch(`${service.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths)).toContain("/v1/presentations/linked");
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.PresentationRequest?.properties ?? {}).sort()).toEqual([
      "bureau",
      "challenge",
      "linkNonce",
      "part",
      "recordId",
    ]);
    expect(Object.keys(schemas.LinkedPresentationRequest?.properties ?? {}).sort()).toEqual([
      "challenge",
      "records",
    ]);
    expect(Object.keys(schemas.LinkedPresentation?.properties ?? {}).sort()).toEqual([
      "challengeId",
      "linked",
      "proof",
      "publicSignals",
    ]);
  });

  it("logs ids, bureaus and parts, never a link nonce or the subject", async () => {
    const log = (await readFile(logFile, "utf8")).slice(logStart);
    const lines = log
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.event === "presented-linked")).toContainEqual(
      expect.objectContaining({ recordId: "rs-subject", bureau: "hk", part: 1 }),
    );
    expect(log).not.toContain(KNOWN_NONCE.toString());
    expect(log).not.toContain(SUBJECT);
  });
});
