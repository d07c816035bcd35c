pragma circom 2.1.5;

include "record.circom";

// Commitment: "I know a record and salt whose commitment under `schemaId` is `leaf`; this
// proof answers `challenge`."  An opening of a leaf, without revealing anything about it.
//
// Public inputs: leaf, schemaId, challenge. Private: slots[16], salt.
//
// NOTE: membership of `leaf` in any tree is not proven here (the `query` circuit does that).
template Commitment() {
    signal input leaf;
    signal input schemaId;
    signal input challenge;

    signal input slots[16];
    signal input salt;

    signal computedLeaf <== RecordLeaf()(schemaId, slots, salt);

    // Bind the challenge to the proof; it takes part in no other constraint.
    signal challengeSquare <== challenge * challenge;

    computedLeaf === leaf;
}
