pragma circom 2.1.5;

include "poseidon.circom";

// RecordLeaf: the commitment to one record, as the issuer puts it in its Merkle tree.
//
//   leaf = Poseidon(schemaId, Poseidon16(slots), salt)
//
// Inputs: the 16 field slots of the record (unused slots are 0), the schema id and the salt.
// Output: the leaf.
//
// NOTE: no range check is applied to the slots here: a commitment binds any field elements.
// Range checks belong to the predicates that compare slots (see predicate.circom).
template RecordLeaf() {
    signal input schemaId;
    signal input slots[16];
    signal input salt;
    signal output leaf;

    signal slotsHash <== Poseidon(16)(slots);
    leaf <== Poseidon(3)([schemaId, slotsHash, salt]);
}
