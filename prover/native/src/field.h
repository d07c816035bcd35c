// BN254 prime fields in Montgomery form: 4 x 64-bit limbs, CIOS multiplication (one block of
// MULX/ADCX/ADOX assembly where the build machine has them, unsigned __int128 elsewhere), and
// additions, subtractions and reductions in a few lines of x86-64 assembly. Fq is the base field
// of the curve, Fr its scalar field; both moduli are below 2^254, so a sum of two reduced
// elements never overflows 256 bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <x86intrin.h>

namespace cpn {

using u64 = uint64_t;
using u128 = unsigned __int128;

/** A 256-bit unsigned integer, little-endian limbs. */
struct U256 {
  u64 v[4];
};

inline bool u256_is_zero(const U256& a) { return (a.v[0] | a.v[1] | a.v[2] | a.v[3]) == 0; }

/** a < b */
inline bool u256_lt(const U256& a, const U256& b) {
  for (int i = 3; i >= 0; i--) {
    if (a.v[i] != b.v[i]) return a.v[i] < b.v[i];
  }
  return false;
}

/** Decimal digits of a 256-bit integer. */
inline std::string u256_to_decimal(U256 a) {
  if (u256_is_zero(a)) return "0";
  std::string out;
  while (!u256_is_zero(a)) {
    // Divide by 10^19 (fits in 64 bits), limb by limb from the top.
    const u64 d = 10000000000000000000ULL;
    u128 rem = 0;
    for (int i = 3; i >= 0; i--) {
      u128 cur = (rem << 64) | a.v[i];
      a.v[i] = static_cast<u64>(cur / d);
      rem = cur % d;
    }
    u64 chunk = static_cast<u64>(rem);
    for (int k = 0; k < 19; k++) {
      out.push_back(static_cast<char>('0' + chunk % 10));
      chunk /= 10;
      if (u256_is_zero(a) && chunk == 0) break;
    }
  }
  while (out.size() > 1 && out.back() == '0') out.pop_back();
  return std::string(out.rbegin(), out.rend());
}

/** -m^-1 mod 2^64 by Newton's iteration (m odd). */
constexpr u64 neg_inv64(u64 m) {
  u64 x = 1;
  for (int i = 0; i < 7; i++) x *= 2 - m * x;
  return ~x + 1;
}

/** A prime field of modulus P (top limb < 2^63 - 1) in Montgomery form with R = 2^256. */
template <u64 P0, u64 P1, u64 P2, u64 P3>
struct Field {
  u64 v[4];

  static constexpr u64 P[4] = {P0, P1, P2, P3};
  static constexpr u64 INV = neg_inv64(P0);
  static_assert(P3 < 0x7fffffffffffffffULL, "the no-carry Montgomery product needs a spare top bit");

  static Field zero() { return Field{{0, 0, 0, 0}}; }
  static const Field& one() { return consts().one; }
  static const Field& r2() { return consts().r2; }

  bool is_zero() const { return (v[0] | v[1] | v[2] | v[3]) == 0; }
  bool operator==(const Field& o) const {
    return v[0] == o.v[0] && v[1] == o.v[1] && v[2] == o.v[2] && v[3] == o.v[3];
  }
  bool operator!=(const Field& o) const { return !(*this == o); }

  /** Whether the raw integer a is a reduced element (< P). */
  static bool is_reduced(const U256& a) { return u256_lt(a, U256{{P0, P1, P2, P3}}); }

  /** P's limbs in memory, for the assembly below. */
  static constexpr u64 PM[4] = {P0, P1, P2, P3};

  // The additions, subtractions and the final reduction are a few lines of assembly each: from
  // the intrinsics (and from unsigned __int128 before them) gcc 12 built the result through the
  // stack and the vector registers (a 32-byte struct copied by 16-byte loads of 8-byte stores,
  // which the CPU cannot forward); here the limbs stay in registers and the choice is a cmov.

