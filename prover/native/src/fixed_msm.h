// Fixed-base multi-scalar multiplication: the bases of a Groth16 MSM are the proving key's, the
// same for every proof, so each base P is stored with its multiples 2^(c·k)·P for every window k
// (computed once, when the key is loaded). Σ s_i·P_i is then ONE bucket pass over the (point,
// window) pairs and ONE bucket reduction, instead of one of each per window; the window digits
// are signed (Booth: digits in [−2^(c−1), 2^(c−1)], a negative digit adds the negated point,
// which is free in affine coordinates), so there are 2^(c−1) buckets, not 2^c − 1.
#pragma once

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <cstddef>
#include <thread>
#include <type_traits>
#include <vector>

#include "msm.h"

namespace cpn {

/** This thread's scheduling priority, lowest: it runs on CPU time nothing else wants. */
inline void set_lowest_priority() {
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
}

/** Whether this thread runs at the lowest priority (its helpers then do too). */
inline bool lowest_priority_here() {
  errno = 0;
  const int p = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  return errno == 0 && p >= 19;
}

/** Bits of the scalars a table serves: every reduced Fr element (r < 2^254). */
constexpr int FIXED_SCALAR_BITS = 254;

/** Windows of c bits that hold a 254-bit scalar in signed digits (no carry out of the top). */
constexpr int fixed_windows(int c) { return (FIXED_SCALAR_BITS + 1 + c - 1) / c; }

/** The estimated group additions of one fixed-base MSM of n terms with windows of c bits. */
inline double fixed_cost(size_t n, int c) {
  return static_cast<double>(n) * fixed_windows(c) + 3.0 * static_cast<double>(1u << (c - 1));
}

/** The window width (8 … 16) that minimises fixed_cost for n terms. */
inline int fixed_window_bits(size_t n) {
  int best = 8;
  for (int c = 9; c <= 16; c++) {
    if (fixed_cost(n, c) < fixed_cost(n, best)) best = c;
  }
  return best;
}

/** The bases of one MSM with their window multiples: point i, window k at [i·windows + k]. */
template <typename F>
struct FixedTable {
  int c = 0;
  int windows = 0;
  size_t n = 0;
  std::vector<Affine<F>> points;

  size_t bytes() const { return points.size() * sizeof(Affine<F>); }

  /**
   * The table of `n` bases for windows of c bits, built on `threads` threads (chunks of bases
   * to whichever thread is free; one field inversion per chunk turns its multiples affine).
   */
  static FixedTable build(const Affine<F>* bases, size_t n, int c, int threads,
                          const std::atomic<bool>* cancel = nullptr) {
    FixedTable t;
    t.c = c;
    t.windows = fixed_windows(c);
    t.n = n;
    const size_t W = static_cast<size_t>(t.windows);
    t.points.assign(n * W, Affine<F>{F::zero(), F::zero(), true});
    constexpr size_t CHUNK = 64;
    std::atomic<size_t> next{0};
    auto work = [&] {
      std::vector<Jac<F>> jac(CHUNK * W);
      std::vector<F> prefix(CHUNK * W);
      for (size_t lo = next.fetch_add(CHUNK); lo < n; lo = next.fetch_add(CHUNK)) {
        if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return;
        const size_t hi = std::min(n, lo + CHUNK);
        const size_t m = (hi - lo) * W;
        for (size_t i = lo; i < hi; i++) {
          Jac<F> cur = Jac<F>::from_affine(bases[i]);
          for (size_t k = 0; k < W; k++) {
            jac[(i - lo) * W + k] = cur;
            if (k + 1 < W) {
              for (int d = 0; d < c; d++) cur = jac_double(cur);
            }
          }
        }
        // Montgomery's trick over the chunk: Z⁻¹ of every multiple from one inversion.
        F acc = F::one();
        for (size_t j = 0; j < m; j++) {
          prefix[j] = acc;
          if (!jac[j].is_inf()) acc = acc * jac[j].Z;
        }
        F inv = acc.inv();
        for (size_t j = m; j-- > 0;) {
          if (jac[j].is_inf()) continue;
          const F zi = inv * prefix[j];
          inv = inv * jac[j].Z;
          const F zi2 = zi.sqr();
          t.points[lo * W + j] = Affine<F>{jac[j].X * zi2, jac[j].Y * zi2 * zi, false};
        }
      }
    };
    run_threads(threads, work);
    return t;
  }

