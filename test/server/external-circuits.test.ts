/**
 * Any Groth16 circuit, not just ours: a small circom circuit of the test's own (not one of
 * crossproof's, and with another number of public signals: 4), compiled here with circom 2, given
 * a development key with snarkjs (a tiny Powers of Tau and one phase-2 beacon), registered through
 * the verifier's API (`POST /v1/circuits`, admin), which registers its key hash on the local chain
 * as a release of kind `external`. Its genuine proofs then verify singly and in a batch, tampered
 * ones are refused, a key with no phase-2 contribution (γ = δ) is refused at registration, and
 * retiring the release on chain stops its proofs from verifying.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VerifierClient } from "crossproof/client";
import { buildBn128 } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verificationKeyHash } from "../../core/circuit-release.js";
import { startVerifierService, type VerifierService } from "../../deploy/services.js";
import { fileExists } from "../../infra/files.js";
import { createLogger } from "../../infra/log.js";
import { verifierPaths } from "../../infra/paths.js";
import { newClientKey } from "../../server/api-keys.js";
import { serviceConfigFromEnv } from "../../server/config.js";
import { startTestChain, type TestChain } from "../helpers/chain.js";

const require = createRequire(import.meta.url);

/** out = x³ + y·z + w, with x private: 4 public signals (out, y, z, w). */
const SOURCE = `pragma circom 2.1.0;

// A test circuit, not one of crossproof's: knowledge of x with x^3 + y*z + w = out.
template CubePlus() {
    signal input x;
    signal input y;
    signal input z;
    signal input w;
    signal output out;
    signal x2 <== x * x;
    signal x3 <== x2 * x;
    signal yz <== y * z;
    out <== x3 + yz + w;
}

component main {public [y, z, w]} = CubePlus();
`;

interface Built {
  readonly wasm: string;
  readonly zkey: string;
  /** The key after one phase-2 step (a beacon). */
  readonly vkey: Record<string, unknown>;
  /** The key straight from `groth16 setup`, with no phase-2 contribution: γ = δ. */
  readonly forgeableVkey: Record<string, unknown>;
}

function run(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`circom exited with ${code}: ${output}`)),
    );
  });
}

/**
 * Compiles the circuit and makes its keys, in a temporary folder named by the source's hash so a
 * second run reuses them (about 5 s the first time).
 */
async function build(): Promise<Built> {
  const tag = createHash("sha256").update(SOURCE).digest("hex").slice(0, 16);
  const dir = join(tmpdir(), `crossproof-external-${tag}`);
  const out = {
    wasm: join(dir, "cube_plus_js", "cube_plus.wasm"),
    zkey: join(dir, "cube_plus.zkey"),
    vkey: join(dir, "verification_key.json"),
    forgeable: join(dir, "forgeable_key.json"),
  };
  if (!(await fileExists(out.forgeable))) {
    const staging = await mkdtemp(join(tmpdir(), "crossproof-external-staging-"));
    await writeFile(join(staging, "cube_plus.circom"), SOURCE);
    // circom 2 (WebAssembly) reaches files through the working folder: compile in place.
    await run([require.resolve("circom2/cli.js"), "cube_plus.circom", "--r1cs", "--wasm"], staging);
    const ptau0 = join(staging, "pot0.ptau");
    const ptau = join(staging, "pot.ptau");
    const final = join(staging, "pot_final.ptau");
    const curve = await buildBn128();
    try {
      await snarkjs.powersOfTau.newAccumulator(curve, 4, ptau0);
    } finally {
      await curve.terminate();
    }
    await snarkjs.powersOfTau.beacon(ptau0, ptau, "external test", "01".repeat(32), 10);
    await snarkjs.powersOfTau.preparePhase2(ptau, final);
    const zkey0 = join(staging, "cube_plus_0.zkey");
    await snarkjs.zKey.newZKey(join(staging, "cube_plus.r1cs"), final, zkey0);
    await snarkjs.zKey.beacon(
      zkey0,
      join(staging, "cube_plus.zkey"),
      "phase 2",
      "02".repeat(32),
      10,
    );
    const vkey = await snarkjs.zKey.exportVerificationKey(join(staging, "cube_plus.zkey"));
    const forgeable = await snarkjs.zKey.exportVerificationKey(zkey0);
    await writeFile(join(staging, "verification_key.json"), JSON.stringify(vkey));
    await writeFile(join(staging, "forgeable_key.json"), JSON.stringify(forgeable));
    await rename(staging, dir).catch(async () => {
      if (!(await fileExists(out.forgeable))) throw new Error("could not place the build");
    });
    await rm(staging, { recursive: true, force: true });
  }
  return {
    wasm: out.wasm,
    zkey: out.zkey,
    vkey: JSON.parse(await readFile(out.vkey, "utf8")),
    forgeableVkey: JSON.parse(await readFile(out.forgeable, "utf8")),
  };
}

