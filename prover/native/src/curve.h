// BN254 G1 (over Fq) and G2 (over Fq2, the sextic twist) in Jacobian coordinates; a = 0 for both.
#pragma once

#include "field.h"

namespace cpn {

/** An affine point; `inf` marks the point at infinity (x, y are then zero). */
template <typename F>
struct Affine {
  F x, y;
  bool inf;
};

/** A point in Jacobian coordinates (X/Z², Y/Z³); Z = 0 is the point at infinity. */
template <typename F>
struct Jac {
  F X, Y, Z;

  static Jac infinity() { return Jac{F::one(), F::one(), F::zero()}; }
  bool is_inf() const { return Z.is_zero(); }
  static Jac from_affine(const Affine<F>& a) {
    if (a.inf) return infinity();
    return Jac{a.x, a.y, F::one()};
  }
};

/** 2·P (dbl-2009-l). */
template <typename F>
inline Jac<F> jac_double(const Jac<F>& p) {
  if (p.is_inf()) return p;
  F A = p.X.sqr();
  F B = p.Y.sqr();
  F C = B.sqr();
  F D = ((p.X + B).sqr() - A - C).dbl();
  F E = A.dbl() + A;
  F Fv = E.sqr();
  Jac<F> r;
  r.X = Fv - D.dbl();
  F C8 = C.dbl().dbl().dbl();
  r.Y = E * (D - r.X) - C8;
  r.Z = (p.Y * p.Z).dbl();
  return r;
}

/** P + Q for a Jacobian P and an affine Q (madd-2007-bl), with every special case. */
template <typename F>
inline Jac<F> jac_add_mixed(const Jac<F>& p, const Affine<F>& q) {
  if (q.inf) return p;
  if (p.is_inf()) return Jac<F>{q.x, q.y, F::one()};
  F Z1Z1 = p.Z.sqr();
  F U2 = q.x * Z1Z1;
  F S2 = q.y * p.Z * Z1Z1;
  F H = U2 - p.X;
  F rr = (S2 - p.Y).dbl();
  if (H.is_zero()) {
    if (rr.is_zero()) return jac_double(p);
    return Jac<F>::infinity();
  }
  F HH = H.sqr();
  F I = HH.dbl().dbl();
  F J = H * I;
  F V = p.X * I;
  Jac<F> r;
  r.X = rr.sqr() - J - V.dbl();
  r.Y = rr * (V - r.X) - (p.Y * J).dbl();
  r.Z = (p.Z + H).sqr() - Z1Z1 - HH;
  return r;
}

/** P + Q, both Jacobian (add-2007-bl), with every special case. */
template <typename F>
inline Jac<F> jac_add(const Jac<F>& p, const Jac<F>& q) {
  if (p.is_inf()) return q;
  if (q.is_inf()) return p;
  F Z1Z1 = p.Z.sqr();
  F Z2Z2 = q.Z.sqr();
  F U1 = p.X * Z2Z2;
  F U2 = q.X * Z1Z1;
  F S1 = p.Y * q.Z * Z2Z2;
  F S2 = q.Y * p.Z * Z1Z1;
  F H = U2 - U1;
  F rr = (S2 - S1).dbl();
  if (H.is_zero()) {
    if (rr.is_zero()) return jac_double(p);
    return Jac<F>::infinity();
  }
  F I = H.dbl().sqr();
  F J = H * I;
  F V = U1 * I;
  Jac<F> r;
  r.X = rr.sqr() - J - V.dbl();
  r.Y = rr * (V - r.X) - (S1 * J).dbl();
  r.Z = ((p.Z + q.Z).sqr() - Z1Z1 - Z2Z2) * H;
  return r;
}

template <typename F>
inline Jac<F> jac_neg(const Jac<F>& p) {
  return Jac<F>{p.X, p.Y.neg(), p.Z};
}

template <typename F>
inline Affine<F> to_affine(const Jac<F>& p) {
  if (p.is_inf()) return Affine<F>{F::zero(), F::zero(), true};
  F zi = p.Z.inv();
  F zi2 = zi.sqr();
  return Affine<F>{p.X * zi2, p.Y * zi2 * zi, false};
}

/** k·P for a raw 256-bit scalar (double and add, from the top bit). */
template <typename F>
inline Jac<F> jac_mul(const Jac<F>& p, const U256& k) {
  Jac<F> acc = Jac<F>::infinity();
  for (int i = 255; i >= 0; i--) {
    acc = jac_double(acc);
    if ((k.v[i / 64] >> (i % 64)) & 1) acc = jac_add(acc, p);
  }
  return acc;
}

/** The curve constants: b = 3 for G1, b' = 3 / (9 + u) for G2. */
inline const Fq& g1_b() {
  static const Fq b = Fq::from_u64(3);
  return b;
}
inline const Fq2& g2_b() {
  static const Fq2 b = Fq2{Fq::from_u64(3), Fq::zero()} * Fq2{Fq::from_u64(9), Fq::one()}.inv();
  return b;
}

inline bool on_curve(const Affine<Fq>& a) {
  if (a.inf) return true;
  return a.y.sqr() == a.x.sqr() * a.x + g1_b();
}
inline bool on_curve(const Affine<Fq2>& a) {
  if (a.inf) return true;
  return a.y.sqr() == a.x.sqr() * a.x + g2_b();
}

}  // namespace cpn
