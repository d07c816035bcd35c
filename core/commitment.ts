/**
 * Record commitments: `leaf = Poseidon(schemaId, Poseidon16(slots), salt)`, as the `query` and
 * `commitment` circuits compute them (circuits/src/record.circom).
 */
import { isFieldElement, randomFieldElement } from "./field.js";
import { loadFastPoseidon, poseidon } from "./poseidon.js";
import type { Slots } from "./record.js";
import { SLOT_COUNT } from "./schema.js";

/** Bits of a salt: 248, so that a salt is uniform below r with no reduction. */
export const SALT_BITS = 248;

/** A fresh 248-bit salt from the operating system's CSPRNG. */
export function randomSalt(): bigint {
  return randomFieldElement();
}

function checkInputs(schemaId: bigint, slots: Slots, salt: bigint): void {
  if (slots.length !== SLOT_COUNT) {
    throw new RangeError(`a record has ${SLOT_COUNT} slots, not ${slots.length}`);
  }
  for (const v of [schemaId, salt, ...slots]) {
    if (!isFieldElement(v)) throw new RangeError("commitment inputs must be field elements");
  }
}

/** The commitment (Merkle leaf) of an encoded record under `schemaId` with `salt`. */
export function computeLeaf(schemaId: bigint, slots: Slots, salt: bigint): bigint {
  checkInputs(schemaId, slots, salt);
  return poseidon([schemaId, poseidon(slots), salt]);
}

/** `computeLeaf` on the faster Poseidon, for committing many records (imports). */
export async function leafHasher(): Promise<
  (schemaId: bigint, slots: Slots, salt: bigint) => bigint
> {
  const hash = await loadFastPoseidon();
  return (schemaId, slots, salt) => {
    checkInputs(schemaId, slots, salt);
    return hash([schemaId, hash(slots), salt]);
  };
}
