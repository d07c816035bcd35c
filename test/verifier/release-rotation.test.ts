/**
 * Key rotation on the local chain, with no downtime: the verifier holds two keys of the `query`
 * circuit (the committed release, registered by the local chain on its first start, and a
 * second release made in the test by one more phase-2 step on the committed zkey), a policy
 * accepts both, and the chain admin registers the new one and retires the old one with a grace
 * period. Proofs under the old key are accepted during the grace period and refused after it
 * with CIRCUIT_RETIRED, though the verifier's release cache was filled before the retirement
 * (the event invalidates it); a proof under a release the chain never registered is refused with
 * CIRCUIT_UNREGISTERED.
 */
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subjectHash } from "crossproof/client";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeyHash, verificationKeyHash } from "../../core/circuit-release.js";
import { parseProofRequest } from "../../core/proof-request.js";
import type { Presentation } from "../../core/wire/common.js";
import { SAMPLE_POLICY_ID, type Stack, samplePolicy, startStack } from "../../deploy/local.js";
import { type CircuitRelease, loadCircuitRelease } from "../../infra/artifacts.js";
import { fileExists, sha256File } from "../../infra/files.js";
import { createLogger } from "../../infra/log.js";
import { circuitArtifactPaths } from "../../infra/paths.js";
import { loadNativeAddon, NativeProver } from "../../prover/native/index.js";
import { witnessFor } from "../../prover/present-record.js";
import { proveQuery, queryShape } from "../../prover/prove-query.js";
import { buildQueryInput } from "../../prover/query-input.js";
import { serviceConfigFromEnv } from "../../server/config.js";
import { challengeJson } from "../../server/verifier-api.js";

/** The new release's version, as the admin registers it. */
const NEXT = "2.0.0";

/**
 * A second `query` release: the committed zkey with one more phase-2 step (a beacon, so the same
 * inputs give the same key), its verification key and a manifest with the new hashes. Cached in
 * the temporary folder by the committed zkey's hash: the step takes about 10 s of CPU.
 */
