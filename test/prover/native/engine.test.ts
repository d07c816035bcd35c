/**
 * The native Groth16 engine against independent implementations: its multi-scalar
 * multiplications and transforms against ffjavascript's (snarkjs's curve library) on random
 * inputs and at the edges, and its proofs against snarkjs's verifier and crossproof's batch
 * verifier, for the committed `query` and `commitment` releases. Also: fresh randomness per proof,
 * and malformed keys and witnesses refused with stable codes.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { buildBn128 } from "ffjavascript";
import * as snarkjs from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CrossproofError } from "../../../core/errors.js";
import type { ProofBundle } from "../../../core/proof.js";
import type { CircuitRelease } from "../../../infra/artifacts.js";
import type { NativeAddon } from "../../../prover/native/addon.js";
import {
  loadNativeProvingKey,
  NativeProver,
  nativeTableOptionsFromEnv,
} from "../../../prover/native/engine.js";
import { PreparedKey, verifyBatch } from "../../../verifier/batch-verify.js";
import { commitmentInput, nativeStatus, nativeSuite, queryInputs, release } from "./helpers.js";

const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** The parts of ffjavascript's wasm curve these tests use (buffers in its Montgomery form). */
interface FfGroup {
  readonly g: Uint8Array;
  readonly zero: Uint8Array;
  timesScalar(p: Uint8Array, s: bigint): Uint8Array;
  toRprLEM(buff: Uint8Array, offset: number, p: Uint8Array): void;
  toAffine(p: Uint8Array): Uint8Array;
  toObject(p: Uint8Array): unknown[];
  multiExpAffine(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array>;
}
interface FfCurve {
  readonly G1: FfGroup;
  readonly G2: FfGroup;
  readonly Fr: {
    e(x: bigint): Uint8Array;
    toObject(x: Uint8Array): bigint;
    fft(buff: Uint8Array): Promise<Uint8Array>;
    ifft(buff: Uint8Array): Promise<Uint8Array>;
  };
  terminate(): Promise<void>;
}

let curve: FfCurve;
const addon = (): NativeAddon => {
  if (!nativeStatus.available) throw new Error(nativeStatus.reason);
  return nativeStatus.addon;
};

/** The addon's MSM of either group, through a fixed-base table of `c`-bit windows. */
function addonMsm(group: "G1" | "G2", b: Uint8Array, s: Uint8Array, t: number, c: number) {
  return group === "G1" ? addon().msmG1(b, s, t, c) : addon().msmG2(b, s, t, c);
}

function randomScalar(): bigint {
  return BigInt(`0x${randomBytes(40).toString("hex")}`) % R;
}

function le32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = x;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function fromLe32(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  return v;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Points as the zkey stores them (affine, Montgomery; zeros for infinity); `null` = infinity. */
function encodePoints(
  group: FfGroup,
  size: number,
  points: readonly (bigint | null)[],
): Uint8Array {
  const out = new Uint8Array(points.length * size);
  points.forEach((k, i) => {
    if (k !== null) group.toRprLEM(out, i * size, group.timesScalar(group.g, k));
  });
  return out;
}

/** ffjavascript's Σ sᵢ·Pᵢ in the addon's string form. */
async function reference(group: FfGroup, bases: Uint8Array, scalars: Uint8Array) {
  const r = await group.multiExpAffine(bases, scalars);
  return JSON.parse(
    JSON.stringify(group.toObject(group.toAffine(r)), (_k, v) =>
      typeof v === "bigint" ? v.toString() : v,
    ),
  );
}

beforeAll(async () => {
  curve = (await buildBn128(true)) as unknown as FfCurve;
});

afterAll(async () => {
  await curve?.terminate();
});

describe.skipIf(!nativeStatus.available)(nativeSuite("native MSM against ffjavascript"), () => {
  const groups = [
    {
      name: "G1",
      size: 64,
      group: () => curve.G1,
      msm: (b: Uint8Array, s: Uint8Array, t: number) => addon().msmG1(b, s, t),
    },
    {
      name: "G2",
      size: 128,
      group: () => curve.G2,
      msm: (b: Uint8Array, s: Uint8Array, t: number) => addon().msmG2(b, s, t),
    },
  ] as const;

  for (const g of groups) {
    it(`${g.name}: random points and scalars, sizes 1 and 2^k ± 1, on 1 and 2 threads`, async () => {
      for (const n of [1, 2, 3, 7, 9, 31, 33, 127, 129, 255, 257]) {
        const points = Array.from({ length: n }, () => randomScalar());
        const scalars = Array.from({ length: n }, () => randomScalar());
        const bases = encodePoints(g.group(), g.size, points);
        const sc = concat(scalars.map(le32));
        const expected = await reference(g.group(), bases, sc);
        expect(g.msm(bases, sc, 1), `n = ${n}`).toEqual(expected);
        expect(g.msm(bases, sc, 2), `n = ${n}, 2 threads`).toEqual(expected);
      }
    });

    it(`${g.name}: scalars 0, 1, r − 1, small and mixed; points at infinity; one non-zero term`, async () => {
      const n = 17;
      const points = Array.from({ length: n }, (_, i) => (i % 5 === 3 ? null : randomScalar()));
      const cases: [string, bigint[]][] = [
        ["all zero", Array.from({ length: n }, () => 0n)],
        ["all one", Array.from({ length: n }, () => 1n)],
        ["all r − 1", Array.from({ length: n }, () => R - 1n)],
        ["one non-zero term", Array.from({ length: n }, (_, i) => (i === 6 ? randomScalar() : 0n))],
        ["one non-zero term on infinity", Array.from({ length: n }, (_, i) => (i === 3 ? 5n : 0n))],
        [
          "small and mixed",
          Array.from(
            { length: n },
            (_, i) => [0n, 1n, 2n, R - 1n, randomScalar()][i % 5] as bigint,
          ),
        ],
      ];
      const bases = encodePoints(g.group(), g.size, points);
      for (const [label, scalars] of cases) {
        const sc = concat(scalars.map(le32));
        expect(g.msm(bases, sc, 1), label).toEqual(await reference(g.group(), bases, sc));
      }
      // P and −P cancel (r − 1 = −1): the sum is the point at infinity.
      const k = randomScalar();
      const pair = encodePoints(g.group(), g.size, [k, k]);
      const cancel = g.msm(pair, concat([le32(1n), le32(R - 1n)]), 1);
      expect(cancel).toEqual(await reference(g.group(), pair, concat([le32(1n), le32(R - 1n)])));
      expect(cancel[2]).toEqual(g.name === "G1" ? "0" : ["0", "0"]);
      // P + P: the sum meets the doubling case.
      expect(g.msm(pair, concat([le32(1n), le32(1n)]), 1)).toEqual(
        await reference(g.group(), pair, concat([le32(1n), le32(1n)])),
      );
    });
  }

  it("batched affine additions: 4,097 G1 and 1,025 G2 terms, many sharing a bucket", async () => {
    for (const [group, size, n, msm] of [
      [curve.G1, 64, 4097, (b: Uint8Array, s: Uint8Array) => addon().msmG1(b, s, 1)],
      [curve.G2, 128, 1025, (b: Uint8Array, s: Uint8Array) => addon().msmG2(b, s, 1)],
    ] as const) {
      // Few distinct points (so equal and opposite points meet in buckets), many equal scalars.
      const distinct = Array.from({ length: 7 }, () => randomScalar());
      const points = Array.from({ length: n }, (_, i) =>
        i % 11 === 0 ? null : (distinct[i % 7] as bigint),
      );
      const bases = encodePoints(group, size, points);
      const scalars = Array.from(
        { length: n },
        (_, i) => [1n, 2n, 0n, R - 1n, 3n, randomScalar()][i % 6] as bigint,
      );
      const sc = concat(scalars.map(le32));
      expect(msm(bases, sc), `n = ${n}`).toEqual(await reference(group, bases, sc));
    }
  });

  // The fixed-base path (a table of every base's window multiples, one bucket pass over all
  // windows, signed digits): against the windowed path and ffjavascript, for window widths that
  // put the digits' edges in different places.
  for (const g of groups) {
    it(`${g.name} with fixed-base tables: random inputs, sizes 1 and 2^k ± 1, widths 2 … 16, 1 and 2 threads`, async () => {
      for (const n of [1, 2, 3, 7, 9, 31, 33, 129]) {
        const bases = encodePoints(
          g.group(),
          g.size,
          Array.from({ length: n }, () => randomScalar()),
        );
        const sc = concat(Array.from({ length: n }, () => le32(randomScalar())));
        const expected = await reference(g.group(), bases, sc);
        expect(g.msm(bases, sc, 1), `n = ${n}, windowed`).toEqual(expected);
        for (const c of n === 129 ? [2, 3, 5, 8, 11, 13, 16] : [5, 13]) {
          expect(addonMsm(g.name, bases, sc, 1, c), `n = ${n}, c = ${c}`).toEqual(expected);
          expect(addonMsm(g.name, bases, sc, 2, c), `n = ${n}, c = ${c}, 2 threads`).toEqual(
            expected,
          );
        }
      }
    });

    it(`${g.name} with fixed-base tables: every digit extreme, carries out of the top window, 0, 1, r − 1, infinity, cancelling terms`, async () => {
      for (const c of [4, 5, 8, 11, 13, 16]) {
        const windows = Math.ceil(255 / c);
        const half = 1n << BigInt(c - 1);
        // Every window's raw digit the same value v (below 2^254): v = 2^(c−1) stays positive,
        // 2^(c−1) + 1 and 2^c − 1 turn negative and carry into the next window, chains of
        // carries run up to the top window.
        const everyWindow = (v: bigint) => {
          let x = 0n;
          for (let k = 0; k < windows; k++) x |= v << BigInt(k * c);
          return x & ((1n << 254n) - 1n);
        };
        const scalars = [
          0n,
          1n,
          R - 1n,
          (1n << 254n) - 1n,
          (1n << 253n) | 1n,
          everyWindow(half),
          everyWindow(half - 1n),
          everyWindow(half + 1n),
          everyWindow((1n << BigInt(c)) - 1n),
          everyWindow(1n),
          1n << BigInt((windows - 1) * c - 1),
          randomScalar(),
          5n,
        ];
        const n = scalars.length;
        // Points: random, one at infinity, and a point with its negation (k and r − k).
        const k = randomScalar();
        const points: (bigint | null)[] = scalars.map(() => randomScalar());
        points[4] = null;
        points[11] = k;
        points[12] = R - k;
        const bases = encodePoints(g.group(), g.size, points);
        const sc = concat(scalars.map(le32));
        const label = `c = ${c}`;
        const expected = await reference(g.group(), bases, sc);
        expect(addonMsm(g.name, bases, sc, 1, c), label).toEqual(expected);
        expect(addonMsm(g.name, bases, sc, 2, c), `${label}, 2 threads`).toEqual(expected);
        expect(g.msm(bases, sc, 1), `${label}, windowed`).toEqual(expected);
        // One non-zero term; all zero; P·1 + (−P)·1 = ∞ and P·(r − 1) + (−P)·1 = −2P (a
        // negative digit meets its bucket's equal point: the doubling case).
        for (const [what, pick] of [
          ["one non-zero term", (i: number) => (i === 7 ? (scalars[7] as bigint) : 0n)],
          ["all zero", () => 0n],
          ["P − P", (i: number) => (i === 11 || i === 12 ? 1n : 0n)],
          ["−P·1 + P·(r − 1)", (i: number) => (i === 11 ? R - 1n : i === 12 ? 1n : 0n)],
        ] as const) {
          const s2 = concat(Array.from({ length: n }, (_, i) => le32(pick(i))));
          expect(addonMsm(g.name, bases, s2, 1, c), `${label}, ${what}`).toEqual(
            await reference(g.group(), bases, s2),
          );
        }
      }
      // Scalars of more than 254 bits do not fit a table: the windowed path serves them.
      const bases = encodePoints(g.group(), g.size, [randomScalar(), randomScalar()]);
      const big = concat([le32((1n << 256n) - 1n), le32((1n << 255n) + 3n)]);
      expect(addonMsm(g.name, bases, big, 1, 13)).toEqual(await reference(g.group(), bases, big));
    });
  }

  // The fixed-base path's batched affine additions at their edges: a bucket receiving P and −P
  // (the point at infinity), P again and again (the doubling case), and thousands of points at
  // once (the deferred queue, and the Jacobian overflow for a bucket met twice in one batch);
  // c = 8 makes batches of 32 (a quarter of 128 buckets), c = 13 batches of 1,024 in G1.
  for (const g of groups) {
    it(`${g.name} with fixed-base tables: one bucket receiving P and −P, P and P, and ${g.name === "G1" ? "2,100" : "700"} points`, async () => {
      const n = g.name === "G1" ? 2100 : 700;
      const k = randomScalar();
      const j = randomScalar();
      const cases: [string, (bigint | null)[], bigint[]][] = [
        // P, −P, P, −P, …: every term lands in the bucket of digit 1 and the sum cancels, but
        // for the odd one out at the end.
        [
          "P and −P into one bucket",
          Array.from({ length: 301 }, (_, i) => (i % 2 === 0 ? k : R - k)),
          Array.from({ length: 301 }, () => 1n),
        ],
        // The same point over and over: the bucket holds m·P when P arrives (doubling at m = 1).
        [
          "P and P into one bucket",
          Array.from({ length: 300 }, () => k),
          Array.from({ length: 300 }, () => 1n),
        ],
        // P, P, −P, −P, −P with digits ±1 (scalars 1 and r − 1): doubling and cancelling mixed.
        [
          "P and −P with digits of both signs",
          Array.from({ length: 250 }, (_, i) => (i % 5 < 2 ? k : i % 5 === 4 ? j : R - k)),
          Array.from({ length: 250 }, (_, i) => (i % 3 === 0 ? R - 1n : 1n)),
        ],
        // Many distinct points into one bucket, with a few at infinity.
        [
          `${n} points into one bucket`,
          Array.from({ length: n }, (_, i) => (i % 97 === 5 ? null : randomScalar())),
          Array.from({ length: n }, () => 3n),
        ],
        // Many points into few buckets, with full scalars mixed in (every window busy).
        [
          `${n} points into few buckets and full scalars`,
          Array.from({ length: n }, (_, i) => (i % 4 === 0 ? k : randomScalar())),
          Array.from({ length: n }, (_, i) => (i % 3 === 0 ? randomScalar() : BigInt(1 + (i % 4)))),
        ],
      ];
      for (const [label, points, scalars] of cases) {
        const bases = encodePoints(g.group(), g.size, points);
        const sc = concat(scalars.map(le32));
        const expected = await reference(g.group(), bases, sc);
        for (const c of [8, 13]) {
          expect(addonMsm(g.name, bases, sc, 1, c), `${label}, c = ${c}`).toEqual(expected);
          expect(addonMsm(g.name, bases, sc, 2, c), `${label}, c = ${c}, 2 threads`).toEqual(
            expected,
          );
        }
      }
    });
  }

  it("refuses points off the curve and mismatched lengths with a stable code", () => {
    const bases = encodePoints(curve.G1, 64, [randomScalar(), randomScalar()]);
    flip(bases, 40, 1);
    expect(() => addon().msmG1(bases, concat([le32(1n), le32(2n)]))).toThrow(
      expect.objectContaining({ code: "PROVER_NATIVE_INPUT_INVALID" }),
    );
    expect(() => addon().msmG1(new Uint8Array(64), new Uint8Array(64))).toThrow(
      expect.objectContaining({ code: "PROVER_NATIVE_INPUT_INVALID" }),
    );
  });
});

describe.skipIf(!nativeStatus.available)(
  nativeSuite("native field arithmetic against BigInt"),
  () => {
    const mod = (x: bigint, p: bigint) => ((x % p) + p) % p;
    const pow = (b: bigint, e: bigint, p: bigint) => {
      let r = 1n;
      let x = mod(b, p);
      for (let k = e; k > 0n; k >>= 1n) {
        if (k & 1n) r = (r * x) % p;
        x = (x * x) % p;
      }
      return r;
    };

    for (const [name, p] of [
      ["q", Q],
      ["r", R],
    ] as const) {
      it(`F${name}: a + b, a − b, a·b, a⁻¹ at the edges of the integers and of their Montgomery form, and at random`, () => {
        // The prover holds x as x·2^256 mod p: an edge of that form m is the integer m·2^−256.
        const rInv = pow(2n ** 256n, p - 2n, p);
        const edges = [
          0n,
          1n,
          2n,
          3n,
          p - 1n,
          p - 2n,
          (p - 1n) / 2n,
          (p + 1n) / 2n,
          2n ** 64n - 1n,
        ];
        edges.push(
          2n ** 64n,
          2n ** 128n - 1n,
          2n ** 192n,
          2n ** 253n,
          p - 2n ** 64n,
          p - 2n ** 192n,
        );
        const values = [...edges, ...edges.map((m) => mod(m * rInv, p))];
        for (let i = 0; i < 40; i++)
          values.push(mod(BigInt(`0x${randomBytes(40).toString("hex")}`), p));
        const a: bigint[] = [];
        const b: bigint[] = [];
        for (const x of values) {
          for (const y of values) {
            a.push(x);
            b.push(y);
          }
        }
        const out = addon().fieldOps(name, concat(a.map(le32)), concat(b.map(le32)));
        const at = (i: number, k: number) =>
          fromLe32(out.subarray((i * 4 + k) * 32, (i * 4 + k + 1) * 32));
        const wrong: string[] = [];
        a.forEach((x, i) => {
          const y = b[i] as bigint;
          const want = [
            mod(x + y, p),
            mod(x - y, p),
            (x * y) % p,
            x === 0n ? 0n : pow(x, p - 2n, p),
          ];
          want.forEach((v, k) => {
            if (at(i, k) !== v) wrong.push(`${["+", "−", "·", "⁻¹"][k]} of ${x}, ${y}`);
          });
        });
        expect(wrong.slice(0, 5)).toEqual([]);
        expect(a.length).toBeGreaterThan(3000);
      });
    }

    it("refuses an unknown field, mismatched lengths and values not below the modulus", () => {
      expect(() => addon().fieldOps("x" as "q", le32(1n), le32(1n))).toThrow(
        expect.objectContaining({ code: "PROVER_NATIVE_INPUT_INVALID" }),
      );
      expect(() => addon().fieldOps("q", le32(1n), new Uint8Array(64))).toThrow(
        expect.objectContaining({ code: "PROVER_NATIVE_INPUT_INVALID" }),
      );
      expect(() => addon().fieldOps("r", le32(R), le32(0n))).toThrow(
        expect.objectContaining({ code: "PROVER_NATIVE_INPUT_INVALID" }),
      );
    });
  },
);

describe.skipIf(!nativeStatus.available)(nativeSuite("native NTT against ffjavascript"), () => {
  it("forward and inverse transforms agree on random inputs, sizes 2 to 2^12, and at the edges", async () => {
    for (let k = 1; k <= 12; k++) {
      const n = 2 ** k;
      const values = Array.from({ length: n }, (_, i) =>
        k === 3 ? ([0n, 1n, R - 1n][i % 3] as bigint) : randomScalar(),
      );
      const mont = concat(values.map((v) => curve.Fr.e(v)));
      for (const inverse of [false, true]) {
        const ref = inverse ? await curve.Fr.ifft(mont) : await curve.Fr.fft(mont);
        const expected = Array.from({ length: n }, (_, i) =>
          curve.Fr.toObject(ref.slice(i * 32, i * 32 + 32)),
        );
        const got = addon().ntt(concat(values.map(le32)), inverse);
        const actual = Array.from({ length: n }, (_, i) =>
          fromLe32(got.subarray(i * 32, i * 32 + 32)),
        );
        expect(actual, `n = ${n}, inverse = ${inverse}`).toEqual(expected);
      }
    }
  });

  it("round-trips (inverse after forward is the identity) at 2^14, the query circuit's domain", () => {
    const n = 2 ** 14;
    const input = concat(Array.from({ length: n }, () => le32(randomScalar())));
    const back = addon().ntt(addon().ntt(input, false), true);
    expect(Buffer.from(back).equals(Buffer.from(input))).toBe(true);
  });

  it("refuses a size that is not a power of two and values not below r", () => {
    expect(() => addon().ntt(new Uint8Array(96), false)).toThrow(
      expect.objectContaining({ code: "PROVER_NATIVE_INPUT_INVALID" }),
    );
    expect(() => addon().ntt(concat([le32(R), le32(0n)]), false)).toThrow(
      expect.objectContaining({ code: "PROVER_NATIVE_INPUT_INVALID" }),
    );
  });
});

async function expectValid(rel: CircuitRelease, key: PreparedKey, bundles: readonly ProofBundle[]) {
  for (const b of bundles) {
    expect(b.proof).toMatchObject({ protocol: "groth16", curve: "bn128" });
    expect(
      await snarkjs.groth16.verify(
        rel.verificationKey as never,
        b.publicSignals as never,
        b.proof as never,
      ),
    ).toBe(true);
  }
  const { outcomes } = verifyBatch(key, bundles);
  expect(outcomes).toEqual(bundles.map(() => ({ valid: true })));
}

describe.skipIf(!nativeStatus.available)(nativeSuite("native proofs"), () => {
  const opened: Record<string, { rel: CircuitRelease; prover: NativeProver; key: PreparedKey }> =
    {};
  beforeAll(async () => {
    if (!nativeStatus.available) return;
    for (const name of ["query", "commitment"] as const) {
      const rel = await release(name);
      const [wasm, zkey] = await Promise.all([readFile(rel.paths.wasm), readFile(rel.paths.zkey)]);
      opened[name] = {
        rel,
        // With fixed-base tables, built before the key is returned: every proof below uses them.
        prover: await NativeProver.open(
          { wasm, zkey },
          { tables: true, background: false, threads: 2 },
        ),
        key: await PreparedKey.from(rel.verificationKey),
      };
    }
  });
  const get = (name: string) => {
    const o = opened[name];
    if (!o) throw new Error(`${name} not opened`);
    return o;
  };

  it("holds fixed-base tables for every MSM, shared by a second handle of the same key", async () => {
    for (const name of ["query", "commitment"]) {
      const tables = get(name).prover.tables;
      expect(tables, name).toMatchObject({ ready: true, shared: false });
      if (!tables?.ready) throw new Error(`${name}: no tables`);
      expect(tables.bytes, name).toBeGreaterThan(0);
      for (const c of Object.values(tables.windowBits)) expect(c).toBeGreaterThanOrEqual(8);
    }
    const zkey = await readFile(get("commitment").rel.paths.zkey);
    const again = loadNativeProvingKey(zkey, { tables: true, background: false });
    expect(again.tables).toMatchObject({ ready: true, shared: true });
    expect(loadNativeProvingKey(zkey, { tables: false }).tables).toBeNull();
    // A budget too small for any table: no table, every MSM on the windowed path.
    const none = loadNativeProvingKey(zkey, { tables: true, tableBudgetMb: 0, background: false });
    expect(none.tables).toMatchObject({
      ready: true,
      bytes: 0,
      windowBits: { a: 0, b1: 0, b2: 0, c: 0, h: 0 },
    });
  });

  it("tables built in the background: proofs made during and after the build verify", async () => {
    const { rel, key } = get("commitment");
    const [wasm, zkey] = await Promise.all([readFile(rel.paths.wasm), readFile(rel.paths.zkey)]);
    // A budget of its own: not the set the suite's handles already share, so a new build starts.
    const prover = await NativeProver.open(
      { wasm, zkey },
      { tables: true, background: true, tableBudgetMb: 300, threads: 1 },
    );
    const bundles: ProofBundle[] = [(await prover.prove(commitmentInput(11n))).bundle];
    const deadline = Date.now() + 90_000;
    while (prover.tables?.ready !== true && Date.now() < deadline) {
      bundles.push((await prover.prove(commitmentInput(12n))).bundle);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(prover.tables).toMatchObject({ ready: true, shared: false });
    bundles.push((await prover.prove(commitmentInput(13n))).bundle);
    await expectValid(rel, key, bundles);
  }, 120_000);

  it("query without tables (the windowed path): proofs verify with snarkjs and the batch verifier", async () => {
    const { rel, key } = get("query");
    const [wasm, zkey] = await Promise.all([readFile(rel.paths.wasm), readFile(rel.paths.zkey)]);
    const plain = await NativeProver.open({ wasm, zkey }, { tables: false });
    expect(plain.tables).toBeNull();
    const bundles: ProofBundle[] = [];
    for (const [i, input] of queryInputs(rel, 2).entries()) {
      bundles.push((await plain.prove(input, 1 + i)).bundle);
    }
    await expectValid(rel, key, bundles);
  }, 120_000);

  it("query: proofs of distinct records and challenges verify with snarkjs and the batch verifier", async () => {
    const { rel, prover, key } = get("query");
    const bundles: ProofBundle[] = [];
    for (const [i, input] of queryInputs(rel, 12).entries()) {
      bundles.push((await prover.prove(input, 1 + (i % 2))).bundle);
    }
    await expectValid(rel, key, bundles);
  }, 240_000);

  it("commitment: proofs for random salts and challenges verify with snarkjs and the batch verifier", async () => {
    const { rel, prover, key } = get("commitment");
    const bundles: ProofBundle[] = [];
    for (let i = 0; i < 40; i++) {
      const input = commitmentInput(randomScalar(), BigInt(`0x${randomBytes(15).toString("hex")}`));
      bundles.push((await prover.prove(input)).bundle);
    }
    await expectValid(rel, key, bundles);
  }, 240_000);

  it("gives snarkjs's public signals and proof shape for the same input", async () => {
    const { rel, prover } = get("query");
    const [input] = queryInputs(rel, 1);
    const ours = (await prover.prove(input as Record<string, unknown>)).bundle;
    const theirs = await snarkjs.groth16.fullProve(input as never, rel.paths.wasm, rel.paths.zkey);
    expect(ours.publicSignals).toEqual(theirs.publicSignals);
    const shape = (p: unknown) =>
      JSON.stringify(p, (_k, v) => (typeof v === "string" && /^[0-9]+$/.test(v) ? "n" : v));
    expect(shape(ours.proof)).toEqual(shape(theirs.proof));
  }, 120_000);

  it("proves the same witness twice (1 and 2 threads) with fresh r and s: the proofs differ and both verify", async () => {
    const { rel, prover, key } = get("commitment");
    const witness = await prover.witness(commitmentInput(99n));
    const one = prover.proveWitness(witness);
    // Alone in the process, a proof takes every thread it is allowed (its share of max_threads).
    const two = prover.proveWitness(witness, 2);
    expect([one.timings.threads, two.timings.threads]).toEqual([1, 2]);
    const first = one.bundle;
    const second = two.bundle;
    expect(first.publicSignals).toEqual(second.publicSignals);
    expect(first.proof.pi_a).not.toEqual(second.proof.pi_a);
    expect(first.proof.pi_b).not.toEqual(second.proof.pi_b);
    expect(first.proof.pi_c).not.toEqual(second.proof.pi_c);
    await expectValid(rel, key, [first, second]);
  });

  it("refuses a witness of the wrong length or with a value not below r (PROVER_FAILED)", async () => {
    const { prover } = get("commitment");
    const witness = await prover.witness(commitmentInput(5n));
    expect(() => prover.proveWitness(witness.subarray(0, witness.length - 32))).toThrow(
      expect.objectContaining({ code: "PROVER_FAILED" }),
    );
    const bad = Uint8Array.from(witness);
    bad.set(le32(R), 32 * 5);
    expect(() => prover.proveWitness(bad)).toThrow(
      expect.objectContaining({ code: "PROVER_FAILED" }),
    );
    // The engine is unharmed: the good witness still proves.
    expect(prover.proveWitness(witness).bundle.publicSignals).toHaveLength(3);
  });
});

describe("fixed-base table settings from the environment", () => {
  it("reads CROSSPROOF_NATIVE_TABLES and CROSSPROOF_NATIVE_TABLES_MB, refusing bad values", () => {
    expect(nativeTableOptionsFromEnv({})).toEqual({
      tables: true,
      background: true,
      tableBudgetMb: 512,
    });
    expect(nativeTableOptionsFromEnv({ CROSSPROOF_NATIVE_TABLES: "sync" })).toMatchObject({
      tables: true,
      background: false,
    });
    expect(
      nativeTableOptionsFromEnv({
        CROSSPROOF_NATIVE_TABLES: "0",
        CROSSPROOF_NATIVE_TABLES_MB: "64",
      }),
    ).toMatchObject({ tables: false, tableBudgetMb: 64 });
    for (const env of [
      { CROSSPROOF_NATIVE_TABLES: "yes" },
      { CROSSPROOF_NATIVE_TABLES_MB: "-1" },
      { CROSSPROOF_NATIVE_TABLES_MB: "1e3" },
      { CROSSPROOF_NATIVE_TABLES_MB: "100000" },
    ]) {
      expect(() => nativeTableOptionsFromEnv(env), JSON.stringify(env)).toThrow(
        expect.objectContaining({ code: "CONFIG_INVALID" }),
      );
    }
  });
});

/** XOR byte `at` of `bytes` with `mask`. */
function flip(bytes: Uint8Array, at: number, mask: number): void {
  bytes[at] = ((bytes[at] as number) ^ mask) & 0xff;
}

/** Section headers of a zkey file: type, offset of the data, size. */
function sections(file: Uint8Array): { type: number; at: number; size: number; header: number }[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: { type: number; at: number; size: number; header: number }[] = [];
  let at = 12;
  for (let i = 0; i < view.getUint32(8, true); i++) {
    const size = Number(view.getBigUint64(at + 4, true));
    out.push({ type: view.getUint32(at, true), at: at + 12, size, header: at });
    at += 12 + size;
  }
  return out;
}

describe.skipIf(!nativeStatus.available)(nativeSuite("malformed proving keys"), () => {
  let zkey: Uint8Array;
  beforeAll(async () => {
    zkey = new Uint8Array(await readFile((await release("commitment")).paths.zkey));
  });

  function refused(bytes: Uint8Array, message: RegExp) {
    let caught: unknown;
    try {
      loadNativeProvingKey(bytes);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CrossproofError);
    expect(caught).toMatchObject({ code: "PROVER_KEY_INVALID" });
    expect((caught as Error).message).toMatch(message);
  }

  const section = (type: number) => {
    const s = sections(zkey).find((x) => x.type === type);
    if (!s) throw new Error(`no section ${type}`);
    return s;
  };

  it("accepts the committed key", () => {
    expect(loadNativeProvingKey(zkey)).toMatchObject({ nPublic: 3 });
  });

  it("refuses truncated files, wherever they are cut", () => {
    for (const len of [0, 3, 11, 40, 700, Math.floor(zkey.length / 2), zkey.length - 1]) {
      refused(zkey.subarray(0, len), /truncated|no section|not a zkey/);
    }
  });

  it("refuses another file type and an unknown version", () => {
    const magic = Uint8Array.from(zkey);
    magic.set([0x72, 0x31, 0x63, 0x73], 0); // "r1cs"
    refused(magic, /magic/);
    const version = Uint8Array.from(zkey);
    version[4] = 9;
    refused(version, /version/);
  });

  it("refuses wrong section sizes, a missing section and a duplicated one", () => {
    const nVars = Uint8Array.from(zkey);
    const h = section(2);
    new DataView(nVars.buffer).setUint32(h.at + 72, 892, true); // one more signal than the points
    refused(nVars, /section has \d+ bytes/);
    const missing = Uint8Array.from(zkey);
    new DataView(missing.buffer).setUint32(section(9).header, 42, true);
    refused(missing, /no section 9/);
    const dup = Uint8Array.from(zkey);
    new DataView(dup.buffer).setUint32(section(10).header, 9, true);
    refused(dup, /twice/);
    const grown = Uint8Array.from(zkey);
    new DataView(grown.buffer).setBigUint64(
      section(5).header + 4,
      BigInt(section(5).size + 64),
      true,
    );
    refused(grown, /section has \d+ bytes|truncated/);
  });

  it("refuses a key for another curve and a non-Groth16 key", () => {
    const q = Uint8Array.from(zkey);
    flip(q, section(2).at + 4, 2);
    refused(q, /not for the bn128/);
    const r = Uint8Array.from(zkey);
    flip(r, section(2).at + 40, 2);
    refused(r, /not for the bn128/);
    const plonk = Uint8Array.from(zkey);
    plonk[section(1).at] = 2;
    refused(plonk, /not a Groth16 key/);
  });

  it("refuses points off the curve and coordinates not below q", () => {
    const a = section(5);
    let first = -1;
    for (let i = 0; first < 0; i++) {
      if (zkey.subarray(a.at + i * 64, a.at + i * 64 + 64).some((b) => b !== 0)) first = i;
    }
    const off = Uint8Array.from(zkey);
    flip(off, a.at + first * 64 + 32, 1);
    refused(off, /A point \d+ is not a point of the curve/);
    const big = Uint8Array.from(zkey);
    big.fill(0xff, section(9).at, section(9).at + 32);
    refused(big, /H point 0 is not a point of the curve/);
    const vk = Uint8Array.from(zkey);
    flip(vk, section(2).at + 84 + 33, 1); // alpha1.y
    refused(vk, /not on the curve/);
    const b2 = section(7);
    let firstB2 = -1;
    for (let i = 0; firstB2 < 0; i++) {
      if (zkey.subarray(b2.at + i * 128, b2.at + i * 128 + 128).some((b) => b !== 0)) firstB2 = i;
    }
    const g2 = Uint8Array.from(zkey);
    flip(g2, b2.at + firstB2 * 128 + 100, 1);
    refused(g2, /B2 point \d+ is not a point of the curve/);
  });

  it("refuses coefficients out of range", () => {
    const c = section(4);
    const bad = Uint8Array.from(zkey);
    new DataView(bad.buffer).setUint32(c.at + 4 + 8, 1_000_000, true); // signal index of coef 0
    refused(bad, /coefficient 0/);
  });
});
