/**
 * The committed circuit releases match their sources, and work: compiling circuits/ gives the
 * manifest's r1cs, the committed zkey gives the committed verification key and Solidity verifier,
 * and proofs made with the committed files verify — for every operator — while a proof with any
 * public signal changed does not.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCircuitInstances } from "../../circuits/instances.js";
import { textToField } from "../../core/field.js";
import type { ProofBundle } from "../../core/proof.js";
import { queryPublicSignalNames } from "../../core/public-signals.js";
import { Op, type Predicate } from "../../core/query.js";
import { type CircuitRelease, loadCircuitRelease } from "../../infra/artifacts.js";
import { sha256File } from "../../infra/files.js";
import { ARTIFACTS_DIR, packageRoot } from "../../infra/paths.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import { proveQuery } from "../../prover/prove-query.js";
import { checkQueryProof } from "../../support/check-query.js";
import { verifyProof } from "../../support/verify-proof.js";
import { compileForTest } from "../helpers/circuit.js";
import { commit, K, queryWitness, SLOT } from "../helpers/fixtures.js";

const releases = loadCircuitInstances().filter((c) => c.release);

afterAll(releaseSnarkjsCurve);

describe.each(releases)("release of $name", ({ name }) => {
  let release: CircuitRelease;
  beforeAll(async () => {
    release = await loadCircuitRelease(name);
  });

  it("was compiled from the current sources (same r1cs and witness generator)", async () => {
    const compiled = await compileForTest(name);
    expect(await sha256File(compiled.r1cs)).toBe(release.manifest.r1csSha256);
    expect(await sha256File(compiled.wasm)).toBe(release.manifest.files.wasm.sha256);
  });

  it("has the verification key and Solidity verifier of its committed zkey", async () => {
    const vkey = await snarkjs.zKey.exportVerificationKey(release.paths.zkey);
    expect(JSON.parse(JSON.stringify(vkey))).toEqual(release.verificationKey);
    const template = await readFile(
      join(packageRoot("snarkjs"), "templates", "verifier_groth16.sol.ejs"),
      "utf8",
    );
    const solidity = await snarkjs.zKey.exportSolidityVerifier(release.paths.zkey, {
      groth16: template,
    });
    expect(solidity).toBe(await readFile(release.paths.solidityVerifier, "utf8"));
  });

  it("is a development setup, and says so", () => {
    expect(release.manifest.setup.kind).toBe("development");
    expect(release.manifest.setup.note).toMatch(/never use these keys in production/i);
  });
});

describe("loading a release", () => {
  let copy: string;
  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), "crossproof-artifacts-"));
    await cp(join(ARTIFACTS_DIR, "commitment"), join(copy, "commitment"), { recursive: true });
  });
  afterAll(() => rm(copy, { recursive: true, force: true }));

  it("refuses a file whose sha256 differs from the manifest", async () => {
    await expect(loadCircuitRelease("commitment", copy)).resolves.toBeDefined();
    const vkeyPath = join(copy, "commitment", "verification_key.json");
    const original = await readFile(vkeyPath, "utf8");
    await writeFile(vkeyPath, original.replace('"nPublic": 3', '"nPublic": 4'));
    await expect(loadCircuitRelease("commitment", copy)).rejects.toMatchObject({
      code: "ARTIFACT_MISMATCH",
    });
    await writeFile(vkeyPath, original);
  });

  it("says how to make a missing release", async () => {
    const missing = loadCircuitRelease("nothing-here", copy);
    await expect(missing).rejects.toMatchObject({ code: "ARTIFACT_MISSING" });
    await expect(missing).rejects.toThrow(
      /no release of circuit "nothing-here" in .*: run `npm run setup:dev`$/,
    );
  });
});

describe("proofs with the committed query release", () => {
  let release: CircuitRelease;
  const c = commit();
  const p = (op: number, i: number, a: bigint, b = 0n, j = 0): Predicate => ({
    op: op as Predicate["op"],
    i,
    j,
    a,
    b,
  });
  // Two proofs whose eight slots between them use every operator, each true of the good report.
  const FIRST = [
    p(Op.NOOP, 0, 0n),
    p(Op.EQ, SLOT.subjectId, textToField("HK-A123456(7)")),
    p(Op.NE, SLOT.jurisdiction, 156n),
    p(Op.LT, SLOT.latePayments12m, 2n),
    p(Op.LTE, SLOT.latePayments12m, 1n),
    p(Op.GT, SLOT.creditScore, 700n),
    p(Op.GTE, SLOT.creditScore, 650n),
    p(Op.DISCLOSE, SLOT.jurisdiction, 0n),
  ];
  const SECOND = [
    p(Op.BETWEEN, SLOT.creditScore, 650n, 850n),
    p(Op.OUTSIDE, SLOT.defaults24m, 1n, 99n),
    p(Op.RATIO_LTE, SLOT.totalDebt, 100n, 40n, SLOT.annualIncome),
    p(Op.RATIO_GTE, SLOT.annualIncome, 1n, 3n, SLOT.totalDebt),
    p(Op.DISCLOSE, SLOT.creditScore, 0n),
  ];
  const proofs: ProofBundle[] = [];

  beforeAll(async () => {
    release = await loadCircuitRelease("query");
    for (const predicates of [FIRST, SECOND])
      proofs.push(await proveQuery(release, queryWitness(c, predicates, 31337n)));
  });

  it("names its public signals in the order core/public-signals.ts defines", () => {
    expect(release.manifest.publicSignals).toEqual(queryPublicSignalNames(K));
    expect(release.manifest.constraints).toBeLessThanOrEqual(12_000);
  });

  it("verifies a proof for every operator, with the disclosed values", async () => {
    for (const [i, predicates] of [FIRST, SECOND].entries()) {
      const w = queryWitness(c, predicates, 31337n);
      const verdict = await checkQueryProof(release, proofs[i], {
        root: c.tree.root,
        schemaId: c.schema.schemaId,
        queryHash: w.queryHash,
        challenge: 31337n,
      });
      expect(verdict).toMatchObject({ verified: true, reasons: [] });
      expect(verdict.disclosed[i === 0 ? 7 : 4]).toBe(i === 0 ? 344n : 720n);
    }
  });

  it("refuses the proof when any public signal is changed (the challenge included)", async () => {
    const bundle = proofs[0] as ProofBundle;
    for (let s = 0; s < bundle.publicSignals.length; s++) {
      const publicSignals = [...bundle.publicSignals];
      publicSignals[s] = (BigInt(publicSignals[s] as string) + 1n).toString();
      expect(await verifyProof(release, { ...bundle, publicSignals })).toBe(false);
    }
    expect(await verifyProof(release, bundle)).toBe(true);
  });

  it("refuses a proof for another query or challenge before the pairing check", async () => {
    const bundle = proofs[0] as ProofBundle;
    const w = queryWitness(c, FIRST, 31337n);
    const expected = {
      root: c.tree.root,
      schemaId: c.schema.schemaId,
      queryHash: w.queryHash,
      challenge: 31337n,
    };
    expect(
      (await checkQueryProof(release, bundle, { ...expected, challenge: 1n })).reasons,
    ).toEqual(["CHALLENGE_MISMATCH"]);
    expect(
      (await checkQueryProof(release, bundle, { ...expected, queryHash: 1n })).reasons,
    ).toEqual(["QUERY_MISMATCH"]);
    expect((await checkQueryProof(release, bundle, { ...expected, root: 1n })).reasons).toEqual([
      "ROOT_MISMATCH",
    ]);
  });

  it("refuses malformed bundles with INVALID_PROOF: extra signals, signals >= r, bad points", async () => {
    const bundle = proofs[0] as ProofBundle;
    const r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    const bad: unknown[] = [
      { ...bundle, publicSignals: [...bundle.publicSignals, "0"] },
      { ...bundle, publicSignals: [r, ...bundle.publicSignals.slice(1)] },
      { ...bundle, publicSignals: ["-1", ...bundle.publicSignals.slice(1)] },
      { ...bundle, proof: { ...bundle.proof, pi_a: ["1", "2"] } },
      { ...bundle, proof: { ...bundle.proof, protocol: "plonk" } },
      { proof: bundle.proof },
      null,
    ];
    for (const b of bad)
      await expect(verifyProof(release, b)).rejects.toMatchObject({ code: "INVALID_PROOF" });
    expect(
      (
        await checkQueryProof(release, bad[0], {
          root: 0n,
          schemaId: 0n,
          queryHash: 0n,
          challenge: 0n,
        })
      ).reasons,
    ).toEqual(["MALFORMED"]);
  });

  it("refuses points off the curve, and a B on the curve but outside the G2 subgroup", async () => {
    const bundle = proofs[0] as ProofBundle;
    // (1, 3) is not on y² = x³ + 3.
    const offCurve = { ...bundle, proof: { ...bundle.proof, pi_a: ["1", "3", "1"] } };
    await expect(verifyProof(release, offCurve)).rejects.toThrow(/pi_a is not on the curve/);
    // A point of the twist y² = x³ + 3/(9 + u) with x = 2 + u: on the curve, of order ≠ r.
    const twistPoint = [
      ["2", "1"],
      [
        "7292567877523311580221095596750716176434782432868683424513645834767876293070",
        "19659275751359636165940301690575149581329631496732780143538578556285923319774",
      ],
      ["1", "0"],
    ];
    const outsideSubgroup = { ...bundle, proof: { ...bundle.proof, pi_b: twistPoint } };
    await expect(verifyProof(release, outsideSubgroup)).rejects.toMatchObject({
      code: "INVALID_PROOF",
      message: "malformed proof: pi_b is not in the G2 subgroup",
    });
    const expected = { root: 0n, schemaId: 0n, queryHash: 0n, challenge: 0n };
    expect((await checkQueryProof(release, outsideSubgroup, expected)).reasons).toEqual([
      "MALFORMED",
    ]);
  });

  it("refuses to prove a false statement, naming the predicate and never a value", async () => {
    const w = queryWitness(c, [p(Op.GTE, SLOT.creditScore, 800n)], 1n);
    await expect(proveQuery(release, w)).rejects.toMatchObject({
      code: "PREDICATE_UNSATISFIED",
      message: "the record does not satisfy predicate 0 (GTE)",
    });
    await expect(proveQuery(release, { ...w, salt: w.salt + 1n })).rejects.toMatchObject({
      code: "RECORD_NOT_IN_TREE",
    });
  });
});
