// A circom Groth16 proving key (snarkjs .zkey, BN254) held in memory, and the prover that computes
// exactly what snarkjs 0.7.6 `groth16.prove` computes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "curve.h"
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

  /** Parse and check the whole file; throws KeyError. */
  static std::unique_ptr<ProvingKey> parse(const uint8_t* data, size_t len);
};

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