describe("external circuits", () => {
  let built: Built;
  let chain: TestChain;
  let dataDir: string;
  let service: VerifierService;
  let adminKey: string;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    key = adminKey,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${service.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const prove = async (x: number, y: number, z: number, w: number) => {
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(
      { x: String(x), y: String(y), z: String(z), w: String(w) },
      built.wasm,
      built.zkey,
    );
    return { proof, publicSignals };
  };

  beforeAll(async () => {
    built = await build();
    chain = await startTestChain();
    dataDir = await mkdtemp(join(tmpdir(), "crossproof-external-verifier-"));
    const env: NodeJS.ProcessEnv = {
      CROSSPROOF_DATA_DIR: dataDir,
      CROSSPROOF_ROOT_POLL_MS: "100",
      CROSSPROOF_VERIFY_WORKERS: "1",
      CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1", // the committed keys are development keys
    };
    service = await startVerifierService({
      config: serviceConfigFromEnv(env),
      env,
      registry: chain.chain.registry,
      registrar: () => chain.chain.admin(),
      logger: createLogger("verifier"),
      port: 0,
    });
    adminKey = (await readFile(verifierPaths(dataDir).adminKey, "utf8")).trim();
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await chain?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses a key with γ = δ at registration, with the reason", async () => {
    const refused = await call("POST", "/v1/circuits", {
      name: "cube-plus",
      verificationKey: built.forgeableVkey,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: "KEY_INVALID",
      message:
        "verification key of cube-plus: γ = δ: the key had no phase-2 contribution, so anyone can forge proofs against it",
      details: { circuit: "cube-plus", check: "gamma-equals-delta" },
    });
    // Nothing reached the chain.
    const keyHash = verificationKeyHash(built.forgeableVkey);
    expect(await chain.chain.registry.lookupRelease(keyHash)).toBeNull();
    // A wrong IC count is refused too, naming it.
    const short = { ...built.vkey, IC: (built.vkey.IC as unknown[]).slice(1) };
    const wrongIc = await call("POST", "/v1/circuits", {
      name: "cube-plus",
      verificationKey: short,
    });
    expect(wrongIc.body.error).toMatchObject({
      code: "KEY_INVALID",
      details: { check: "ic-count" },
    });
  });

  it("registers the key through the API and on chain, admin only", async () => {
    const { record, key: clientKey } = newClientKey("external test client");
    await service.store.putApiKey(record);
    const forbidden = await call(
      "POST",
      "/v1/circuits",
      { name: "cube-plus", verificationKey: built.vkey },
      clientKey,
    );
    expect(forbidden.status).toBe(403);

    const created = await call("POST", "/v1/circuits", {
      name: "cube-plus",
      version: "1.0.0",
      verificationKey: built.vkey,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const keyHash = verificationKeyHash(built.vkey);
    expect(created.body).toMatchObject({
      name: "cube-plus",
      version: "1.0.0",
      kind: "external",
      nPublic: 4,
      keyHash,
    });
    expect(await chain.chain.registry.lookupRelease(keyHash)).toMatchObject({
      name: "cube-plus",
      version: "1.0.0",
      kind: "external",
      retiredAt: null,
    });
    // The same registration again is answered as the first; a name of ours is refused.
    // (through the client SDK this time)
    const again = await new VerifierClient({ url: service.url, apiKey: adminKey }).registerCircuit({
      name: "cube-plus",
      version: "1.0.0",
      verificationKey: built.vkey as never,
    });
    expect(again).toEqual(created.body);
    const ours = await call("POST", "/v1/circuits", { name: "query", verificationKey: built.vkey });
    expect(ours.status).toBe(409);
    expect(ours.body.error).toMatchObject({ code: "CIRCUIT_EXISTS" });

    const listed = await call("GET", "/v1/circuits");
    expect(listed.body.external).toEqual([created.body]);
    const key = await call("GET", "/v1/circuits/cube-plus/verification-key");
    expect(key.body).toEqual(built.vkey);
  });

  it("verifies genuine proofs singly and in a batch, and refuses tampered ones", async () => {
    const genuine = [await prove(3, 4, 5, 6), await prove(2, 7, 1, 0), await prove(1, 1, 1, 1)];
    expect(genuine[0]?.publicSignals).toEqual(["53", "4", "5", "6"]);

    const single = await call("POST", "/v1/circuits/cube-plus/verify", genuine[0]);
    expect(single.body).toEqual({ valid: true, reasons: [] });

    const [first, second, third] = genuine as [
      (typeof genuine)[0],
      (typeof genuine)[0],
      (typeof genuine)[0],
    ];
    // Another statement with the same proof: out claimed as 54.
    const otherStatement = { ...first, publicSignals: ["54", "4", "5", "6"] };
    // The proof of another statement swapped in.
    const swapped = { proof: second.proof, publicSignals: third.publicSignals };
    const tooFew = { ...first, publicSignals: first.publicSignals.slice(0, 3) };
    const batch = await call("POST", "/v1/circuits/cube-plus/verify/batch", {
      items: [first, otherStatement, second, swapped, third, tooFew],
    });
    const results = batch.body.results as { valid: boolean; reasons: { code: string }[] }[];
    expect(results.map((r) => [r.valid, r.reasons.map((c) => c.code)])).toEqual([
      [true, []],
      [false, ["PROOF_INVALID"]],
      [true, []],
      [false, ["PROOF_INVALID"]],
      [true, []],
      [false, ["MALFORMED"]],
    ]);
    expect(results[5]?.reasons[0]).toMatchObject({
      message: expect.stringContaining("publicSignals"),
    });

    // An unknown circuit is a 404 with a stable code, for the single and the batch route.
    for (const path of ["/v1/circuits/nothing/verify", "/v1/circuits/nothing/verify/batch"]) {
      const unknown = await call("POST", path, { items: [first] });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatchObject({
        code: "NOT_FOUND",
        details: { circuit: "nothing" },
      });
    }
  }, 60_000);

  it("stops verifying once the chain admin retires the release", async () => {
    const proof = await prove(3, 4, 5, 6);
    const admin = await chain.chain.admin();
    await admin.retireRelease("cube-plus", "1.0.0", 0);
    await expect
      .poll(
        async () =>
          (
            (await call("POST", "/v1/circuits/cube-plus/verify", proof)).body.reasons as {
              code: string;
            }[]
          )[0]?.code,
        { timeout: 10_000, interval: 100 },
      )
      .toBe("CIRCUIT_RETIRED");
  });
});
