/**
 * The checks every Groth16 verification key passes before a verifier uses it, development and
 * production alike. A key that passes its manifest's sha256 can still be unusable or forgeable:
 * - γ = δ: the key had no phase-2 contribution (snarkjs's `groth16 setup` output, used as is);
 *   anyone can then forge proofs, and such keys have been found deployed;
 * - an IC count other than nPublic + 1: public signals would be dropped or read out of range;
 * - a point off its curve or outside its subgroup: the pairing check no longer means anything
 *   (G1 of BN254 has cofactor 1, so on-curve is enough there; G2 needs the subgroup check).
 */

import { ArtifactError, ErrorCode } from "../core/errors.js";
import { BASE_FIELD_MODULUS } from "../core/proof.js";
import type { VerificationKey } from "../infra/artifacts.js";
import { g1FromJson, g2FromJson, initBn254, isInG2Subgroup } from "./bn254.js";

/** Which check a key failed (`details.check` of `KEY_INVALID`). */
export type KeyCheck =
  | "shape"
  | "n-public"
  | "ic-count"
  | "coordinate-range"
  | "not-on-curve"
  | "not-in-subgroup"
  | "gamma-equals-delta";

function fail(circuit: string, check: KeyCheck, message: string, point?: string): never {
  throw new ArtifactError(ErrorCode.KEY_INVALID, `verification key of ${circuit}: ${message}`, {
    details: { circuit, check, ...(point ? { point } : {}) },
  });
}

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

function coordinates(values: readonly unknown[], circuit: string, point: string): void {
  for (const v of values) {
    if (typeof v !== "string" || !DECIMAL.test(v) || BigInt(v) >= BASE_FIELD_MODULUS) {
      fail(circuit, "coordinate-range", `${point} has a coordinate that is not in [0, q)`, point);
    }
  }
}

function g1(value: unknown, circuit: string, point: string) {
  if (!Array.isArray(value) || value.length !== 3 || value[2] !== "1") {
    fail(circuit, "shape", `${point} is not an affine G1 point [x, y, "1"]`, point);
  }
  coordinates(value.slice(0, 2), circuit, point);
  const parsed = g1FromJson(value as string[]);
  if (!parsed) fail(circuit, "not-on-curve", `${point} is not a point of G1`, point);
  return parsed;
}

function g2(value: unknown, circuit: string, point: string) {
  const affine =
    Array.isArray(value) &&
    value.length === 3 &&
    value.every((c) => Array.isArray(c) && c.length === 2) &&
    value[2][0] === "1" &&
    value[2][1] === "0";
  if (!affine) fail(circuit, "shape", `${point} is not an affine G2 point`, point);
  const v = value as string[][];
  coordinates([...(v[0] ?? []), ...(v[1] ?? [])], circuit, point);
  const parsed = g2FromJson(v);
  if (!parsed) fail(circuit, "not-on-curve", `${point} is not on BN254's twist`, point);
  if (!isInG2Subgroup(parsed)) {
    fail(circuit, "not-in-subgroup", `${point} is not in the order-r subgroup of G2`, point);
  }
  return parsed;
}

/**
 * Check a Groth16 BN254 verification key for a circuit with `nPublic` public signals;
 * `KEY_INVALID` naming the failed check (and point) otherwise. Loads mcl-wasm on first use.
 */
export async function checkVerificationKey(
  key: VerificationKey,
  circuit: string,
  nPublic: number,
): Promise<void> {
  await initBn254();
  if (key.protocol !== "groth16" || key.curve !== "bn128") {
    fail(circuit, "shape", "not a Groth16 key on BN254 (bn128)");
  }
  if (key.nPublic !== nPublic) {
    fail(circuit, "n-public", `nPublic is ${key.nPublic}, the circuit has ${nPublic}`);
  }
  if (!Array.isArray(key.IC) || key.IC.length !== nPublic + 1) {
    fail(
      circuit,
      "ic-count",
      `${Array.isArray(key.IC) ? key.IC.length : "no"} IC points for ${nPublic} public signals (needs ${nPublic + 1})`,
    );
  }
  g1(key.vk_alpha_1, circuit, "vk_alpha_1");
  g2(key.vk_beta_2, circuit, "vk_beta_2");
  const gamma = g2(key.vk_gamma_2, circuit, "vk_gamma_2");
  const delta = g2(key.vk_delta_2, circuit, "vk_delta_2");
  key.IC.forEach((point, i) => {
    g1(point, circuit, `IC[${i}]`);
  });
  if (gamma.isEqual(delta)) {
    fail(
      circuit,
      "gamma-equals-delta",
      "γ = δ: the key had no phase-2 contribution, so anyone can forge proofs against it",
    );
  }
}
