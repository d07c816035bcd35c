// Pippenger multi-scalar multiplication over affine bases and raw (non-Montgomery) scalars, with
// the windows shared out among threads.
#pragma once

#include <algorithm>
#include <atomic>
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

/** The bit length of the largest scalar, and how many scalars are not zero. */
inline int max_scalar_bits(const U256* scalars, size_t n, size_t& nonzero) {
  U256 acc{{0, 0, 0, 0}};
  nonzero = 0;
  for (size_t i = 0; i < n; i++) {
    const U256& x = scalars[i];
    for (int k = 0; k < 4; k++) acc.v[k] |= x.v[k];
    nonzero += (x.v[0] | x.v[1] | x.v[2] | x.v[3]) != 0;
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

/** Most affine additions that share one field inversion. */
constexpr size_t AFFINE_BATCH = 256;

/**
 * Per-thread scratch of one window: affine buckets filled by batches of affine additions (one
 * inversion per batch, Montgomery's trick), and a Jacobian overflow per bucket for the points
 * that meet a bucket already busy in the batch twice.
 */
template <typename F>
struct WindowScratch {
  std::vector<Affine<F>> bucket;
  std::vector<Jac<F>> overflow;
  std::vector<uint32_t> stamp;
  uint32_t epoch = 0;
  struct Pending {
    uint32_t b;
    const Affine<F>* p;
    bool neg;  // add −p (signed digits: negating an affine point is free)
  };
  std::vector<Pending> batch, deferred, retry;
  std::vector<F> den, prefix;
};

template <typename F>
inline F three_x2(const F& x) {
  F x2 = x.sqr();
  return x2.dbl() + x2;
}

/** Apply the pending additions bucket[b] += p of the batch, with one inversion. */
template <typename F>
void flush_batch(WindowScratch<F>& w) {
  const size_t m = w.batch.size();
  if (m == 0) {
    w.epoch++;
    return;
  }
  w.den.resize(m);
  w.prefix.resize(m);
  F acc = F::one();
  for (size_t j = 0; j < m; j++) {
    const Affine<F>& a = w.bucket[w.batch[j].b];
    const Affine<F>& p = *w.batch[j].p;
    const F py = w.batch[j].neg ? p.y.neg() : p.y;
    F d;
    if (a.x != p.x) {
      d = p.x - a.x;
    } else if (a.y == py && !a.y.is_zero()) {
      d = a.y.dbl();  // doubling
    } else {
      d = F::one();  // P + (−P), or a 2-torsion doubling: the point at infinity, no division
    }
    w.den[j] = d;
    w.prefix[j] = acc;
    acc = acc * d;
  }
  F inv = acc.inv();
  for (size_t j = m; j-- > 0;) {
    const F dinv = inv * w.prefix[j];
    inv = inv * w.den[j];
    Affine<F>& a = w.bucket[w.batch[j].b];
    const Affine<F>& p = *w.batch[j].p;
    const F py = w.batch[j].neg ? p.y.neg() : p.y;
    F lambda;
    if (a.x != p.x) {
      lambda = (py - a.y) * dinv;
    } else if (a.y == py && !a.y.is_zero()) {
      lambda = three_x2(a.x) * dinv;
    } else {
      a = Affine<F>{F::zero(), F::zero(), true};
      continue;
    }
    const F x3 = lambda.sqr() - a.x - p.x;
    a.y = lambda * (a.x - x3) - a.y;
    a.x = x3;
  }
  w.batch.clear();
  w.epoch++;
}

/** Queue bucket[b] += ±p: copied into an empty idle bucket, else batched, else deferred once. */
template <typename F>
inline void bucket_add(WindowScratch<F>& w, uint32_t b, const Affine<F>* p, bool may_defer,
                       bool neg = false) {
  if (w.stamp[b] == w.epoch) {
    if (may_defer) {
      w.deferred.push_back({b, p, neg});
    } else if (neg) {
      w.overflow[b] = jac_add_mixed(w.overflow[b], Affine<F>{p->x, p->y.neg(), false});
    } else {
      w.overflow[b] = jac_add_mixed(w.overflow[b], *p);
    }
    return;
  }
  if (w.bucket[b].inf) {
    w.bucket[b] = *p;
    if (neg) w.bucket[b].y = p->y.neg();
    w.stamp[b] = w.epoch;  // its value is set: later points this batch must not batch on it
    return;
  }
  w.stamp[b] = w.epoch;
  w.batch.push_back({b, p, neg});
}

/** After a flush: the points deferred from the last batch go first (deferred no more). */
template <typename F>
inline void flush_and_retry(WindowScratch<F>& w) {
  flush_batch(w);
  w.retry.swap(w.deferred);
  w.deferred.clear();
  for (const auto& d : w.retry) bucket_add(w, d.b, d.p, false, d.neg);
  w.retry.clear();
}

/** Empty buckets 1..nb (stored at 0..nb−1) and nothing pending: the start of a bucket pass. */
template <typename F>
void reset_buckets(WindowScratch<F>& w, size_t nb) {
  w.bucket.assign(nb, Affine<F>{F::zero(), F::zero(), true});
  w.overflow.assign(nb, Jac<F>::infinity());
  w.stamp.assign(nb, 0);
  w.epoch = 1;
  w.batch.clear();
  w.deferred.clear();
}

/**
 * The end of a bucket pass: the pending additions applied, then Σ (b + 1)·bucket[b] by running
 * sums from the top bucket down.
 */
template <typename F>
Jac<F> reduce_buckets(WindowScratch<F>& w, size_t nb) {
  while (!w.batch.empty() || !w.deferred.empty()) flush_and_retry(w);
  Jac<F> running = Jac<F>::infinity();
  Jac<F> sum = Jac<F>::infinity();
  for (size_t b = nb; b-- > 0;) {
    running = jac_add_mixed(running, w.bucket[b]);
    if (!w.overflow[b].is_inf()) running = jac_add(running, w.overflow[b]);
    sum = jac_add(sum, running);
  }
  return sum;
}

/**
 * reduce_buckets for a power-of-two count of buckets, with batched affine additions: the buckets
 * are cut into S segments of L, and the S running sums (and the S sums of running sums) advance
 * together, one batch of S additions sharing an inversion per step, where the running sum of
 * reduce_buckets is one chain of Jacobian additions (≈ 27 products per bucket against ≈ 12 here
 * plus the inversions). Segment s gives sum_s = Σ_j (j + 1)·bucket[sL + j] and its total run_s;
 * the whole is Σ_s sum_s + L·Σ_s s·run_s, the last a running sum over the S segments. `seg`
 * is the scratch of the segments' sums (2S affine points).
 */
template <typename F>
Jac<F> reduce_buckets_batched(WindowScratch<F>& w, size_t nb, WindowScratch<F>& seg) {
  while (!w.batch.empty() || !w.deferred.empty()) flush_and_retry(w);
  // The Jacobian overflows first (buckets met again by a batch's deferred points: a third of
  // the buckets of A for a query witness, whose values repeat): made affine with one inversion
  // (Montgomery's trick over their Z), then added to their buckets in one batch.
  std::vector<uint32_t> where;
  for (size_t b = 0; b < nb; b++) {
    if (!w.overflow[b].is_inf()) where.push_back(static_cast<uint32_t>(b));
  }
  if (!where.empty()) {
    const size_t m = where.size();
    std::vector<Affine<F>> folded(m);
    std::vector<F> prefix(m);
    F acc = F::one();
    for (size_t k = 0; k < m; k++) {
      prefix[k] = acc;
      acc = acc * w.overflow[where[k]].Z;
    }
    F inv = acc.inv();
    for (size_t k = m; k-- > 0;) {
      const Jac<F>& o = w.overflow[where[k]];
      const F zi = inv * prefix[k];
      inv = inv * o.Z;
      const F zi2 = zi.sqr();
      folded[k] = Affine<F>{o.X * zi2, o.Y * zi2 * zi, false};
    }
    // A new epoch: the last retry may have stamped buckets (a copy into an empty one), and a
    // stamped bucket would send its point back to the overflow.
    w.epoch++;
    for (size_t k = 0; k < m; k++) {
      w.overflow[where[k]] = Jac<F>::infinity();
      bucket_add(w, where[k], &folded[k], false);
    }
    flush_batch(w);
  }
  // S ≈ √(24·nb), a power of two: the inversions (2L of ≈ 380 products) against the products
  // saved per bucket (≈ 15) and the segments' Jacobian combination (2S of ≈ 16).
  size_t S = 1;
  while (S * 2 <= nb && (S * 2) * (S * 2) <= 24 * nb) S *= 2;
  const size_t L = nb / S;
  reset_buckets(seg, 2 * S);  // [0, S): run_s; [S, 2S): sum_s
  for (size_t j = L; j-- > 0;) {
    for (size_t sg = 0; sg < S; sg++) {
      const Affine<F>& b = w.bucket[sg * L + j];
      if (!b.inf) bucket_add(seg, static_cast<uint32_t>(sg), &b, false);
    }
    flush_batch(seg);
    for (size_t sg = 0; sg < S; sg++) {
      const Affine<F>& run = seg.bucket[sg];
      if (!run.inf) bucket_add(seg, static_cast<uint32_t>(S + sg), &run, false);
    }
    flush_batch(seg);
  }
  // Σ_s sum_s + L·Σ_s s·run_s (L a power of two: doublings).
  Jac<F> running = Jac<F>::infinity();
  Jac<F> weighted = Jac<F>::infinity();
  for (size_t sg = S; sg-- > 1;) {
    running = jac_add_mixed(running, seg.bucket[sg]);
    weighted = jac_add(weighted, running);
  }
  for (size_t l = L; l > 1; l >>= 1) weighted = jac_double(weighted);
  for (size_t sg = 0; sg < S; sg++) weighted = jac_add_mixed(weighted, seg.bucket[S + sg]);
  return weighted;
}

/** The sum Σ s_i·P_i over one window of c bits starting at `bit`. */
template <typename F>
Jac<F> msm_window(const Affine<F>* bases, const U256* scalars, size_t n, int bit, int c,
                  WindowScratch<F>& w) {
  const size_t nb = (size_t{1} << c) - 1;
  reset_buckets(w, nb);
  for (size_t i = 0; i < n; i++) {
    const uint32_t d = scalar_window(scalars[i], bit, c);
    if (d == 0 || bases[i].inf) continue;
    bucket_add(w, d - 1, &bases[i], true);
    if (w.batch.size() >= AFFINE_BATCH || w.deferred.size() >= AFFINE_BATCH) flush_and_retry(w);
  }
  return reduce_buckets(w, nb);
}

/** Σ scalars[i]·bases[i] with `threads` threads (1 = the calling thread only). */
template <typename F>
Jac<F> msm(const Affine<F>* bases, const U256* scalars, size_t n, int threads) {
  if (n == 0) return Jac<F>::infinity();
  size_t nonzero = 0;
  const int bits = max_scalar_bits(scalars, n, nonzero);
  if (bits == 0) return Jac<F>::infinity();
  // A circom witness is often 40 % zeros, which cost no addition: size the window by the rest.
  const int c = msm_window_bits(nonzero, bits);
  const int windows = (bits + c - 1) / c;
  std::vector<Jac<F>> sums(static_cast<size_t>(windows), Jac<F>::infinity());
  const int t = std::max(1, std::min(threads, windows));
  // Windows go to whichever thread is free next, so a thread slowed by other work on a shared
  // machine holds up the others by one window at most.
  std::atomic<int> next{0};
  auto work = [&](int) {
    WindowScratch<F> scratch;
    for (int w = next.fetch_add(1); w < windows; w = next.fetch_add(1)) {
      sums[static_cast<size_t>(w)] = msm_window(bases, scalars, n, w * c, c, scratch);
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