  /** r - P if r ≥ P, else r (branch-free: the outcome is data-dependent). */
  static inline void reduce_once(u64 r[4]) {
    u64 r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3], t0, t1, t2, t3;
    __asm__(
        "movq %[r0], %[t0]\n\t"
        "movq %[r1], %[t1]\n\t"
        "movq %[r2], %[t2]\n\t"
        "movq %[r3], %[t3]\n\t"
        "subq %[p0], %[t0]\n\t"
        "sbbq %[p1], %[t1]\n\t"
        "sbbq %[p2], %[t2]\n\t"
        "sbbq %[p3], %[t3]\n\t"
        "cmovaeq %[t0], %[r0]\n\t"  // no borrow: r ≥ P, take r − P
        "cmovaeq %[t1], %[r1]\n\t"
        "cmovaeq %[t2], %[r2]\n\t"
        "cmovaeq %[t3], %[r3]\n\t"
        : [r0] "+r"(r0), [r1] "+r"(r1), [r2] "+r"(r2), [r3] "+r"(r3), [t0] "=&r"(t0),
          [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
        : [p0] "m"(PM[0]), [p1] "m"(PM[1]), [p2] "m"(PM[2]), [p3] "m"(PM[3])
        : "cc");
    r[0] = r0, r[1] = r1, r[2] = r2, r[3] = r3;
  }

