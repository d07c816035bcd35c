/**
 * Poseidon over BN254 with circomlib's parameters (poseidon-lite), as the circuits compute it.
 */
import * as poseidonLite from "poseidon-lite";

type PoseidonFn = (inputs: bigint[]) => bigint;

/** poseidon-lite's `poseidon1` … `poseidon16`, indexed by arity − 1. */
const BY_ARITY: readonly PoseidonFn[] = Array.from({ length: 16 }, (_, i) => {
  const fn = (poseidonLite as unknown as Record<string, PoseidonFn | undefined>)[
    `poseidon${i + 1}`
  ];
  if (!fn) throw new Error(`poseidon-lite has no poseidon${i + 1}`);
  return fn;
});

/** Poseidon of 1 to 16 field elements (circomlib `Poseidon(n)`). */
export function poseidon(inputs: readonly bigint[]): bigint {
  const fn = BY_ARITY[inputs.length - 1];
  if (!fn) throw new RangeError(`Poseidon takes 1 to 16 inputs, not ${inputs.length}`);
  return fn([...inputs]);
}

/** Poseidon of two elements: the Merkle tree's node hash. */
export function poseidonPair(left: bigint, right: bigint): bigint {
  return poseidonLite.poseidon2([left, right]);
}

/**
 * Poseidon of any number of elements, as circuits/src/hashing.circom `PoseidonChain`:
 * up to 16 in one call; beyond, the first 16, then the running hash with up to 15 more each time.
 */
export function poseidonChain(inputs: readonly bigint[]): bigint {
  if (inputs.length === 0) throw new RangeError("PoseidonChain takes at least one input");
  if (inputs.length <= 16) return poseidon(inputs);
  let acc = poseidon(inputs.slice(0, 16));
  for (let offset = 16; offset < inputs.length; offset += 15) {
    acc = poseidon([acc, ...inputs.slice(offset, offset + 15)]);
  }
  return acc;
}
