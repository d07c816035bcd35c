// Pippenger multi-scalar multiplication over affine bases and raw (non-Montgomery) scalars, with
// the windows shared out among threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

#include "curve.h"

namespace cpn {

/** Bits [bit, bit + c) of s (c ≤ 31). */
inline uint32_t scalar_window(const U256& s, int bit, int c) {
  const int limb = bit >> 6;
  const int off = bit & 63;
  if (limb > 3) return 0;
  u64 w = s.v[limb] >> off;
  if (off + c > 64 && limb < 3) w |= s.v[limb + 1] << (64 - off);
  return static_cast<uint32_t>(w & ((u64{1} << c) - 1));
}

/** The bit length of the largest scalar. */
inline int max_scalar_bits(const U256* scalars, size_t n) {
  U256 acc{{0, 0, 0, 0}};
  for (size_t i = 0; i < n; i++) {
    for (int k = 0; k < 4; k++) acc.v[k] |= scalars[i].v[k];
  }
  for (int k = 3; k >= 0; k--) {
    if (acc.v[k]) return k * 64 + 64 - __builtin_clzll(acc.v[k]);
  }
  return 0;
}

/** The window width that minimises the estimated number of group additions. */
inline int msm_window_bits(size_t n, int bits) {
  int best = 1;
  double best_cost = 0;
  for (int c = 1; c <= 16; c++) {
    const double windows = static_cast<double>((bits + c - 1) / c);
    const double cost = windows * (static_cast<double>(n) + 3.0 * static_cast<double>(1u << c));
    if (c == 1 || cost < best_cost) {
      best = c;
      best_cost = cost;
    }
  }
  return best;
}

/** The sum Σ s_i·P_i over one window of c bits starting at `bit`. */
template <typename F>
Jac<F> msm_window(const Affine<F>* bases, const U256* scalars, size_t n, int bit, int c,
                  std::vector<Jac<F>>& buckets) {
  const size_t nb = (size_t{1} << c) - 1;
  buckets.assign(nb, Jac<F>::infinity());
  for (size_t i = 0; i < n; i++) {
    const uint32_t d = scalar_window(scalars[i], bit, c);
    if (d == 0) continue;
    buckets[d - 1] = jac_add_mixed(buckets[d - 1], bases[i]);
  }
  Jac<F> running = Jac<F>::infinity();
  Jac<F> sum = Jac<F>::infinity();
  for (size_t b = nb; b-- > 0;) {
    running = jac_add(running, buckets[b]);
    sum = jac_add(sum, running);
  }
  return sum;
}

/** Σ scalars[i]·bases[i] with `threads` threads (1 = the calling thread only). */
template <typename F>
Jac<F> msm(const Affine<F>* bases, const U256* scalars, size_t n, int threads) {
  if (n == 0) return Jac<F>::infinity();
  const int bits = max_scalar_bits(scalars, n);
  if (bits == 0) return Jac<F>::infinity();
  const int c = msm_window_bits(n, bits);
  const int windows = (bits + c - 1) / c;
  std::vector<Jac<F>> sums(static_cast<size_t>(windows), Jac<F>::infinity());
  const int t = std::max(1, std::min(threads, windows));
  auto work = [&](int first) {
    std::vector<Jac<F>> buckets;
    for (int w = first; w < windows; w += t) {
      sums[static_cast<size_t>(w)] = msm_window(bases, scalars, n, w * c, c, buckets);
    }
  };
  if (t == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int k = 1; k < t; k++) pool.emplace_back(work, k);
    work(0);
    for (auto& th : pool) th.join();
  }
  Jac<F> acc = Jac<F>::infinity();
  for (int w = windows; w-- > 0;) {
    for (int k = 0; k < c; k++) acc = jac_double(acc);
    acc = jac_add(acc, sums[static_cast<size_t>(w)]);
  }
  return acc;
}

}  // namespace cpn
