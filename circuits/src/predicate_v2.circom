pragma circom 2.1.5;

include "bitify.circom";
include "comparators.circom";
include "select.circom";

// PredicateV2(T): one predicate slot of a `query_v2` query, `(op, i, j, a, b)`, applied to a
// record's 16 slots and to the query's shared table of T set values.
//
// Operators 0..11 are those of predicate.circom, unchanged (same codes, same checks, same
// packing); two are added (x = slots[i]):
//   12 IN    x is one of the table entries selected by the mask b
//   13 NIN   x is none of them
// For IN and NIN, `b` is a T-bit mask over `table`: bit m set means table[m] is in the set.
// Membership is prod_m (mask_m ? (x - table[m]) : 1) = 0: the field has no zero divisors, so the
// product is 0 exactly when some selected entry equals x. An entry whose mask bit is 0 counts as
// 1 and can never match (so the zero padding of the table never makes x = 0 a member). `a` and
// `j` are not read by IN and NIN (the TypeScript twin requires them to be 0).
//
// Constrains: `op` in [0, 13] (14 and 15 are refused), b < 2^T for IN and NIN (on top of the
// 64-bit range check of every b), and the range checks of predicate.circom. Outputs as
// Predicate: `ok`, `packed` = op + 16*i + 256*j + 4096*b, `disclosed`.
//
// Cost over Predicate: two operator selectors, T factors and T - 1 products, one IsZero, the
// mask range check (one constraint: the mask reuses the bits of b's 64-bit range check).
template PredicateV2(T) {
    assert(T >= 1 && T <= 64);
    signal input slots[16];
    signal input op;
    signal input i;
    signal input j;
    signal input a;
    signal input b;
    signal input table[T];
    signal output ok;
    signal output packed;
    signal output disclosed;

    // --- decode the operator into one-hot selectors ------------------------------------------
    component opBitsOf = Num2Bits(4);
    opBitsOf.in <== op;
    signal opBits[4] <== opBitsOf.out;
    signal lowBoth <== opBits[0] * opBits[1];
    signal highBoth <== opBits[2] * opBits[3];
    var low[4] = [1 - opBits[0] - opBits[1] + lowBoth, opBits[0] - lowBoth, opBits[1] - lowBoth, lowBoth];
    var high[4] = [1 - opBits[2] - opBits[3] + highBoth, opBits[2] - highBoth, opBits[3] - highBoth, highBoth];
    signal is[14];
    for (var h = 0; h < 3; h++) {
        for (var l = 0; l < 4; l++) {
            is[4 * h + l] <== high[h] * low[l];
        }
    }
    is[12] <== high[3] * low[0];
    is[13] <== high[3] * low[1];
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
    var isIn = is[12];
    var isNin = is[13];
    var isComparison = isLt + isLte + isGt + isGte + isBetween + isOutside + isRatioLte + isRatioGte;
    var isRatio = isRatioLte + isRatioGte;
    var isRange = isBetween + isOutside;
    var isSet = isIn + isNin;

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

    // --- set membership (IN, NIN): the mask is the low T bits of b ---------------------------
    component bRange = Num2Bits(64);
    bRange.in <== b;
    signal mask[T];
    for (var m = 0; m < T; m++) {
        mask[m] <== bRange.out[m];
    }
    signal factor[T];
    signal product[T];
    for (var m = 0; m < T; m++) {
        factor[m] <== 1 + mask[m] * (x - table[m] - 1);
        if (m == 0) {
            product[m] <== factor[m];
        } else {
            product[m] <== product[m - 1] * factor[m];
        }
    }
    component isMember = IsZero();
    isMember.in <== product[T - 1];
    signal member <== isMember.out;
    var maskValue = 0;
    for (var m = 0; m < T; m++) {
        maskValue += mask[m] * (1 << m);
    }

    // --- the verdict: exactly one selector is 1, so ok is 0 or 1 ---------------------------------
    signal inRange <== (1 - lt1) * (1 - lt2);
    signal terms[9];
    terms[0] <== isEq * eq;
    terms[1] <== isNe * (1 - eq);
    terms[2] <== (isLt + isGt) * lt1;
    terms[3] <== (isLte + isGte) * (1 - lt1);
    terms[4] <== isBetween * inRange;
    terms[5] <== isOutside * (1 - inRange);
    terms[6] <== isRatio * (1 - lt2);
    terms[7] <== isIn * member;
    terms[8] <== isNin * (1 - member);
    ok <== isNoop + isDisclose + terms[0] + terms[1] + terms[2] + terms[3] + terms[4] + terms[5] + terms[6] + terms[7] + terms[8];

    packed <== op + 16 * i + 256 * j + 4096 * b;
    disclosed <== x * isDisclose;

    // --- checks (last, so that the witness program computes every other signal first) ---------
    // op <= 13: 14 (1110) and 15 (1111) are the codes with both high bits and bit 1 set.
    highBoth * opBits[1] === 0;
    // IN and NIN: b < 2^T, i.e. b is its low T bits.
    isSet * (b - maskValue) === 0;
    // Every comparison operand fits in 64 bits (b does: bRange above).
    component xRange = Num2Bits(64);
    xRange.in <== xc;
    component aRange = Num2Bits(64);
    aRange.in <== ac;
    component yRange = Num2Bits(64);
    yRange.in <== yc;
}
