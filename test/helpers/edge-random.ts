/**
 * Seeded random values biased to the edges of the 64-bit range the query circuit compares
 * (0, 1, 2^64 − 1 and just below it, small values, wide ones), and records whose slots 2..7 sit
 * next to one another so that comparisons land on both sides and on equality.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { U64_MAX } from "./fixtures.js";

export interface EdgeRandom {
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** A 64-bit value, one draw in six from each kind of edge. */
  u64(): bigint;
  /** 16 slots, 2..7 near a common base (each also a fresh `u64()` one time in three), the rest `rest()`. */
  nearSlots(rest: () => bigint): { base: bigint; slots: bigint[] };
}

export function edgeRandom(seed: number): EdgeRandom {
  const rng = xoroshiro128plus(seed);
  const int = (min: number, max: number) => uniformInt(rng, min, max);
  const u64 = (): bigint => {
    switch (int(0, 5)) {
      case 0:
        return 0n;
      case 1:
        return 1n;
      case 2:
        return U64_MAX;
      case 3:
        return U64_MAX - BigInt(int(0, 3));
      case 4:
        return BigInt(int(0, 1000));
      default:
        return (BigInt(int(0, 2 ** 31 - 1)) << 33n) ^ BigInt(int(0, 2 ** 31 - 1));
    }
  };
  const nearSlots = (rest: () => bigint) => {
    const base = u64();
    const slots = Array.from({ length: 16 }, (_, s) => {
      if (s < 2 || s > 7) return rest();
      const nearby = base + BigInt(int(-2, 2));
      return int(0, 2) === 0 || nearby < 0n || nearby > U64_MAX ? u64() : nearby;
    });
    return { base, slots };
  };
  return { int, u64, nearSlots };
}
