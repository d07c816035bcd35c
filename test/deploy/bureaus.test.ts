/**
 * The two bureaus of the local deployment on a real local chain, without the services: each
 * with its own key, vault and anchored root; the Hong Kong bureau's attestations about some of
 * the mainland's subjects (the same encoded ids) and some nobody else knows; a restart that
 * imports nothing again; and the linked policy's applicants, checked against the vaults.
 */
import { readFile, rm, stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainConnection } from "../../chain/connect.js";
import type { RecordInput } from "../../core/record.js";
import { getSchema } from "../../core/schema.js";
import {
  type Bureau,
  HK_BUREAU,
  HK_ISSUER_NAME,
  hkOnlySubjects,
  hkSyntheticSourcePath,
  MAINLAND_BUREAU,
  openBureaus,
} from "../../deploy/bureaus.js";
import { pickLinkedApplicants, recordMatchers } from "../../deploy/linked-applicants.js";
import { CROSS_BORDER_LINKED_POLICY } from "../../deploy/sample-policies.js";
import { bureauVaultPath, localChainPaths, vaultPath } from "../../infra/paths.js";
import { parsePolicyDefinition } from "../../verifier/policy.js";
import { startTestChain, type TestChain } from "../helpers/chain.js";
import { caught } from "../helpers/errors.js";

const RECORDS = 64;
const SEED = 3;