  /** Run `work` on `threads` threads (the calling thread one of them). */
  template <typename Work>
  static void run_threads(int threads, Work& work) {
    if (threads <= 1) {
      work();
      return;
    }
    std::vector<std::thread> pool;
    const bool low = lowest_priority_here();
    for (int k = 1; k < threads; k++) {
      pool.emplace_back([&work, low] {
        if (low) set_lowest_priority();
        work();
      });
    }
    work();
    for (auto& th : pool) th.join();
  }
};

/**
 * Most affine additions that share one inversion in the fixed-base path: 1,024 in G1, where an
 * inversion (≈ 380 products by Fermat) would otherwise be a fifth of the products of a batch of
 * 256 additions (≈ 6 each), and 256 in G2, where an addition costs three times as much for the
 * same inversion and a longer batch measured no faster. A quarter of the buckets at most, so
 * that a batch rarely meets a bucket it already holds (small windows in the tests).
 */
template <typename F>
constexpr size_t fixed_batch(uint32_t buckets) {
  const size_t most = std::is_same<F, Fq>::value ? 1024 : AFFINE_BATCH;
  return std::max<size_t>(1, std::min<size_t>(most, buckets / 4));
}

/**
 * Σ scalars[i]·bases[i] for the table's bases (scalars below 2^254, raw), with `threads`
 * threads: the bases are dealt out in chunks, each thread fills its own 2^(c−1) buckets from
 * every window of its bases and reduces them, and the threads' sums are added.
 */
template <typename F>
Jac<F> fixed_msm(const FixedTable<F>& table, const U256* scalars, int threads) {
  const size_t n = table.n;
  if (n == 0) return Jac<F>::infinity();
  const int c = table.c;
  const size_t W = static_cast<size_t>(table.windows);
  const int32_t half = int32_t{1} << (c - 1);
  const uint32_t nb = static_cast<uint32_t>(half);
  const size_t batch = fixed_batch<F>(nb);
  const int t = std::max(1, threads);
  std::vector<Jac<F>> sums(static_cast<size_t>(t), Jac<F>::infinity());
  constexpr size_t CHUNK = 512;
  std::atomic<size_t> next{0};
  std::atomic<int> ids{0};
  auto work = [&] {
    const int id = ids.fetch_add(1);
    WindowScratch<F> w;
    reset_buckets(w, nb);
    bool any = false;
    for (size_t lo = next.fetch_add(CHUNK); lo < n; lo = next.fetch_add(CHUNK)) {
      const size_t hi = std::min(n, lo + CHUNK);
      for (size_t i = lo; i < hi; i++) {
        const U256& s = scalars[i];
        if ((s.v[0] | s.v[1] | s.v[2] | s.v[3]) == 0) continue;
        const Affine<F>* row = &table.points[i * W];
        if (row[0].inf) continue;
        int32_t carry = 0;
        for (size_t k = 0; k < W; k++) {
          int32_t d = static_cast<int32_t>(scalar_window(s, static_cast<int>(k) * c, c)) + carry;
          carry = d > half ? 1 : 0;
          d -= carry << c;
          if (d == 0) continue;
          any = true;
          const bool neg = d < 0;
          bucket_add(w, static_cast<uint32_t>(neg ? -d : d) - 1, &row[k], true, neg);
          if (w.batch.size() >= batch || w.deferred.size() >= batch) {
            flush_and_retry(w);
          }
        }
      }
    }
    if (!any) return;
    WindowScratch<F> seg;
    sums[static_cast<size_t>(id)] = reduce_buckets_batched(w, nb, seg);
  };
  FixedTable<F>::run_threads(t, work);
  Jac<F> acc = Jac<F>::infinity();
  for (const Jac<F>& s : sums) acc = jac_add(acc, s);
  return acc;
}

/** Σ s_i·P_i from the table when every scalar fits it, else by the windowed path. */
template <typename F>
Jac<F> msm_with(const FixedTable<F>* table, const Affine<F>* bases, const U256* scalars, size_t n,
                int threads) {
  if (table != nullptr && table->n == n) {
    size_t nonzero = 0;
    if (max_scalar_bits(scalars, n, nonzero) <= FIXED_SCALAR_BITS) {
      return fixed_msm(*table, scalars, threads);
    }
  }
  return msm(bases, scalars, n, threads);
}

}  // namespace cpn
