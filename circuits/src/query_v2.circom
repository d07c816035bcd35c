pragma circom 2.1.5;

include "binary-merkle-root.circom";
include "hashing.circom";
include "predicate_v2.circom";
include "record.circom";
include "select.circom";

// QueryV2(DEPTH, K, T): the `query` statement (query.circom) with set operators and a link
// output. "A record committed in the tree with `root`, under schema `schemaId`, satisfies the K
// predicates whose parameters, set table and link choice hash to `queryHash`; `link` commits to
// its linked field under a nonce the holder chose; this proof answers `challenge`."
//
// Public inputs:  root, schemaId, challenge, queryHash (as Query).
// Public outputs: disclosed[K] (as Query); link = Poseidon(slots[linkIndex], linkNonce) when
//                 linking is on, 0 when it is off.
// Private:        as Query, plus table[T] (the query's set values, shared by its IN and NIN
//                 predicates), linkOn (0 or 1), linkIndex (4-bit) and linkNonce.
//
// Proven: as Query, with PredicateV2 in place of Predicate, and
//   queryHash = PoseidonChain([packed_0, a_0, ..., packed_{K-1}, a_{K-1},
//                              table[0], ..., table[T-1], linkOn + 2 * linkIndex]).
// The table and the link choice are in queryHash, so the set a verifier's policy names and the
// field it links on are the ones proved. The linkNonce is in no hash the verifier knows: it is
// what keeps `link` from revealing a low-entropy identifier (docs/architecture.md, "Linked
// records").
template QueryV2(DEPTH, K, T) {
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
    signal input table[T];
    signal input linkOn;
    signal input linkIndex;
    signal input linkNonce;

    signal output disclosed[K];
    signal output link;

    // Membership of the record's leaf in the tree.
    signal leaf <== RecordLeaf()(schemaId, slots, salt);
    component merkleRoot = BinaryMerkleRoot(DEPTH);
    merkleRoot.leaf <== leaf;
    merkleRoot.depth <== pathLength;
    merkleRoot.index <== pathIndex;
    merkleRoot.siblings <== siblings;
    signal computedRoot <== merkleRoot.out;
    signal rootInverse <-- root != 0 ? 1 / root : 0;

    // The predicates, and the hash that binds their parameters, the table and the link choice.
    component predicate[K];
    signal queryElements[2 * K + T + 1];
    for (var k = 0; k < K; k++) {
        predicate[k] = PredicateV2(T);
        predicate[k].slots <== slots;
        predicate[k].op <== predicates[k][0];
        predicate[k].i <== predicates[k][1];
        predicate[k].j <== predicates[k][2];
        predicate[k].a <== predicates[k][3];
        predicate[k].b <== predicates[k][4];
        predicate[k].table <== table;
        disclosed[k] <== predicate[k].disclosed;
        queryElements[2 * k] <== predicate[k].packed;
        queryElements[2 * k + 1] <== predicates[k][3];
    }
    for (var m = 0; m < T; m++) {
        queryElements[2 * K + m] <== table[m];
    }
    queryElements[2 * K + T] <== linkOn + 2 * linkIndex;
    signal computedQueryHash <== PoseidonChain(2 * K + T + 1)(queryElements);

    // The link: the chosen slot, committed under the holder's nonce; 0 when linking is off.
    signal linkBits[4] <== Num2Bits(4)(linkIndex);
    signal linked <== Select16()(slots, linkBits);
    signal linkCommitment <== Poseidon(2)([linked, linkNonce]);
    link <== linkOn * linkCommitment;

    // The challenge takes part in no other constraint: square it so that it is bound to the
    // proof (otherwise a Groth16 proof would stay valid for any challenge value).
    signal challengeSquare <== challenge * challenge;

    // The statement. These checks come after every assignment, so that the witness program
    // computes every signal before the first check can stop it.
    computedRoot === root;
    root * rootInverse === 1;
    computedQueryHash === queryHash;
    // linkOn is a bit (with linkIndex 4-bit, linkOn + 2 * linkIndex is injective).
    linkOn * (linkOn - 1) === 0;
    for (var k = 0; k < K; k++) {
        predicate[k].ok === 1;
    }
}
