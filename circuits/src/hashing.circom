pragma circom 2.1.5;

include "poseidon.circom";

// PoseidonChain(N): a Poseidon hash of N field elements for any N >= 1.
//
//   N <= 16: Poseidon(N)(in)
//   N > 16:  h = Poseidon(16)(in[0..16]); then h = Poseidon(1 + m)(h, next m <= 15 elements)
//            until every element is absorbed.
//
// The TypeScript twin is `poseidonChain` in core/poseidon.ts. Inputs are not range-checked.
template PoseidonChain(N) {
    signal input in[N];
    signal output out;

    assert(N >= 1);
    if (N <= 16) {
        out <== Poseidon(N)(in);
    } else {
        var rounds = 1 + (N - 16 + 14) \ 15;
        signal acc[rounds];
        acc[0] <== Poseidon(16)([in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7],
                                 in[8], in[9], in[10], in[11], in[12], in[13], in[14], in[15]]);
        var offset = 16;
        component links[rounds - 1];
        for (var r = 1; r < rounds; r++) {
            var m = N - offset < 15 ? N - offset : 15;
            links[r - 1] = Poseidon(1 + m);
            links[r - 1].inputs[0] <== acc[r - 1];
            for (var k = 0; k < m; k++) {
                links[r - 1].inputs[1 + k] <== in[offset + k];
            }
            acc[r] <== links[r - 1].out;
            offset += m;
        }
        out <== acc[rounds - 1];
    }
}
