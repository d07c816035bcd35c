pragma circom 2.1.5;

// Select16: out = in[index], for an index given by its 4 bits (least significant first).
//
// A binary multiplexer tree: 8 + 4 + 2 + 1 = 15 constraints, against 16 IsEqual gates and a
// 16-term inner product for a one-hot selection.
//
// NOTE: the bits are NOT checked to be boolean here; the caller must take them from Num2Bits.
template Select16() {
    signal input in[16];
    signal input bits[4];
    signal output out;

    signal l1[8];
    for (var k = 0; k < 8; k++) {
        l1[k] <== in[2 * k] + bits[0] * (in[2 * k + 1] - in[2 * k]);
    }
    signal l2[4];
    for (var k = 0; k < 4; k++) {
        l2[k] <== l1[2 * k] + bits[1] * (l1[2 * k + 1] - l1[2 * k]);
    }
    signal l3[2];
    for (var k = 0; k < 2; k++) {
        l3[k] <== l2[2 * k] + bits[2] * (l2[2 * k + 1] - l2[2 * k]);
    }
    out <== l3[0] + bits[3] * (l3[1] - l3[0]);
}
