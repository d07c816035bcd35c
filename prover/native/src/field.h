// BN254 prime fields in Montgomery form: 4 x 64-bit limbs, CIOS multiplication on unsigned
// __int128. Fq is the base field of the curve, Fr its scalar field; both moduli are below 2^254,
// so a sum of two reduced elements never overflows 256 bits.
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

  /** r - P if r ≥ P, else r (branch-free: the outcome is data-dependent). */
  static inline void reduce_once(u64 r[4]) {
    unsigned long long t[4];
    unsigned char borrow = 0;
    borrow = _subborrow_u64(borrow, r[0], P0, &t[0]);
    borrow = _subborrow_u64(borrow, r[1], P1, &t[1]);
    borrow = _subborrow_u64(borrow, r[2], P2, &t[2]);
    borrow = _subborrow_u64(borrow, r[3], P3, &t[3]);
    const u64 keep = 0 - static_cast<u64>(borrow);  // all ones: r < P, keep r
    for (int i = 0; i < 4; i++) r[i] = (r[i] & keep) | (t[i] & ~keep);
  }

  // Additions on the carry-flag intrinsics: gcc turns them into one adc/sbb chain, where the
  // same arithmetic on unsigned __int128 went through the stack and vector registers (7× slower).
  friend inline Field operator+(const Field& a, const Field& b) {
    unsigned long long r[4];
    unsigned char carry = 0;
    carry = _addcarry_u64(carry, a.v[0], b.v[0], &r[0]);
    carry = _addcarry_u64(carry, a.v[1], b.v[1], &r[1]);
    carry = _addcarry_u64(carry, a.v[2], b.v[2], &r[2]);
    carry = _addcarry_u64(carry, a.v[3], b.v[3], &r[3]);  // both < P < 2^254: no carry out
    Field out{{r[0], r[1], r[2], r[3]}};
    reduce_once(out.v);
    return out;
  }

  friend inline Field operator-(const Field& a, const Field& b) {
    unsigned long long r[4];
    unsigned char borrow = 0;
    borrow = _subborrow_u64(borrow, a.v[0], b.v[0], &r[0]);
    borrow = _subborrow_u64(borrow, a.v[1], b.v[1], &r[1]);
    borrow = _subborrow_u64(borrow, a.v[2], b.v[2], &r[2]);
    borrow = _subborrow_u64(borrow, a.v[3], b.v[3], &r[3]);
    const u64 mask = 0 - static_cast<u64>(borrow);  // add P back when it wrapped, branch-free
    unsigned char carry = 0;
    carry = _addcarry_u64(carry, r[0], P0 & mask, &r[0]);
    carry = _addcarry_u64(carry, r[1], P1 & mask, &r[1]);
    carry = _addcarry_u64(carry, r[2], P2 & mask, &r[2]);
    carry = _addcarry_u64(carry, r[3], P3 & mask, &r[3]);
    return Field{{r[0], r[1], r[2], r[3]}};
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
  /** t[0..4] += x·b (a row of partial products); MULX leaves the carry flag to the adds. */
  static inline void mul_row(u64& t0, u64& t1, u64& t2, u64& t3, u64& t4, const u64 a[4], u64 x) {
    unsigned long long h0, h1, h2, h3, r0, r1, r2, r3, r4;
    const unsigned long long l0 = _mulx_u64(a[0], x, &h0);
    const unsigned long long l1 = _mulx_u64(a[1], x, &h1);
    const unsigned long long l2 = _mulx_u64(a[2], x, &h2);
    const unsigned long long l3 = _mulx_u64(a[3], x, &h3);
    unsigned char k = _addcarry_u64(0, t0, l0, &r0);
    k = _addcarry_u64(k, t1, l1, &r1);
    k = _addcarry_u64(k, t2, l2, &r2);
    k = _addcarry_u64(k, t3, l3, &r3);
    _addcarry_u64(k, t4, 0, &r4);
    k = _addcarry_u64(0, r1, h0, &r1);
    k = _addcarry_u64(k, r2, h1, &r2);
    k = _addcarry_u64(k, r3, h2, &r3);
    _addcarry_u64(k, r4, h3, &r4);
    t0 = r0, t1 = r1, t2 = r2, t3 = r3, t4 = r4;
  }
  /** Montgomery product on MULX (built so only on a CPU that has it; src/cpu.cc checks). */
  friend inline Field operator*(const Field& a, const Field& b) {
    static constexpr u64 PM[4] = {P0, P1, P2, P3};
    u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
    for (int i = 0; i < 4; i++) {
      mul_row(t0, t1, t2, t3, t4, a.v, b.v[i]);
      const u64 m = t0 * INV;
      mul_row(t0, t1, t2, t3, t4, PM, m);  // t0 becomes 0: shift down one limb
      t0 = t1, t1 = t2, t2 = t3, t3 = t4, t4 = 0;
    }
    Field r{{t0, t1, t2, t3}};
    reduce_once(r.v);
    return r;
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
