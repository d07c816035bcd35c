// A circom Groth16 proving key (snarkjs .zkey, BN254) held in memory, and the prover that computes
// exactly what snarkjs 0.7.6 `groth16.prove` computes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "curve.h"
#include "fixed_msm.h"
#include "ntt.h"

namespace cpn {

/** A refused proving key: malformed, truncated, for another curve, or with a point off its curve. */
struct KeyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/** A refused witness: wrong length, or a value that is not a reduced field element. */
struct WitnessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/** One coefficient of the QAP's A or B matrix: matrix m (0 = A, 1 = B), row c, signal s. */
struct Coef {
  uint32_t m, c, s;
  Fr value;  // n·R² as stored, read as a Montgomery element (n·R)
};

/** How a key's fixed-base tables are made (see fixed_msm.h). */
struct TableOptions {
  bool enabled = true;
  size_t budget_bytes = size_t{512} << 20;  // most bytes of tables per key
  int threads = 1;                           // threads that build them
  bool background = true;  // build on lowest-priority threads; proofs take the windowed path
                           // until they are ready (false: build before the key is returned)
};

/** A key's fixed-base tables, one per MSM (null: that MSM takes the windowed path). */
struct KeyTables {
  std::unique_ptr<FixedTable<Fq>> a, b1, c, h;
  std::unique_ptr<FixedTable<Fq2>> b2;
  double build_ms = 0;  // the build's wall time (0 when another handle of the key built them)
  size_t bytes() const {
    return (a ? a->bytes() : 0) + (b1 ? b1->bytes() : 0) + (c ? c->bytes() : 0) +
           (h ? h->bytes() : 0) + (b2 ? b2->bytes() : 0);
  }
};

/**
 * A key's tables, built (by a background thread, or before the key was returned) from a copy of
 * its bases, which also tells another handle of the same key that it may share them.
 */
struct TableSlot {
  std::vector<Affine<Fq>> a, b1, c, h;
  std::vector<Affine<Fq2>> b2;
  TableOptions options;
  std::atomic<bool> cancel{false};
  std::thread builder;
  /** The tables once built (null before, or if the build was cancelled). */
  std::shared_ptr<const KeyTables> ready() const { return std::atomic_load(&ready_); }
  void publish(std::shared_ptr<const KeyTables> t) { std::atomic_store(&ready_, std::move(t)); }
  /** Wait for a background build to end. */
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [this] { return done_; });
  }
  void mark_done() {
    {
      std::lock_guard<std::mutex> lock(m_);
      done_ = true;
    }
    cv_.notify_all();
  }
  ~TableSlot() {
    cancel.store(true);
    if (builder.joinable()) builder.join();
  }

 private:
  std::shared_ptr<const KeyTables> ready_;
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
};

/** A parsed and checked proving key. */
struct ProvingKey {
  uint32_t n_vars = 0, n_public = 0, domain_size = 0;
  int power = 0;
  Affine<Fq> alpha1{}, beta1{}, delta1{};
  Affine<Fq2> beta2{}, gamma2{}, delta2{};
  std::vector<Coef> coefs;
  std::vector<Affine<Fq>> a, b1, c, h;
  std::vector<Affine<Fq2>> b2;
  std::unique_ptr<Domain> domain;
  Fr coset_step;  // ω_{2n}: the odd points of the doubled domain
  /** Null when tables are off; shared by every handle of the same key in the process. */
  std::shared_ptr<TableSlot> tables;
  /** Whether this handle found the tables already built or building for another handle. */
  bool tables_shared = false;

  /** Parse and check the whole file; throws KeyError. */
  static std::unique_ptr<ProvingKey> parse(const uint8_t* data, size_t len);
};

/**
 * Give `key` its fixed-base tables: the ones another handle of the same key (same bases) in this
 * process holds or is building, else new ones built on options.threads threads (in the
 * background at the lowest priority, or now) within options.budget_bytes (wider windows, then
 * fewer tables, when they would not fit). Nothing when !options.enabled.
 */
void attach_tables(ProvingKey& key, const TableOptions& options);

/** Milliseconds spent in each step of one proof. */
struct ProveTimings {
  double abc = 0, ntt = 0, msm_a = 0, msm_b1 = 0, msm_b2 = 0, msm_c = 0, msm_h = 0, finish = 0;
  int threads = 1;  // the threads the transforms ran on (this proof's share when they started)
};

/** A proof in affine coordinates, and the public signals (raw integers). */
struct Proof {
  Affine<Fq> a, c;
  Affine<Fq2> b;
  std::vector<U256> public_signals;
  ProveTimings timings;
};

/**
 * Prove for a witness of n_vars field elements (32 bytes little-endian each, reduced), with fresh
 * r and s from the operating system's CSPRNG. Each step runs on this proof's share of
 * `max_threads`: max_threads divided by the proofs in flight in the process when the step
 * starts (at least 1). Throws WitnessError.
 */
Proof prove(const ProvingKey& key, const uint8_t* witness, size_t len, int max_threads);

/** A uniformly random element of Fr (raw) from the operating system's CSPRNG. */
U256 random_fr();

/** Read the 32-byte little-endian integer at p. */
inline U256 read_u256(const uint8_t* p) {
  U256 r;
  for (int i = 0; i < 4; i++) {
    u64 w = 0;
    for (int b = 7; b >= 0; b--) w = (w << 8) | p[i * 8 + b];
    r.v[i] = w;
  }
  return r;
}

/** Write x as 32 bytes little-endian at p. */
inline void write_u256(uint8_t* p, const U256& x) {
  for (int i = 0; i < 4; i++) {
    for (int b = 0; b < 8; b++) p[i * 8 + b] = static_cast<uint8_t>(x.v[i] >> (8 * b));
  }
}

/** A G1 point as the zkey stores it (x, y in Montgomery form; all zero for infinity). */
bool read_g1(const uint8_t* p, Affine<Fq>& out);
/** A G2 point as the zkey stores it (x.c0, x.c1, y.c0, y.c1 in Montgomery form). */
bool read_g2(const uint8_t* p, Affine<Fq2>& out);

}  // namespace cpn
