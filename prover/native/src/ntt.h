// Radix-2 number-theoretic transforms over Fr (Montgomery form), natural order in and out, on
// the same roots of unity as ffjavascript (and so snarkjs): w[s] = nqr^t with nqr the smallest
// quadratic non-residue ≥ 2 and r - 1 = t·2^s, and w[i] = w[i+1]².
#pragma once

#include <cstddef>
#include <vector>

#include "field.h"

namespace cpn {

/** The 2-adicity of r - 1 for BN254's Fr. */
constexpr int FR_TWO_ADICITY = 28;

/** The principal 2^k-th root of unity ffjavascript uses, for k ≤ 28. */
inline Fr fr_root_of_unity(int k) {
  static const std::vector<Fr> roots = [] {
    const U256 rm1{{Fr::P[0] - 1, Fr::P[1], Fr::P[2], Fr::P[3]}};  // P[0] is odd
    U256 half = rm1;
    for (int i = 0; i < 4; i++) half.v[i] = (rm1.v[i] >> 1) | (i < 3 ? rm1.v[i + 1] << 63 : 0);
    const Fr minus_one = Fr::one().neg();
    Fr nqr = Fr::from_u64(2);
    while (nqr.pow(half) != minus_one) nqr = nqr + Fr::one();
    U256 t = rm1;
    for (int s = 0; s < FR_TWO_ADICITY; s++) {
      for (int i = 0; i < 4; i++) t.v[i] = (t.v[i] >> 1) | (i < 3 ? t.v[i + 1] << 63 : 0);
    }
    std::vector<Fr> w(FR_TWO_ADICITY + 1);
    w[FR_TWO_ADICITY] = nqr.pow(t);
    for (int i = FR_TWO_ADICITY; i-- > 0;) w[i] = w[i + 1].sqr();
    return w;
  }();
  return roots[static_cast<size_t>(k)];
}

/** Twiddle factors for transforms of size n = 2^k: tw[j] = ω^j for j < n/2. */
struct Domain {
  size_t n = 0;
  int k = 0;
  std::vector<Fr> tw, tw_inv;
  Fr n_inv;

  explicit Domain(int log_n) : n(size_t{1} << log_n), k(log_n) {
    const Fr w = fr_root_of_unity(log_n);
    const Fr wi = w.inv();
    const size_t half = n > 1 ? n / 2 : 1;
    tw.resize(half);
    tw_inv.resize(half);
    Fr a = Fr::one(), b = Fr::one();
    for (size_t j = 0; j < half; j++) {
      tw[j] = a;
      tw_inv[j] = b;
      a = a * w;
      b = b * wi;
    }
    n_inv = Fr::from_u64(n).inv();
  }
};

/** In-place transform of a[0..n): forward evaluates at ω^i; inverse interpolates (with 1/n). */
inline void ntt(Fr* a, const Domain& d, bool inverse) {
  const size_t n = d.n;
  if (n <= 1) return;
  for (size_t i = 1, j = 0; i < n; i++) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  const std::vector<Fr>& tw = inverse ? d.tw_inv : d.tw;
  for (size_t len = 2; len <= n; len <<= 1) {
    const size_t half = len >> 1;
    const size_t step = n / len;
    for (size_t i = 0; i < n; i += len) {
      for (size_t j = 0; j < half; j++) {
        const Fr u = a[i + j];
        const Fr v = a[i + j + half] * tw[j * step];
        a[i + j] = u + v;
        a[i + j + half] = u - v;
      }
    }
  }
  if (inverse) {
    for (size_t i = 0; i < n; i++) a[i] = a[i] * d.n_inv;
  }
}

}  // namespace cpn