describe("two bureaus in the local deployment", () => {
  let test: TestChain;
  let bureaus: Bureau[] = [];
  const lines: string[] = [];
  const open = (env: NodeJS.ProcessEnv = test.env) =>
    openBureaus(test.chain, {
      dataDir: test.dataDir,
      env,
      records: RECORDS,
      seed: SEED,
      print: (line) => lines.push(line),
    });
  const closeVaults = () => {
    for (const b of bureaus) b.vault.close();
    bureaus = [];
  };

  beforeAll(async () => {
    test = await startTestChain();
    bureaus = await open();
  }, 120_000);

  afterAll(async () => {
    closeVaults();
    await test?.dispose();
  });

  it("starts the mainland bureau as the local issuer and the Hong Kong one with its own key, registered and anchored", async () => {
    const [mainland, hk] = bureaus as [Bureau, Bureau];
    expect(bureaus.map((b) => [b.name, b.schema])).toEqual([
      [MAINLAND_BUREAU, "credit-report-v1"],
      [HK_BUREAU, "residency-v1"],
    ]);
    expect(mainland.issuer).toBe(test.chain.registry.signer);
    expect(hk.issuer).not.toBe(mainland.issuer);
    const paths = localChainPaths(test.dataDir);
    expect((await stat(paths.hkIssuerKey)).mode & 0o777).toBe(0o600);
    expect(await test.chain.registry.issuerInfo(hk.issuer)).toMatchObject({
      active: true,
      name: HK_ISSUER_NAME,
    });
    // Each bureau's vault is its own file, and each root is on chain under its own issuer.
    expect(mainland.vault).not.toBe(hk.vault);
    for (const [bureau, path] of [
      [mainland, vaultPath(test.dataDir)],
      [hk, bureauVaultPath(test.dataDir, HK_BUREAU)],
    ] as const) {
      await stat(path);
      const status = bureau.vault.status();
      expect(status.map((s) => s.schema)).toEqual([bureau.schema]);
      expect(status[0]).toMatchObject({ unanchored: 0, latest: { state: "anchored" } });
      const root = status[0]?.latest?.root as bigint;
      expect(await test.chain.registry.lookupRoot(root)).toMatchObject({
        issuer: bureau.issuer,
        schemaId: getSchema(bureau.schema).schemaId,
      });
    }
    expect(lines).toContain(`chain: registered the Hong Kong bureau's issuer ${hk.issuer}`);
    expect(
      lines.some((l) => l.startsWith(`issuer: ${RECORDS} synthetic credit reports committed`)),
    ).toBe(true);
    expect(
      lines.filter((l) =>
        /^hk bureau: \d+ synthetic residency attestations committed, \d+ about people in the mainland's reports/.test(
          l,
        ),
      ),
    ).toHaveLength(1);
    expect(lines.filter((l) => / anchored on chain /.test(l)).map((l) => l.split(":")[0])).toEqual([
      "issuer",
      "hk bureau",
    ]);
  });

  it("holds Hong Kong attestations about some of the mainland's subjects, with the same encoded ids, and about people only it knows", async () => {
    const [mainland, hk] = bureaus as [Bureau, Bureau];
    const subjectsOf = (b: Bureau) =>
      new Set(b.vault.recordIds({ schema: b.schema }).map((id) => b.vault.record(id).slots[0]));
    const credit = subjectsOf(mainland);
    const residency = subjectsOf(hk);
    const shared = [...residency].filter((s) => credit.has(s));
    expect(shared.length).toBeGreaterThan(RECORDS / 3);
    expect(shared.length).toBeLessThan(RECORDS);
    expect(residency.size - shared.length).toBe(hkOnlySubjects(RECORDS));
    // All attested in Hong Kong, by the Hong Kong authority.
    const rows = (await readFile(hkSyntheticSourcePath(test.dataDir), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(new Set(rows.map((r) => `${r.jurisdiction} ${r.authority}`))).toEqual(
      new Set(["HK authority:hk-immd"]),
    );
    expect((await stat(hkSyntheticSourcePath(test.dataDir))).mode & 0o777).toBe(0o600);
  });

  it("picks linked applicants the vaults bear out: both records meeting their parts and linking; another's Hong Kong record; one who cannot be proved", async () => {
    const policy = parsePolicyDefinition(
      CROSS_BORDER_LINKED_POLICY.definition(
        [bureaus[0]?.issuer as string],
        [[bureaus[1]?.issuer as string]],
      ),
      8,
    );
    const applicants = await pickLinkedApplicants(test.dataDir, policy, 8);
    const vaults = new Map(bureaus.map((b) => [b.name, b.vault]));
    const subjectSlot = (bureau: string, recordId: string) =>
      vaults.get(bureau)?.record(recordId).slots[0];
    const { eligible, otherHongKong, ineligible } = applicants;
    expect(eligible.records.map((r) => r.bureau)).toEqual([MAINLAND_BUREAU, HK_BUREAU]);
    const [credit, residency] = eligible.records as [
      { bureau: string; recordId: string },
      { bureau: string; recordId: string },
    ];
    expect(subjectSlot(HK_BUREAU, residency.recordId)).toBe(
      subjectSlot(MAINLAND_BUREAU, credit.recordId),
    );
    const other = otherHongKong.records[0] as { bureau: string; recordId: string };
    expect(other.bureau).toBe(HK_BUREAU);
    expect(otherHongKong.subjectId).not.toBe(eligible.subjectId);
    expect(subjectSlot(HK_BUREAU, other.recordId)).not.toBe(
      subjectSlot(MAINLAND_BUREAU, credit.recordId),
    );
    // By the parts' own predicates, from the source files.
    const rows = new Map<string, Record<string, unknown>>();
    for (const path of [
      `${test.dataDir}/issuer/synthetic-credit-reports.jsonl`,
      hkSyntheticSourcePath(test.dataDir),
    ]) {
      for (const line of (await readFile(path, "utf8")).trim().split("\n")) {
        const { recordId, ...record } = JSON.parse(line) as Record<string, unknown>;
        rows.set(recordId as string, record);
      }
    }
    const [creditMeets, hkMeets] = recordMatchers(policy, 8, new Date()) as [
      (r: RecordInput) => boolean,
      (r: RecordInput) => boolean,
    ];
    const row = (id: string) => rows.get(id) as RecordInput;
    expect(creditMeets(row(credit.recordId))).toBe(true);
    expect(hkMeets(row(residency.recordId))).toBe(true);
    expect(hkMeets(row(other.recordId))).toBe(true);
    expect(ineligible.subjectId).not.toBe(eligible.subjectId);
    expect(creditMeets(row(ineligible.records[0]?.recordId as string))).toBe(true);
    const hkRecord = ineligible.records[1];
    if (hkRecord) expect(hkMeets(row(hkRecord.recordId))).toBe(false);
    else expect(ineligible.records).toHaveLength(1);
  });

  it("restarts on the same data folder: same keys, vaults and roots, nothing imported or anchored again", async () => {
    const before = bureaus.map((b) => ({
      issuer: b.issuer,
      records: b.vault.recordIds({ schema: b.schema }).length,
      root: b.vault.status()[0]?.latest?.root,
    }));
    closeVaults();
    await test.reopen();
    lines.length = 0;
    bureaus = await open();
    expect(
      bureaus.map((b) => ({
        issuer: b.issuer,
        records: b.vault.recordIds({ schema: b.schema }).length,
        root: b.vault.status()[0]?.latest?.root,
      })),
    ).toEqual(before);
    expect(lines).toEqual([]);
  });

  it("gives a data folder made before the Hong Kong bureau its bureau on the next start, the mainland's untouched", async () => {
    const mainlandRoot = bureaus[0]?.vault.status()[0]?.latest?.root;
    closeVaults();
    const paths = localChainPaths(test.dataDir);
    for (const path of [
      bureauVaultPath(test.dataDir, HK_BUREAU),
      hkSyntheticSourcePath(test.dataDir),
      paths.hkIssuerKey,
    ]) {
      await rm(path);
    }
    lines.length = 0;
    bureaus = await open();
    const [mainland, hk] = bureaus as [Bureau, Bureau];
    expect(mainland.vault.status()[0]?.latest?.root).toBe(mainlandRoot);
    expect(hk.vault.status()[0]).toMatchObject({ unanchored: 0, latest: { state: "anchored" } });
    expect(lines.map((l) => l.split(":")[0])).toEqual(["chain", "hk bureau", "hk bureau"]);
  });

  it("runs the mainland bureau alone on a remote chain without a Hong Kong key, saying so", async () => {
    closeVaults();
    lines.length = 0;
    // The same chain as a remote one: no local key file is made for a chain it does not run.
    const remote = { ...test.chain, config: { ...test.chain.config, mode: "remote" } };
    bureaus = await openBureaus(remote as ChainConnection, {
      dataDir: test.dataDir,
      env: test.env,
      records: RECORDS,
      seed: SEED,
      print: (line) => lines.push(line),
    });
    expect(bureaus.map((b) => b.name)).toEqual([MAINLAND_BUREAU]);
    expect(lines).toEqual([
      "hk bureau: not started (a remote chain: set CROSSPROOF_HK_ISSUER_KEY or CROSSPROOF_HK_ISSUER_KEY_FILE to an issuer the chain's admin registered)",
    ]);
  });

  it("refuses a Hong Kong key that is the mainland issuer's, with CHAIN_CONFIG", async () => {
    const env = {
      ...test.env,
      CROSSPROOF_HK_ISSUER_KEY_FILE: localChainPaths(test.dataDir).issuerKey,
    };
    expect(await caught(() => open(env))).toMatchObject({
      code: "CHAIN_CONFIG",
      message: expect.stringContaining("each bureau needs its own"),
    });
  });
});
