/**
 * BN254 (the curve snarkjs calls bn128, Ethereum's alt_bn128) on mcl-wasm, for batched Groth16
 * verification: points from snarkjs's JSON, the G2 subgroup check, and the multi-Miller loop.
 *
 * mcl-wasm is the fastest BN254 pairing measured in JavaScript here (TOOLCHAIN.md: a Miller loop
 * ≈ 1.1 ms, against 3.7 ms for a whole ffjavascript pairing). Two things it does not offer in its
 * JavaScript API are added here, and pinned by tests since they depend on mcl's internals:
 * - `millerLoopVec`: the product of n Miller loops in one call (its wasm export
 *   `mclBn_millerLoopVec`, reached through mcl's own stack helpers);
 * - a fast G2 subgroup check. mcl's `isValidOrder` multiplies by r (≈ 0.9 ms); the check of
 *   El Housni, Guillevic and Piellard (ePrint 2022/348, §3 and §5.1, as gnark-crypto does it) needs
 *   one multiplication by the 63-bit curve seed x₀ and three ψ endomorphisms (≈ 0.3 ms):
 *   `[r]Q = O  ⟺  [x₀+1]Q + ψ([x₀]Q) + ψ²([x₀]Q) = ψ³([2x₀]Q)`.
 *
 * mcl-wasm holds one curve per JavaScript realm: call {@link initBn254} once per thread.
 */
import { createRequire } from "node:module";
import * as mcl from "mcl-wasm";
import { BASE_FIELD_MODULUS } from "../core/proof.js";

export { mcl };

/** mcl's wasm module, as its own wrappers use it (not part of its typed API). */
interface McLInternals {
  readonly mod: {
    stackSave(): number;
    stackRestore(position: number): void;
    salloc(value: Uint32Array): number;
    sallocArray(values: Uint32Array[]): number;
    copyFromHeap32(value: Uint32Array, position: number): void;
    _mclBn_millerLoopVec(z: number, x: number, y: number, n: number): void;
  };
}

/** The raw limbs of an mcl value (every mcl-wasm value keeps them in `a_`). */
function limbs(value: mcl.G1 | mcl.G2 | mcl.GT): Uint32Array {
  return (value as unknown as { a_: Uint32Array }).a_;
}

let ready: Promise<void> | undefined;
let internals: McLInternals["mod"] | undefined;

/** BN254's seed x₀ (p and r are polynomials in it). */
const SEED = 4965661367192848881n;

/** ψ's constants: ξ^((p−1)/3) and ξ^((p−1)/2) in Fp2 = Fp[u]/(u² + 1), with ξ = 9 + u. */
let psiX: mcl.Fp2;
let psiY: mcl.Fp2;
let seed: mcl.Fr;

/**
 * Loads mcl-wasm on BN254 (mcl's `BN_SNARK1`) in this thread; idempotent. mcl's own order check on
 * parsing is switched off: {@link isInG2Subgroup} does it faster, where it is needed.
 */
export function initBn254(): Promise<void> {
  ready ??= (async () => {
    await mcl.init(mcl.BN_SNARK1);
    mcl.verifyOrderG1(false);
    mcl.verifyOrderG2(false);
    internals = (createRequire(import.meta.url)("mcl-wasm/dist/mcl.js") as McLInternals).mod;
    if (typeof internals._mclBn_millerLoopVec !== "function") {
      throw new Error("this mcl-wasm build does not export mclBn_millerLoopVec");
    }
    const p = BASE_FIELD_MODULUS;
    psiX = fp2(fp2Pow([9n, 1n], (p - 1n) / 3n));
    psiY = fp2(fp2Pow([9n, 1n], (p - 1n) / 2n));
    seed = fr(SEED);
  })();
  return ready;
}

type Fp2Value = readonly [bigint, bigint];

function fp2Mul(a: Fp2Value, b: Fp2Value): Fp2Value {
  const p = BASE_FIELD_MODULUS;
  const mod = (v: bigint) => ((v % p) + p) % p;
  return [mod(a[0] * b[0] - a[1] * b[1]), mod(a[0] * b[1] + a[1] * b[0])];
}

function fp2Pow(base: Fp2Value, exponent: bigint): Fp2Value {
  let result: Fp2Value = [1n, 0n];
  let b = base;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = fp2Mul(result, b);
    b = fp2Mul(b, b);
  }
  return result;
}

