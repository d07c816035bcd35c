pragma circom 2.1.5;

include "binary-merkle-root.circom";
include "hashing.circom";
include "predicate.circom";
include "record.circom";

// Query(DEPTH, K): "a record committed in the tree with `root`, under schema `schemaId`,
// satisfies the K predicates whose parameters hash to `queryHash`; this proof answers
// `challenge`."
//
// Public inputs:  root, schemaId, challenge, queryHash.
// Public outputs: disclosed[K], the value of slot i of each DISCLOSE predicate (0 elsewhere).
// Private:        slots[16], salt, the LeanIMT membership proof (pathLength = number of
//                 siblings, pathIndex, siblings[DEPTH]) and predicates[K] = (op, i, j, a, b).
//
// Proven:
//   - leaf = Poseidon(schemaId, Poseidon16(slots), salt) is in the LeanIMT tree with `root`
//     (zk-kit BinaryMerkleRoot; pathIndex is decomposed into DEPTH bits there);
//   - every predicate holds, with the range checks described in predicate.circom;
//   - queryHash = PoseidonChain([packed_0, a_0, ..., packed_{K-1}, a_{K-1}]).
//
// NOTE (not enforced here; the verifier's job): that `root` is anchored by an accepted issuer
// and current; that `queryHash` is the hash of the verifier's own policy; that `challenge` is
// fresh. `root` must be non-zero: BinaryMerkleRoot yields 0 for a pathLength above DEPTH, so a
// zero root would accept any leaf; the circuit refuses root = 0.
template Query(DEPTH, K) {
    signal input root;
    signal input schemaId;
    signal input challenge;
    signal input queryHash;

    signal input slots[16];
    signal input salt;
    signal input pathLength;
    signal input pathIndex;
    signal input siblings[DEPTH];
    signal input predicates[K][5];

    signal output disclosed[K];

    // Membership of the record's leaf in the tree.
    signal leaf <== RecordLeaf()(schemaId, slots, salt);
    component merkleRoot = BinaryMerkleRoot(DEPTH);
    merkleRoot.leaf <== leaf;
    merkleRoot.depth <== pathLength;
    merkleRoot.index <== pathIndex;
    merkleRoot.siblings <== siblings;
    signal computedRoot <== merkleRoot.out;
    signal rootInverse <-- root != 0 ? 1 / root : 0;

    // The predicates, and the hash that binds their parameters.
    component predicate[K];
    signal queryElements[2 * K];
    for (var k = 0; k < K; k++) {
        predicate[k] = Predicate();
        predicate[k].slots <== slots;
        predicate[k].op <== predicates[k][0];
        predicate[k].i <== predicates[k][1];
        predicate[k].j <== predicates[k][2];
        predicate[k].a <== predicates[k][3];
        predicate[k].b <== predicates[k][4];
        disclosed[k] <== predicate[k].disclosed;
        queryElements[2 * k] <== predicate[k].packed;
        queryElements[2 * k + 1] <== predicates[k][3];
    }
    signal computedQueryHash <== PoseidonChain(2 * K)(queryElements);

    // The challenge takes part in no other constraint: square it so that it is bound to the
    // proof (otherwise a Groth16 proof would stay valid for any challenge value).
    signal challengeSquare <== challenge * challenge;

    // The statement. These checks come after every assignment, so that the witness program
    // computes every signal before the first check can stop it.
    computedRoot === root;
    root * rootInverse === 1;
    computedQueryHash === queryHash;
    for (var k = 0; k < K; k++) {
        predicate[k].ok === 1;
    }
}
