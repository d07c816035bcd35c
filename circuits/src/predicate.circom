pragma circom 2.1.5;

include "bitify.circom";
include "comparators.circom";
include "select.circom";

// Predicate: one predicate slot of a query, `(op, i, j, a, b)`, applied to a record's 16 slots.
//
// Operators (the TypeScript twin is `Op` in core/query.ts; x = slots[i], y = slots[j]):
//    0 NOOP       always true          6 GTE        x >= a
//    1 EQ         x == a               7 BETWEEN    a <= x <= b
//    2 NE         x != a               8 OUTSIDE    x < a or x > b
//    3 LT         x < a                9 RATIO_LTE  a*x <= b*y
//    4 LTE        x <= a              10 RATIO_GTE  a*x >= b*y
//    5 GT         x > a               11 DISCLOSE   `disclosed` = x
//
// Constrains: `op` in [0, 11] and the range checks below. Outputs: `ok`, 1 when the predicate
// holds and 0 otherwise (the caller must require ok = 1); `packed`, the injective packing
// `op + 16*i + 256*j + 4096*b` that, with `a`, enters queryHash; and `disclosed` (x for
// DISCLOSE, else 0).
//
// Range checks (always): op, i and j are 4-bit; b is 64-bit, which also makes `packed`
// injective. For comparison operators (LT..RATIO_GTE), x and a must be < 2^64, and y too for
// the ratios: the operands are gated by the operator (`x * isComparison`), so a `hash` slot can
// still be used with EQ, NE and DISCLOSE, while a value of 2^64 or more, or one that wraps
// modulo r, can never satisfy a comparison. Products of two 64-bit values are compared with a
// 128-bit comparator.
//
// Cost: two comparators (64- and 128-bit) shared by all operators, their operands chosen by op.
template Predicate() {
    signal input slots[16];
    signal input op;
    signal input i;
    signal input j;
    signal input a;
    signal input b;
    signal output ok;
    signal output packed;
    signal output disclosed;

    // --- decode the operator into one-hot selectors ------------------------------------------
    component opBitsOf = Num2Bits(4);
    opBitsOf.in <== op;
    signal opBits[4] <== opBitsOf.out;
    // op <= 11  <=>  not both high bits set
    opBits[2] * opBits[3] === 0;
    signal lowBoth <== opBits[0] * opBits[1];
    signal highBoth <== opBits[2] * opBits[3];
    var low[4] = [1 - opBits[0] - opBits[1] + lowBoth, opBits[0] - lowBoth, opBits[1] - lowBoth, lowBoth];
    var high[3] = [1 - opBits[2] - opBits[3] + highBoth, opBits[2] - highBoth, opBits[3] - highBoth];
    signal is[12];
    for (var h = 0; h < 3; h++) {
        for (var l = 0; l < 4; l++) {
            is[4 * h + l] <== high[h] * low[l];
        }
    }
    var isNoop = is[0];
    var isEq = is[1];
    var isNe = is[2];
    var isLt = is[3];
    var isLte = is[4];
    var isGt = is[5];
    var isGte = is[6];
    var isBetween = is[7];
    var isOutside = is[8];
    var isRatioLte = is[9];
    var isRatioGte = is[10];
    var isDisclose = is[11];
    var isComparison = isLt + isLte + isGt + isGte + isBetween + isOutside + isRatioLte + isRatioGte;
    var isRatio = isRatioLte + isRatioGte;
    var isRange = isBetween + isOutside;

    // --- operands ----------------------------------------------------------------------------
    signal iBits[4] <== Num2Bits(4)(i);
    signal jBits[4] <== Num2Bits(4)(j);
    signal x <== Select16()(slots, iBits);
    signal y <== Select16()(slots, jBits);

    // Comparison operands, gated by the operator; range-checked at the end of this template.
    signal xc <== x * isComparison;
    signal ac <== a * isComparison;
    signal yc <== y * isRatio;

    // --- comparator 1 (64-bit): LT, GTE, BETWEEN, OUTSIDE compare (x, a); LTE, GT (a, x) -------
    signal swap1 <== (isLte + isGt) * (ac - xc);
    component cmp64 = LessThan(64);
    cmp64.in <== [xc + swap1, ac - swap1];
    signal lt1 <== cmp64.out;

    // --- comparator 2 (128-bit): BETWEEN, OUTSIDE compare (b, x); RATIO_LTE (b*y, a*x);
    //     RATIO_GTE (a*x, b*y) ---------------------------------------------------------------
    signal ax <== ac * xc;
    signal axRatio <== ax * isRatio;
    signal by <== b * yc;
    signal ratioLeft <== by + isRatioGte * (axRatio - by);
    signal ratioRight <== axRatio + by - ratioLeft;
    signal rangeLeft <== isRange * b;
    signal rangeRight <== isRange * xc;
    component cmp128 = LessThan(128);
    cmp128.in <== [rangeLeft + ratioLeft, rangeRight + ratioRight];
    signal lt2 <== cmp128.out;

    // --- equality ----------------------------------------------------------------------------
    component isEqual = IsZero();
    isEqual.in <== x - a;
    signal eq <== isEqual.out;

    // --- the verdict: exactly one selector is 1, so ok is 0 or 1 ---------------------------------
    signal inRange <== (1 - lt1) * (1 - lt2);
    signal terms[7];
    terms[0] <== isEq * eq;
    terms[1] <== isNe * (1 - eq);
    terms[2] <== (isLt + isGt) * lt1;
    terms[3] <== (isLte + isGte) * (1 - lt1);
    terms[4] <== isBetween * inRange;
    terms[5] <== isOutside * (1 - inRange);
    terms[6] <== isRatio * (1 - lt2);
    ok <== isNoop + isDisclose + terms[0] + terms[1] + terms[2] + terms[3] + terms[4] + terms[5] + terms[6];

    packed <== op + 16 * i + 256 * j + 4096 * b;
    disclosed <== x * isDisclose;

    // --- range checks: every comparison operand, and b, fit in 64 bits --------------------------
    // (Last, so that the witness program computes every other signal before they can stop it;
    // the constraints are the same wherever they stand.)
    component bRange = Num2Bits(64);
    bRange.in <== b;
    component xRange = Num2Bits(64);
    xRange.in <== xc;
    component aRange = Num2Bits(64);
    aRange.in <== ac;
    component yRange = Num2Bits(64);
    yRange.in <== yc;
}