/** An element c0 + c1·u of Fp2 (c0, c1 below q). */
export function fp2(v: Fp2Value): mcl.Fp2 {
  const value = new mcl.Fp2();
  value.setStr(`${v[0]} ${v[1]}`, 10);
  return value;
}

/** An element of Fr from a bigint in [0, r). */
export function fr(v: bigint): mcl.Fr {
  const value = new mcl.Fr();
  value.setStr(v.toString(10), 10);
  return value;
}

/**
 * A G1 point from snarkjs's affine JSON `[x, y, "1"]` with coordinates already checked to lie
 * in [0, q). Undefined when it is not on the curve.
 */
export function g1FromJson(point: readonly string[]): mcl.G1 | undefined {
  const value = new mcl.G1();
  try {
    value.setStr(`1 ${point[0]} ${point[1]}`, 10);
  } catch {
    return undefined;
  }
  return value.isValid() && !value.isZero() ? value : undefined;
}

/**
 * A G2 point from snarkjs's affine JSON `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`. Undefined
 * when it is not on the twist; subgroup membership is checked separately.
 */
export function g2FromJson(point: readonly (readonly string[])[]): mcl.G2 | undefined {
  const [x, y] = point;
  const value = new mcl.G2();
  try {
    value.setStr(`1 ${x?.[0]} ${x?.[1]} ${y?.[0]} ${y?.[1]}`, 10);
  } catch {
    return undefined;
  }
  return value.isValid() && !value.isZero() ? value : undefined;
}

/** snarkjs's affine JSON of a G1 point (the inverse of {@link g1FromJson}). */
export function g1Json(p: mcl.G1): [string, string, "1"] {
  const [, x, y] = mcl.normalize(p).getStr(10).split(" ");
  return [x as string, y as string, "1"];
}

/** snarkjs's affine JSON of a G2 point (the inverse of {@link g2FromJson}). */
export function g2Json(p: mcl.G2): [[string, string], [string, string], ["1", "0"]] {
  const [, x0, x1, y0, y1] = mcl.normalize(p).getStr(10).split(" ");
  return [
    [x0 as string, x1 as string],
    [y0 as string, y1 as string],
    ["1", "0"],
  ];
}

function conjugate(v: mcl.Fp2): mcl.Fp2 {
  const result = v.clone();
  result.set_b(mcl.neg(v.get_b()));
  return result;
}

/** ψ = untwist ∘ Frobenius ∘ twist, on Jacobian coordinates. */
function psi(q: mcl.G2): mcl.G2 {
  const result = new mcl.G2();
  result.setX(mcl.mul(conjugate(q.getX()), psiX));
  result.setY(mcl.mul(conjugate(q.getY()), psiY));
  result.setZ(conjugate(q.getZ()));
  return result;
}

/** Whether a point of the twist lies in G2, the subgroup of order r (see the module comment). */
export function isInG2Subgroup(q: mcl.G2): boolean {
  const xq = mcl.mul(q, seed);
  const psiXq = psi(xq);
  const psi2Xq = psi(psiXq);
  const left = mcl.add(mcl.add(mcl.add(xq, q), psiXq), psi2Xq);
  const right = mcl.dbl(psi(psi2Xq));
  return mcl.sub(right, left).isZero();
}

/** Π millerLoop(xᵢ, yᵢ), in one call into mcl. */
export function millerLoopVec(xs: readonly mcl.G1[], ys: readonly mcl.G2[]): mcl.GT {
  const mod = internals;
  if (!mod) throw new Error("initBn254() has not finished");
  if (xs.length !== ys.length || xs.length === 0) {
    throw new RangeError(`millerLoopVec needs two non-empty lists of one length`);
  }
  const z = new mcl.GT();
  const stack = mod.stackSave();
  try {
    const zPos = mod.salloc(limbs(z));
    const xPos = mod.sallocArray(xs.map(limbs));
    const yPos = mod.sallocArray(ys.map(limbs));
    mod._mclBn_millerLoopVec(zPos, xPos, yPos, xs.length);
    mod.copyFromHeap32(limbs(z), zPos);
  } finally {
    mod.stackRestore(stack);
  }
  return z;
}
