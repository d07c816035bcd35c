/**
 * The checks every verification key passes on load (verifier/key-checks.ts), the zkey reader
 * they rely on (core/zkey-file.ts, compared with snarkjs's own export), and the verifier service's
 * refusal of development keys unless `CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1`.
 */
import * as snarkjs from "snarkjs";
import { afterAll, describe, expect, it } from "vitest";
import type { RootRegistry } from "../../chain/registry.js";
import { ErrorCode } from "../../core/errors.js";
import { startVerifierService } from "../../deploy/services.js";
import { type CircuitRelease, loadCircuitRelease } from "../../infra/artifacts.js";
import { createLogger } from "../../infra/log.js";
import { releaseSnarkjsCurve } from "../../infra/snarkjs-runtime.js";
import { assertZkeyMatchesKey, readZkey } from "../../infra/zkey-file.js";
import { serviceConfigFromEnv } from "../../server/config.js";
import { g2Json, initBn254 } from "../../verifier/bn254.js";
import { checkVerificationKey } from "../../verifier/key-checks.js";
import { caught } from "../helpers/errors.js";
import { randomG2, randomTwistPointOutsideG2 } from "../helpers/groth16.js";

afterAll(async () => {
  await releaseSnarkjsCurve();
});

const releases = async (): Promise<CircuitRelease[]> => [
  await loadCircuitRelease("commitment"),
  await loadCircuitRelease("query"),
];

describe("the zkey reader", () => {
  it("reads the same verification key as snarkjs's export, for both committed releases", async () => {
    for (const release of await releases()) {
      const ours = (await readZkey(release.paths.zkey)).verificationKey;
      const theirs = (await snarkjs.zKey.exportVerificationKey(release.paths.zkey)) as Record<
        string,
        unknown
      >;
      for (const field of [
        "nPublic",
        "vk_alpha_1",
        "vk_beta_2",
        "vk_gamma_2",
        "vk_delta_2",
        "IC",
      ]) {
        expect(ours[field], `${release.name} ${field}`).toEqual(theirs[field]);
      }
      await assertZkeyMatchesKey(release.paths.zkey, release.verificationKey, release.name);
    }
  });

  it("lists the development beacon as the one contribution of a committed key", async () => {
    const release = await loadCircuitRelease("commitment");
    const summary = await readZkey(release.paths.zkey);
    expect(summary.contributions).toEqual([
      {
        index: 1,
        name: "crossproof development beacon",
        type: "beacon",
        hash: expect.stringMatching(/^[0-9a-f]{128}$/),
        beacon: release.manifest.setup.beacon,
      },
    ]);
  });
});

describe("checkVerificationKey", () => {
  it("passes the committed keys", async () => {
    for (const release of await releases()) {
      await checkVerificationKey(release.verificationKey, release.name, release.manifest.nPublic);
    }
  });

  it("refuses a G2 point outside the subgroup, a point off the curve, and a count other than nPublic", async () => {
    await initBn254();
    const { verificationKey: vk } = await loadCircuitRelease("commitment");
    const outside = { ...vk, vk_delta_2: g2Json(await randomTwistPointOutsideG2()) };
    const a = await caught(checkVerificationKey(outside, "commitment", 3));
    expect(a.code).toBe(ErrorCode.KEY_INVALID);
    expect(a.details).toEqual({
      circuit: "commitment",
      check: "not-in-subgroup",
      point: "vk_delta_2",
    });
    const [x, y] = vk.IC[1] ?? [];
    const offCurve = {
      ...vk,
      IC: [vk.IC[0], [x, (BigInt(y ?? "0") + 1n).toString(), "1"], ...vk.IC.slice(2)],
    } as typeof vk;
    const b = await caught(checkVerificationKey(offCurve, "commitment", 3));
    expect(b.details).toMatchObject({ check: "not-on-curve", point: "IC[1]" });
    const c = await caught(checkVerificationKey(vk, "commitment", 4));
    expect(c.details).toMatchObject({ check: "n-public" });
    // γ = δ: what snarkjs's `groth16 setup` gives before any contribution.
    const sameDelta = { ...vk, vk_delta_2: vk.vk_gamma_2 };
    const d = await caught(checkVerificationKey(sameDelta, "commitment", 3));
    expect(d.details).toMatchObject({ check: "gamma-equals-delta" });
    // A genuine G2 point that is just another δ passes: the checks are not about the values.
    const other = { ...vk, vk_delta_2: g2Json(await randomG2()) };
    await checkVerificationKey(other, "commitment", 3);
  });
});

describe("the verifier service and development keys", () => {
  it("refuses to start on development keys unless CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1", async () => {
    const env = {
      CROSSPROOF_DATA_DIR: "/nonexistent/never-created",
      CROSSPROOF_LOG_LEVEL: "silent",
    };
    const err = await caught(
      startVerifierService({
        config: serviceConfigFromEnv(env),
        env,
        // Never reached: the releases are checked before anything else is opened.
        registry: {} as RootRegistry,
        logger: createLogger("test", env),
      }),
    );
    expect(err.code).toBe(ErrorCode.DEVELOPMENT_KEYS_REFUSED);
    expect(err.message).toContain("CROSSPROOF_ALLOW_DEVELOPMENT_KEYS=1");
    expect(serviceConfigFromEnv({ ...env, CROSSPROOF_ALLOW_DEVELOPMENT_KEYS: "1" })).toMatchObject({
      allowDevelopmentKeys: true,
    });
  });
});