async function secondRelease(): Promise<string> {
  const committed = circuitArtifactPaths("query");
  const tag = (await sha256File(committed.zkey)).slice(0, 16);
  const root = join(tmpdir(), `crossproof-rotation-${tag}`);
  const paths = circuitArtifactPaths("query", root);
  if (await fileExists(paths.manifest)) return root;
  const staging = await mkdtemp(join(tmpdir(), "crossproof-rotation-staging-"));
  const dir = join(staging, "query");
  await mkdir(dir);
  const zkey = join(dir, "query.zkey");
  await snarkjs.zKey.beacon(
    committed.zkey,
    zkey,
    "rotation test",
    "72c2f1b3e0d4a5968778695a4b3c2d1e0f0e1d2c3b4a59687766554433221100",
    10,
  );
  const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
  await writeFile(join(dir, "verification_key.json"), `${JSON.stringify(vkey, null, 1)}\n`);
  await copyFile(committed.wasm, join(dir, "query.wasm"));
  // The Solidity verifier is not used here; the manifest lists it, so a copy keeps it whole.
  await copyFile(committed.solidityVerifier, join(dir, "Verifier.sol"));
  const manifest = JSON.parse(await readFile(committed.manifest, "utf8")) as {
    files: Record<string, { path: string; sha256: string }>;
  };
  for (const entry of Object.values(manifest.files)) {
    entry.sha256 = await sha256File(join(dir, entry.path));
  }
  await writeFile(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await mkdir(root, { recursive: true });
  await rename(dir, paths.dir).catch(async () => {
    if (!(await fileExists(paths.manifest))) throw new Error("could not place the release");
  });
  await rm(staging, { recursive: true, force: true });
  return root;
}

describe("circuit releases on the local chain", () => {
  let dataDir: string;
  let stack: Stack;
  let oldRelease: CircuitRelease;
  let newRelease: CircuitRelease;
  let oldKey: KeyHash;
  let newKey: KeyHash;
  let oldVersion: string;
  const natives = new Map<CircuitRelease, NativeProver>();

  /** A challenge of `policyId` for the eligible applicant, and a proof of it with `release`. */
  const present = async (
    policyId: string,
    release: CircuitRelease,
    version?: string,
  ): Promise<Presentation & { release?: string }> => {
    const { verifier } = stack.verifier;
    const { eligible } = stack.applicants;
    const challenge = await verifier.issueChallenge(
      policyId,
      subjectHash("credit-report-v1", "subjectId", eligible.subjectId).toString(),
      "client",
    );
    // Read as the holder reads a challenge it is forwarded.
    const request = parseProofRequest(challengeJson(challenge), release.manifest.nOutputs);
    if (request.circuit !== "query") throw new Error("the rotation policy proves with query");
    const witness = witnessFor(stack.vault, eligible.recordId, request, release.manifest.nOutputs);
    // The native engine where it was built (several times faster), else snarkjs.
    const native = natives.get(release);
    const bundle = native
      ? (await native.prove(buildQueryInput(witness, queryShape(release).depth))).bundle
      : await proveQuery(release, witness);
    return {
      challengeId: challenge.id,
      proof: bundle.proof,
      publicSignals: bundle.publicSignals,
      ...(version === undefined ? {} : { release: version }),
    };
  };
  const verify = async (policyId: string, presentation: unknown) => {
    const verdict = await stack.verifier.verifier.verify(policyId, presentation, "client");
    return verdict.reasons.map((r) => r.code);
  };

  beforeAll(async () => {
    const nextRoot = await secondRelease();
    dataDir = await mkdtemp(join(tmpdir(), "crossproof-rotation-"));
    const env: NodeJS.ProcessEnv = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_ROOT_POLL_MS: "100",
      CROSSPROOF_VERIFY_WORKERS: "1",
      CROSSPROOF_PROVER_WORKERS: "1",
      CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1", // the committed keys are development keys
      CROSSPROOF_EXTRA_RELEASES: nextRoot,
    };
    stack = await startStack({
      config: serviceConfigFromEnv(env),
      env,
      logger: createLogger("crossproof"),
      records: 50,
      seed: 16,
      print: () => {},
      verifierPort: 0,
      proverPort: 0,
    });
    oldRelease = await loadCircuitRelease("query");
    newRelease = await loadCircuitRelease("query", nextRoot);
    if (loadNativeAddon().available) {
      for (const release of [oldRelease, newRelease]) {
        natives.set(
          release,
          await NativeProver.open({
            wasm: await readFile(release.paths.wasm),
            zkey: await readFile(release.paths.zkey),
          }),
        );
      }
    }
    oldKey = verificationKeyHash(oldRelease.verificationKey);
    newKey = verificationKeyHash(newRelease.verificationKey);
    const registered = await stack.chain.registry.lookupRelease(oldKey);
    oldVersion = registered?.version ?? "";
    const issuer = stack.policy.issuers[0] as string;
    await stack.verifier.verifier.createPolicy({
      ...samplePolicy(issuer),
      id: "rotation",
      releases: { versions: [oldVersion, NEXT] },
    });
    await stack.verifier.verifier.createPolicy({
      ...samplePolicy(issuer),
      id: "next-only",
      releases: { range: { from: "2.0", below: "3" } },
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("registers the shipped releases on the local chain's first start", async () => {
    expect(oldVersion).toMatch(/^dev-[0-9a-f]{12}$/);
    const listed = await stack.chain.registry.listReleases();
    expect(listed.map((r) => [r.name, r.kind, r.retiredAt])).toEqual([
      ["commitment", "development", null],
      ["query", "development", null],
      ["query_v2", "development", null],
    ]);
    expect(newKey).not.toBe(oldKey);
  });

  it("rotates the query key with a grace period, through the event-invalidated cache", async () => {
    // Every proof is made first: proving takes seconds, the grace period below only a few.
    const [unregistered, oldFirst, oldDuring, oldAfter, oldNextOnly, newProof, batchOld, batchNew] =
      [
        await present("rotation", newRelease, NEXT),
        await present("rotation", oldRelease),
        await present("rotation", oldRelease),
        await present("rotation", oldRelease),
        await present("next-only", oldRelease),
        await present("rotation", newRelease, NEXT),
        await present("rotation", oldRelease),
        await present("rotation", newRelease, NEXT),
      ];

    // Before the admin registers it, the new release is unknown to the chain.
    expect(await verify("rotation", unregistered)).toEqual(["CIRCUIT_UNREGISTERED"]);

    const admin = await stack.chain.admin();
    await admin.registerRelease("query", NEXT, newKey, "development");
    // The verifier's cache still says "not registered" (it answered that a moment ago) until its
    // event watch sees ReleaseRegistered, one poll later.
    const cache = stack.verifier.roots;
    await expect
      .poll(() => cache.releaseKey("query", NEXT), { timeout: 10_000, interval: 50 })
      .toBe(newKey);

    // A policy naming both accepts proofs under either key; one naming only 2.x refuses the old.
    expect(await verify("rotation", newProof)).toEqual([]);
    expect(await verify("rotation", oldFirst)).toEqual([]);
    expect(await verify("next-only", oldNextOnly)).toEqual(["CIRCUIT_NOT_ACCEPTED"]);
    // In one batch, each proof is checked with its own release's key (one pairing product each).
    const batch = await stack.verifier.verifier.verifyBatch(
      [batchOld, batchNew].map((presentation) => ({ policyId: "rotation", presentation })),
      "client",
    );
    expect(batch.map((v) => ("verified" in v ? v.verified : v.code))).toEqual([true, true]);

    // The old release's status is now answered from memory.
    const hits = cache.stats.hits;
    expect((await cache.lookupRelease(oldKey))?.retiredAt).toBeNull();
    expect(cache.stats.hits).toBe(hits + 1);

    // Retire the old release with a short grace period: accepted until it ends, then refused.
    const graceSeconds = 8;
    await admin.retireRelease("query", oldVersion, graceSeconds);
    const retired = await admin.lookupRelease(oldKey);
    const acceptedUntil = retired?.acceptedUntil?.getTime() ?? 0;
    expect(acceptedUntil).toBe((retired?.retiredAt?.getTime() ?? 0) + graceSeconds * 1000);
    await expect
      .poll(async () => (await cache.lookupRelease(oldKey))?.retiredAt, { timeout: 5_000 })
      .not.toBeNull();
    expect(Date.now()).toBeLessThan(acceptedUntil);
    expect(await verify("rotation", oldDuring)).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, acceptedUntil - Date.now() + 50));
    expect(await verify("rotation", oldAfter)).toEqual(["CIRCUIT_RETIRED"]);

    // The chain's own record, for the CLI and for anyone auditing the rotation.
    const listed = await stack.chain.registry.listReleases();
    expect(
      listed.filter((r) => r.name === "query").map((r) => [r.version, r.retiredAt !== null]),
    ).toEqual([
      [oldVersion, true],
      [NEXT, false],
    ]);
  }, 180_000);

  it("refuses a presentation naming a release the chain never registered", async () => {
    const stray = await present(SAMPLE_POLICY_ID, newRelease, "9.9.9");
    const verdict = await stack.verifier.verifier.verify(SAMPLE_POLICY_ID, stray, "client");
    expect(verdict.reasons).toEqual([
      {
        code: "CIRCUIT_UNREGISTERED",
        message: "no release query 9.9.9 is registered on the verifier's chain",
      },
    ]);
  }, 60_000);
});