  /** a + b (both < P < 2^254: the sum has no carry out of 256 bits), reduced once. */
  friend inline Field operator+(const Field& a, const Field& b) {
    u64 r0 = a.v[0], r1 = a.v[1], r2 = a.v[2], r3 = a.v[3], t0, t1, t2, t3;
    __asm__(
        "addq %[b0], %[r0]\n\t"
        "adcq %[b1], %[r1]\n\t"
        "adcq %[b2], %[r2]\n\t"
        "adcq %[b3], %[r3]\n\t"
        "movq %[r0], %[t0]\n\t"
        "movq %[r1], %[t1]\n\t"
        "movq %[r2], %[t2]\n\t"
        "movq %[r3], %[t3]\n\t"
        "subq %[p0], %[t0]\n\t"
        "sbbq %[p1], %[t1]\n\t"
        "sbbq %[p2], %[t2]\n\t"
        "sbbq %[p3], %[t3]\n\t"
        "cmovaeq %[t0], %[r0]\n\t"
        "cmovaeq %[t1], %[r1]\n\t"
        "cmovaeq %[t2], %[r2]\n\t"
        "cmovaeq %[t3], %[r3]\n\t"
        : [r0] "+&r"(r0), [r1] "+&r"(r1), [r2] "+&r"(r2), [r3] "+&r"(r3), [t0] "=&r"(t0),
          [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
        : [b0] "m"(b.v[0]), [b1] "m"(b.v[1]), [b2] "m"(b.v[2]), [b3] "m"(b.v[3]),
          [p0] "m"(PM[0]), [p1] "m"(PM[1]), [p2] "m"(PM[2]), [p3] "m"(PM[3])
        : "cc");
    return Field{{r0, r1, r2, r3}};
  }

  /** a − b, plus P when it wrapped (the mask of the borrow selects P or 0). */
  friend inline Field operator-(const Field& a, const Field& b) {
    u64 r0 = a.v[0], r1 = a.v[1], r2 = a.v[2], r3 = a.v[3], m, t0, t1, t2, t3;
    __asm__(
        "subq %[b0], %[r0]\n\t"
        "sbbq %[b1], %[r1]\n\t"
        "sbbq %[b2], %[r2]\n\t"
        "sbbq %[b3], %[r3]\n\t"
        "sbbq %[m], %[m]\n\t"  // all ones when it wrapped, else 0
        "movq %[m], %[t0]\n\t"
        "movq %[m], %[t1]\n\t"
        "movq %[m], %[t2]\n\t"
        "movq %[m], %[t3]\n\t"
        "andq %[p0], %[t0]\n\t"
        "andq %[p1], %[t1]\n\t"
        "andq %[p2], %[t2]\n\t"
        "andq %[p3], %[t3]\n\t"
        "addq %[t0], %[r0]\n\t"
        "adcq %[t1], %[r1]\n\t"
        "adcq %[t2], %[r2]\n\t"
        "adcq %[t3], %[r3]\n\t"
        : [r0] "+&r"(r0), [r1] "+&r"(r1), [r2] "+&r"(r2), [r3] "+&r"(r3), [m] "=&r"(m),
          [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
        : [b0] "m"(b.v[0]), [b1] "m"(b.v[1]), [b2] "m"(b.v[2]), [b3] "m"(b.v[3]),
          [p0] "m"(PM[0]), [p1] "m"(PM[1]), [p2] "m"(PM[2]), [p3] "m"(PM[3])
        : "cc");
    return Field{{r0, r1, r2, r3}};
  }

  Field neg() const { return zero() - *this; }
  Field dbl() const { return *this + *this; }

  /**
   * Montgomery product a·b·R^-1: CIOS with the multiplication and reduction rows interleaved.
   * P's top limb is below 2^63 - 1, so the running sum never needs a fifth limb (the "no-carry"
   * variant, as in gnark-crypto), and each step is one 64×64→128 product plus two additions that
   * cannot overflow 128 bits.
   */
  static inline void mac(u64 a, u64 b, u64 c, u64 d, u64& hi, u64& lo) {
    const u128 x = static_cast<u128>(a) * b + c + d;
    hi = static_cast<u64>(x >> 64);
    lo = static_cast<u64>(x);
  }
#if defined(CPN_ADX)
  /**
   * Montgomery product on MULX/ADCX/ADOX (built so only on a CPU that has them; src/cpu.cc
   * checks): the same no-carry CIOS as the portable product below, written as one block of
   * assembly so that each row's low and high halves go on two independent carry chains (ADOX and
   * ADCX), which gcc does not schedule from the intrinsics, and nothing spills to the stack.
   */
  friend inline Field operator*(const Field& a, const Field& b) {
    Field r;
    mont_mul_adx(r.v, a.v, b.v);
    reduce_once(r.v);
    return r;
  }

  /**
   * r = a·b·2^-256 mod P, below 2P (the caller reduces once). Row i: t += a·b[i] (low halves of
   * the four 64×64 products on the OF chain, high halves on the CF chain, the fifth word in A);
   * then t += m·P with m = t[0]·INV, which clears t[0], and t shifts down one word (the register
   * names rotate instead). With P[3] < 2^63 − 1 the fifth word of t + m·P fits in 64 bits.
   */
  static inline void mont_mul_adx(u64 r[4], const u64 a[4], const u64 b[4]) {
    static constexpr u64 inv = INV;
    u64 t0, t1, t2, t3, A, lo, hi, z;
#define CPN_REDUCE(T0, T1, T2, T3)  /* t = (T0 T1 T2 T3) + m·P, shifted: (T1 T2 T3 T0) */ \
  "movq %[inv], %%rdx\n\t"                                                                 \
  "imulq %" T0 ", %%rdx\n\t"                                                               \
  "xorl %k[z], %k[z]\n\t"                                                                  \
  "mulxq 0(%[p]), %[lo], %[hi]\n\t"                                                        \
  "adcxq %" T0 ", %[lo]\n\t"                                                               \
  "mulxq 8(%[p]), %[lo], %" T0 "\n\t"                                                      \
  "adcxq %[hi], %" T1 "\n\t"                                                               \
  "adoxq %[lo], %" T1 "\n\t"                                                               \
  "mulxq 16(%[p]), %[lo], %[hi]\n\t"                                                       \
  "adcxq %" T0 ", %" T2 "\n\t"                                                             \
  "adoxq %[lo], %" T2 "\n\t"                                                               \
  "mulxq 24(%[p]), %[lo], %" T0 "\n\t"                                                     \
  "adcxq %[hi], %" T3 "\n\t"                                                               \
  "adoxq %[lo], %" T3 "\n\t"                                                               \
  "adcxq %[z], %" T0 "\n\t"                                                                \
  "adoxq %[A], %" T0 "\n\t"
#define CPN_ROW(OFF, T0, T1, T2, T3)  /* (T0 T1 T2 T3 A) = (T0 T1 T2 T3) + a·b[OFF/8] */      \
  "movq " OFF "(%[b]), %%rdx\n\t"                                                          \
  "xorl %k[z], %k[z]\n\t"                                                                  \
  "mulxq 0(%[a]), %[lo], %[hi]\n\t"                                                        \
  "adoxq %[lo], %" T0 "\n\t"                                                               \
  "adcxq %[hi], %" T1 "\n\t"                                                               \
  "mulxq 8(%[a]), %[lo], %[hi]\n\t"                                                        \
  "adoxq %[lo], %" T1 "\n\t"                                                               \
  "adcxq %[hi], %" T2 "\n\t"                                                               \
  "mulxq 16(%[a]), %[lo], %[hi]\n\t"                                                       \
  "adoxq %[lo], %" T2 "\n\t"                                                               \
  "adcxq %[hi], %" T3 "\n\t"                                                               \
  "mulxq 24(%[a]), %[lo], %[A]\n\t"                                                        \
  "adoxq %[lo], %" T3 "\n\t"                                                               \
  "adcxq %[z], %[A]\n\t"                                                                   \
  "adoxq %[z], %[A]\n\t"
    __asm__(
        // Row 0: t = a·b[0], one carry chain.
        "movq 0(%[b]), %%rdx\n\t"
        "xorl %k[z], %k[z]\n\t"
        "mulxq 0(%[a]), %[t0], %[t1]\n\t"
        "mulxq 8(%[a]), %[lo], %[t2]\n\t"
        "adcxq %[lo], %[t1]\n\t"
        "mulxq 16(%[a]), %[lo], %[t3]\n\t"
        "adcxq %[lo], %[t2]\n\t"
        "mulxq 24(%[a]), %[lo], %[A]\n\t"
        "adcxq %[lo], %[t3]\n\t"
        "adcxq %[z], %[A]\n\t"
        CPN_REDUCE("[t0]", "[t1]", "[t2]", "[t3]")
        CPN_ROW("8", "[t1]", "[t2]", "[t3]", "[t0]")
        CPN_REDUCE("[t1]", "[t2]", "[t3]", "[t0]")
        CPN_ROW("16", "[t2]", "[t3]", "[t0]", "[t1]")
        CPN_REDUCE("[t2]", "[t3]", "[t0]", "[t1]")
        CPN_ROW("24", "[t3]", "[t0]", "[t1]", "[t2]")
        CPN_REDUCE("[t3]", "[t0]", "[t1]", "[t2]")
        : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [A] "=&r"(A),
          [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z)
        : [a] "r"(a), [b] "r"(b), [p] "r"(PM), [inv] "m"(inv),
          "m"(*reinterpret_cast<const u64(*)[4]>(a)), "m"(*reinterpret_cast<const u64(*)[4]>(b)),
          "m"(*reinterpret_cast<const u64(*)[4]>(PM))
        : "rdx", "cc");
#undef CPN_REDUCE
#undef CPN_ROW
    r[0] = t0, r[1] = t1, r[2] = t2, r[3] = t3;
  }
#else
  friend inline Field operator*(const Field& a, const Field& b) {
    u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (int i = 0; i < 4; i++) {
      const u64 bi = b.v[i];
      u64 A, C, lo;
      mac(a.v[0], bi, t0, 0, A, t0);
      const u64 m = t0 * INV;
      mac(m, P0, t0, 0, C, lo);
      (void)lo;  // zero by the choice of m
      mac(a.v[1], bi, t1, A, A, t1);
      mac(m, P1, t1, C, C, t0);
      mac(a.v[2], bi, t2, A, A, t2);
      mac(m, P2, t2, C, C, t1);
      mac(a.v[3], bi, t3, A, A, t3);
      mac(m, P3, t3, C, C, t2);
      t3 = C + A;
    }
    Field r{{t0, t1, t2, t3}};
    reduce_once(r.v);
    return r;
  }
#endif

  Field sqr() const { return *this * *this; }

  /** From a raw integer (< P) to Montgomery form. */
  static Field from_raw(const U256& a) {
    Field f{{a.v[0], a.v[1], a.v[2], a.v[3]}};
    return f * r2();
  }
  /** From Montgomery form to the raw integer. */
  U256 to_raw() const {
    Field one_raw{{1, 0, 0, 0}};
    Field r = *this * one_raw;
    return U256{{r.v[0], r.v[1], r.v[2], r.v[3]}};
  }
  static Field from_u64(u64 x) { return from_raw(U256{{x, 0, 0, 0}}); }

  /** this^e for a raw exponent. */
  Field pow(const U256& e) const {
    Field result = one();
    Field base = *this;
    for (int i = 0; i < 4; i++) {
      u64 w = e.v[i];
      for (int b = 0; b < 64; b++) {
        if (w & 1) result = result * base;
        base = base.sqr();
        w >>= 1;
      }
    }
    return result;
  }

  /** Inverse by Fermat (zero maps to zero). */
  Field inv() const {
    U256 e{{P0, P1, P2, P3}};
    u64 borrow = 2;
    for (int i = 0; i < 4 && borrow; i++) {
      const u64 before = e.v[i];
      e.v[i] = before - borrow;
      borrow = before < borrow ? 1 : 0;
    }
    return pow(e);
  }

 private:
  struct Consts {
    Field one;
    Field r2;
  };
  static const Consts& consts() {
    static const Consts c = make_consts();
    return c;
  }
  static Consts make_consts() {
    // R mod P by doubling 1 (as a raw integer, with raw modular additions) 256 times; R² mod P by
    // 256 more doublings.
    Field x{{1, 0, 0, 0}};
    for (int i = 0; i < 256; i++) x = x + x;
    Consts c;
    c.one = x;
    for (int i = 0; i < 256; i++) x = x + x;
    c.r2 = x;
    return c;
  }
};

/** The base field of BN254: p = 21888242871839275222246405745257275088696311157297823662689037894645226208583. */
using Fq = Field<0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL,
                 0x30644e72e131a029ULL>;
/** The scalar field of BN254: r = 21888242871839275222246405745257275088548364400416034343698204186575808495617. */
using Fr = Field<0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL,
                 0x30644e72e131a029ULL>;

/** Fq2 = Fq[u] / (u² + 1). */
struct Fq2 {
  Fq c0, c1;

  static Fq2 zero() { return Fq2{Fq::zero(), Fq::zero()}; }
  static Fq2 one() { return Fq2{Fq::one(), Fq::zero()}; }
  bool is_zero() const { return c0.is_zero() && c1.is_zero(); }
  bool operator==(const Fq2& o) const { return c0 == o.c0 && c1 == o.c1; }
  bool operator!=(const Fq2& o) const { return !(*this == o); }
  friend inline Fq2 operator+(const Fq2& a, const Fq2& b) { return Fq2{a.c0 + b.c0, a.c1 + b.c1}; }
  friend inline Fq2 operator-(const Fq2& a, const Fq2& b) { return Fq2{a.c0 - b.c0, a.c1 - b.c1}; }
  friend inline Fq2 operator*(const Fq2& a, const Fq2& b) {
    Fq v0 = a.c0 * b.c0;
    Fq v1 = a.c1 * b.c1;
    Fq s = (a.c0 + a.c1) * (b.c0 + b.c1);
    return Fq2{v0 - v1, s - v0 - v1};
  }
  Fq2 sqr() const {
    // (a + bu)² = (a+b)(a-b) + 2ab·u
    Fq ab = c0 * c1;
    return Fq2{(c0 + c1) * (c0 - c1), ab + ab};
  }
  Fq2 neg() const { return Fq2{c0.neg(), c1.neg()}; }
  Fq2 dbl() const { return *this + *this; }
  Fq2 inv() const {
    Fq t = (c0.sqr() + c1.sqr()).inv();
    return Fq2{c0 * t, (c1 * t).neg()};
  }
};

}  // namespace cpn
