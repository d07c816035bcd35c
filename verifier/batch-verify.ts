/**
 * Batched Groth16 verification: many proofs of one circuit checked with one pairing product.
 *
 * A proof (A, B, C) with public signals x is valid when
 *   e(A, B) = e(α, β) · e(L(x), γ) · e(C, δ),  L(x) = IC₀ + Σⱼ xⱼ·ICⱼ.
 * For n proofs and independent random 128-bit weights rᵢ (from the CSPRNG), the batch holds when
 *   Π e(rᵢ·Aᵢ, Bᵢ) · e(−(Σrᵢ)·α, β) · e(−Σᵢ rᵢ·L(xᵢ), γ) · e(−Σ rᵢ·Cᵢ, δ) = 1,
 * which needs n + 3 Miller loops (β, γ, δ prepared once per key) and one final exponentiation,
 * instead of 4n pairings; Σᵢ rᵢ·L(xᵢ) is one multi-scalar multiplication over the key's
 * nPublic + 1 points whatever n is. If every proof is valid the product is 1; if one is not, it
 * is 1 with probability at most about 2⁻¹²⁸ over the weights.
 *
 * A batch that fails says only that some proof in it is bad: the bad ones are found by bisection
 * (halves checked with fresh weights; when a failed set's first half passes, its second half is
 * known to hold a bad proof and is split without its own check), so each good proof still passes
 * and each bad one is named.
 *
 * Every input is validated as `parseProofBundle` validates a single proof (shapes, coordinates
 * below q, affine points, signals below r, as many as the key's nPublic), then the points: A and C
 * on the curve (G1's cofactor is 1), B on the twist and in G2's prime-order subgroup. A malformed
 * item is answered `malformed` and never enters the pairing product.
 */
import { webcrypto } from "node:crypto";
import { FIELD_ORDER as CURVE_ORDER } from "../core/field.js";
import { readProofBundle } from "../core/proof.js";
import type { VerificationKey } from "../infra/artifacts.js";
import {
  fr,
  g1FromJson,
  g2FromJson,
  initBn254,
  isInG2Subgroup,
  mcl,
  millerLoopVec,
} from "./bn254.js";

export { initBn254 } from "./bn254.js";

/** The verdict on one item of a batch. */
export type ItemOutcome = { readonly valid: boolean } | { readonly malformed: string };

/** Work done by one {@link verifyBatch} call (what the benchmarks and tests count). */
export interface BatchStats {
  /** Pairing-product checks (one per batch or sub-batch checked). */
  pairingChecks: number;
  /** Miller loops, those with prepared G2 points included. */
  millerLoops: number;
}

/** Options of {@link verifyBatch}. */
export interface BatchOptions {
  /** Source of the weights' bytes (default: the CSPRNG). Tests only. */
  readonly randomBytes?: (bytes: Uint8Array) => void;
}

/** Most Miller loops given to mcl in one call (bounds its stack use). */
const MILLER_CHUNK = 32;

/** Bytes of a weight: 128 bits, below r. */
const WEIGHT_BYTES = 16;

/** A verification key parsed once, with its fixed G2 points prepared for Miller loops. */
export class PreparedKey {
  readonly nPublic: number;
  readonly alpha: mcl.G1;
  readonly beta: mcl.PrecomputedG2;
  readonly gamma: mcl.PrecomputedG2;
  readonly delta: mcl.PrecomputedG2;
  readonly ic: readonly mcl.G1[];

  private constructor(vk: VerificationKey) {
    const g1 = (p: readonly string[], what: string) => {
      const point = g1FromJson(p);
      if (!point) throw new Error(`verification key: ${what} is not a point of G1`);
      return point;
    };
    const g2 = (p: readonly (readonly string[])[], what: string) => {
      const point = g2FromJson(p);
      if (!point || !isInG2Subgroup(point)) {
        throw new Error(`verification key: ${what} is not a point of G2`);
      }
      return new mcl.PrecomputedG2(point);
    };
    if (vk.IC.length !== vk.nPublic + 1) {
      throw new Error(`verification key: ${vk.IC.length} IC points for ${vk.nPublic} signals`);
    }
    this.nPublic = vk.nPublic;
    this.alpha = g1(vk.vk_alpha_1, "alpha");
    this.beta = g2(vk.vk_beta_2, "beta");
    this.gamma = g2(vk.vk_gamma_2, "gamma");
    this.delta = g2(vk.vk_delta_2, "delta");
    this.ic = vk.IC.map((p, i) => g1(p, `IC[${i}]`));
  }

  /** Prepare `vk` (initialises mcl in this thread first). */
  static async from(vk: VerificationKey): Promise<PreparedKey> {
    await initBn254();
    return new PreparedKey(vk);
  }
}

/** A proof parsed into curve points, its signals into integers below r. */
interface ParsedItem {
  readonly a: mcl.G1;
  readonly b: mcl.G2;
  readonly c: mcl.G1;
  readonly signals: readonly bigint[];
}

/** Parse and validate one untrusted item; a string says what is wrong with it. */
export function parseItem(key: PreparedKey, item: unknown): ParsedItem | string {
  const bundle = readProofBundle(item, key.nPublic);
  if ("problem" in bundle) return bundle.problem;
  const a = g1FromJson(bundle.proof.pi_a);
  if (!a) return "pi_a is not on the curve";
  const c = g1FromJson(bundle.proof.pi_c);
  if (!c) return "pi_c is not on the curve";
  const b = g2FromJson(bundle.proof.pi_b);
  if (!b) return "pi_b is not on the curve";
  if (!isInG2Subgroup(b)) return "pi_b is not in the G2 subgroup";
  return { a, b, c, signals: bundle.publicSignals.map((s) => BigInt(s)) };
}

/**
 * Verify `items` (untrusted `{proof, publicSignals}` values) against one prepared key: one outcome
 * per item, in order.
 */
export function verifyBatch(
  key: PreparedKey,
  items: readonly unknown[],
  options: BatchOptions = {},
): { outcomes: ItemOutcome[]; stats: BatchStats } {
  const stats: BatchStats = { pairingChecks: 0, millerLoops: 0 };
  const outcomes: ItemOutcome[] = new Array(items.length);
  const parsed: ParsedItem[] = [];
  const positions: number[] = [];
  items.forEach((item, i) => {
    const p = parseItem(key, item);
    if (typeof p === "string") outcomes[i] = { malformed: p };
    else {
      parsed.push(p);
      positions.push(i);
    }
  });
  const randomBytes =
    options.randomBytes ?? ((bytes: Uint8Array) => webcrypto.getRandomValues(bytes));
  const verdicts = new Array<boolean>(parsed.length);
  const holds = (indices: readonly number[]) =>
    pairingProductHolds(
      key,
      indices.map((i) => parsed[i] as ParsedItem),
      randomBytes,
      stats,
    );
  const settle = (indices: readonly number[], valid: boolean) => {
    for (const i of indices) verdicts[i] = valid;
  };
  /** Find the bad items of `indices`; `knownBad`: the set is known to hold one. */
  const locate = (indices: readonly number[], knownBad: boolean): void => {
    if (!knownBad && holds(indices)) {
      settle(indices, true);
      return;
    }
    if (indices.length === 1) {
      settle(indices, false);
      return;
    }
    const half = Math.ceil(indices.length / 2);
    const first = indices.slice(0, half);
    const second = indices.slice(half);
    if (holds(first)) {
      settle(first, true);
      locate(second, true);
    } else {
      locate(first, true);
      locate(second, false);
    }
  };
  if (parsed.length > 0) locate(Array.from(parsed.keys()), false);
  positions.forEach((position, i) => {
    outcomes[position] = { valid: verdicts[i] as boolean };
  });
  return { outcomes, stats };
}

/** A nonzero 128-bit weight. */
function weight(randomBytes: (bytes: Uint8Array) => void): bigint {
  const bytes = new Uint8Array(WEIGHT_BYTES);
  for (;;) {
    randomBytes(bytes);
    let w = 0n;
    for (let i = WEIGHT_BYTES - 1; i >= 0; i--) w = (w << 8n) | BigInt(bytes[i] as number);
    if (w !== 0n) return w;
  }
}

/** Whether the weighted pairing product of `items` is 1 (see the module comment). */
function pairingProductHolds(
  key: PreparedKey,
  items: readonly ParsedItem[],
  randomBytes: (bytes: Uint8Array) => void,
  stats: BatchStats,
): boolean {
  // One proof needs no weight: the product is then exactly its own verification equation.
  const weights = items.length === 1 ? [1n] : items.map(() => weight(randomBytes));
  // Σᵢ rᵢ·L(xᵢ) = (Σrᵢ)·IC₀ + Σⱼ (Σᵢ rᵢ·xᵢⱼ)·ICⱼ: the scalars in BigInt (one reduction each),
  // then one multi-scalar multiplication.
  let weightSum = 0n;
  for (const w of weights) weightSum += w;
  const scalars = [fr(weightSum % CURVE_ORDER)];
  for (let j = 0; j < key.nPublic; j++) {
    let s = 0n;
    items.forEach((item, i) => {
      s += (weights[i] as bigint) * (item.signals[j] as bigint);
    });
    scalars.push(fr(s % CURVE_ORDER));
  }
  const weightsFr = weights.map(fr);
  const inputs = mcl.mulVec([...key.ic], scalars);
  const cSum = mcl.mulVec(
    items.map((item) => item.c),
    weightsFr,
  );
  const alphaTerm = mcl.mul(key.alpha, mcl.neg(scalars[0] as mcl.Fr));

  let f = mcl.precomputedMillerLoop2(mcl.neg(inputs), key.gamma, mcl.neg(cSum), key.delta);
  f = mcl.mul(f, mcl.precomputedMillerLoop(alphaTerm, key.beta));
  for (let start = 0; start < items.length; start += MILLER_CHUNK) {
    const chunk = items.slice(start, start + MILLER_CHUNK);
    const scaledA = chunk.map((item, i) =>
      items.length === 1 ? item.a : mcl.mul(item.a, weightsFr[start + i] as mcl.Fr),
    );
    f = mcl.mul(
      f,
      millerLoopVec(
        scaledA,
        chunk.map((item) => item.b),
      ),
    );
  }
  stats.pairingChecks += 1;
  stats.millerLoops += items.length + 3;
  return mcl.finalExp(f).isOne();
}
