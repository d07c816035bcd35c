#include "groth16.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "msm.h"

namespace cpn {

namespace {

const U256 FQ_MODULUS{{Fq::P[0], Fq::P[1], Fq::P[2], Fq::P[3]}};
const U256 FR_MODULUS{{Fr::P[0], Fr::P[1], Fr::P[2], Fr::P[3]}};

/** A Montgomery-form coordinate as stored, if it is reduced. */
bool read_fq(const uint8_t* p, Fq& out) {
  const U256 x = read_u256(p);
  if (!Fq::is_reduced(x)) return false;
  out = Fq{{x.v[0], x.v[1], x.v[2], x.v[3]}};
  return true;
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i]) return false;
  }
  return true;
}

struct Section {
  size_t offset = 0;
  uint64_t size = 0;
  bool present = false;
};

/** A bounds-checked little-endian reader over the file. */
class Reader {
 public:
  Reader(const uint8_t* data, size_t len) : data_(data), len_(len) {}
  void need(size_t pos, uint64_t n, const char* what) const {
    if (pos > len_ || n > len_ - pos) {
      throw KeyError(std::string("the proving key is truncated (") + what + ")");
    }
  }
  uint32_t u32(size_t pos) const {
    need(pos, 4, "a 32-bit field");
    return static_cast<uint32_t>(data_[pos]) | static_cast<uint32_t>(data_[pos + 1]) << 8 |
           static_cast<uint32_t>(data_[pos + 2]) << 16 | static_cast<uint32_t>(data_[pos + 3]) << 24;
  }
  uint64_t u64at(size_t pos) const {
    return static_cast<uint64_t>(u32(pos)) | static_cast<uint64_t>(u32(pos + 4)) << 32;
  }
  const uint8_t* at(size_t pos) const { return data_ + pos; }

 private:
  const uint8_t* data_;
  size_t len_;
};

void expect_size(const Section& s, uint64_t expected, const char* name) {
  if (s.size != expected) {
    throw KeyError(std::string("the proving key's ") + name + " section has " +
                   std::to_string(s.size) + " bytes, not the " + std::to_string(expected) +
                   " its header implies");
  }
}

template <typename F, bool (*Read)(const uint8_t*, Affine<F>&)>
void read_points(const Reader& rd, const Section& s, size_t count, size_t point_size,
                 const char* name, std::vector<Affine<F>>& out) {
  expect_size(s, static_cast<uint64_t>(count) * point_size, name);
  out.resize(count);
  for (size_t i = 0; i < count; i++) {
    if (!Read(rd.at(s.offset + i * point_size), out[i])) {
      throw KeyError(std::string("the proving key's ") + name + " point " + std::to_string(i) +
                     " is not a point of the curve");
    }
  }
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

bool read_g1(const uint8_t* p, Affine<Fq>& out) {
  if (all_zero(p, 64)) {
    out = Affine<Fq>{Fq::zero(), Fq::zero(), true};
    return true;
  }
  out.inf = false;
  return read_fq(p, out.x) && read_fq(p + 32, out.y) && on_curve(out);
}

bool read_g2(const uint8_t* p, Affine<Fq2>& out) {
  if (all_zero(p, 128)) {
    out = Affine<Fq2>{Fq2::zero(), Fq2::zero(), true};
    return true;
  }
  out.inf = false;
  return read_fq(p, out.x.c0) && read_fq(p + 32, out.x.c1) && read_fq(p + 64, out.y.c0) &&
         read_fq(p + 96, out.y.c1) && on_curve(out);
}

std::unique_ptr<ProvingKey> ProvingKey::parse(const uint8_t* data, size_t len) {
  Reader rd(data, len);
  rd.need(0, 12, "the file header");
  if (std::memcmp(data, "zkey", 4) != 0) throw KeyError("not a zkey file (wrong magic bytes)");
  const uint32_t version = rd.u32(4);
  if (version < 1 || version > 2) {
    throw KeyError("unsupported zkey version " + std::to_string(version));
  }
  const uint32_t n_sections = rd.u32(8);
  Section sections[11];
  size_t pos = 12;
  for (uint32_t i = 0; i < n_sections; i++) {
    const uint32_t type = rd.u32(pos);
    const uint64_t size = rd.u64at(pos + 4);
    pos += 12;
    rd.need(pos, size, "a section");
    if (type >= 1 && type <= 10) {
      if (sections[type].present) {
        throw KeyError("the proving key has section " + std::to_string(type) + " twice");
      }
      sections[type] = Section{pos, size, true};
    }
    pos += static_cast<size_t>(size);
  }
  for (uint32_t t = 1; t <= 9; t++) {
    if (!sections[t].present) {
      throw KeyError("the proving key has no section " + std::to_string(t));
    }
  }

  expect_size(sections[1], 4, "protocol");
  if (rd.u32(sections[1].offset) != 1) throw KeyError("the proving key is not a Groth16 key");

  auto key = std::make_unique<ProvingKey>();
  const Section& hs = sections[2];
  expect_size(hs, 4 + 32 + 4 + 32 + 4 + 4 + 4 + 3 * 64 + 3 * 128, "Groth16 header");
  size_t p = hs.offset;
  if (rd.u32(p) != 32) throw KeyError("the proving key's base field is not 32 bytes wide");
  const U256 q = read_u256(rd.at(p + 4));
  if (std::memcmp(q.v, FQ_MODULUS.v, sizeof q.v) != 0) {
    throw KeyError("the proving key is not for the bn128 (BN254) curve: base field prime differs");
  }
  if (rd.u32(p + 36) != 32) throw KeyError("the proving key's scalar field is not 32 bytes wide");
  const U256 r = read_u256(rd.at(p + 40));
  if (std::memcmp(r.v, FR_MODULUS.v, sizeof r.v) != 0) {
    throw KeyError("the proving key is not for the bn128 (BN254) curve: scalar field prime differs");
  }
  key->n_vars = rd.u32(p + 72);
  key->n_public = rd.u32(p + 76);
  key->domain_size = rd.u32(p + 80);
  if (key->n_vars == 0 || key->n_public + 1 > key->n_vars) {
    throw KeyError("the proving key's signal counts are inconsistent");
  }
  const uint32_t ds = key->domain_size;
  if (ds == 0 || (ds & (ds - 1)) != 0 || ds > (1u << 27)) {
    throw KeyError("the proving key's domain size is not a power of two up to 2^27");
  }
  key->power = __builtin_ctz(ds);
  p += 84;
  const char* off_curve = "a verification-key point of the proving key is not on the curve";
  if (!read_g1(rd.at(p), key->alpha1)) throw KeyError(off_curve);
  if (!read_g1(rd.at(p + 64), key->beta1)) throw KeyError(off_curve);
  if (!read_g2(rd.at(p + 128), key->beta2)) throw KeyError(off_curve);
  if (!read_g2(rd.at(p + 256), key->gamma2)) throw KeyError(off_curve);
  if (!read_g1(rd.at(p + 384), key->delta1)) throw KeyError(off_curve);
  if (!read_g2(rd.at(p + 448), key->delta2)) throw KeyError(off_curve);

  expect_size(sections[3], static_cast<uint64_t>(key->n_public + 1) * 64, "IC");

  const Section& cs = sections[4];
  if (cs.size < 4) throw KeyError("the proving key's coefficients section is truncated");
  const uint32_t n_coefs = rd.u32(cs.offset);
  expect_size(cs, 4 + static_cast<uint64_t>(n_coefs) * 44, "coefficients");
  key->coefs.resize(n_coefs);
  for (uint32_t i = 0; i < n_coefs; i++) {
    const size_t o = cs.offset + 4 + static_cast<size_t>(i) * 44;
    Coef& cf = key->coefs[i];
    cf.m = rd.u32(o);
    cf.c = rd.u32(o + 4);
    cf.s = rd.u32(o + 8);
    const U256 v = read_u256(rd.at(o + 12));
    if (cf.m > 1 || cf.c >= ds || cf.s >= key->n_vars || !Fr::is_reduced(v)) {
      throw KeyError("coefficient " + std::to_string(i) + " of the proving key is out of range");
    }
    cf.value = Fr{{v.v[0], v.v[1], v.v[2], v.v[3]}};
  }

  const size_t nv = key->n_vars;
  read_points<Fq, read_g1>(rd, sections[5], nv, 64, "A", key->a);
  read_points<Fq, read_g1>(rd, sections[6], nv, 64, "B1", key->b1);
  read_points<Fq2, read_g2>(rd, sections[7], nv, 128, "B2", key->b2);
  read_points<Fq, read_g1>(rd, sections[8], nv - key->n_public - 1, 64, "C", key->c);
  read_points<Fq, read_g1>(rd, sections[9], ds, 64, "H", key->h);

  key->domain = std::make_unique<Domain>(key->power);
  key->coset_step = fr_root_of_unity(key->power + 1);
  return key;
}

U256 random_fr() {
  for (;;) {
    uint8_t buf[32];
    size_t got = 0;
    while (got < sizeof buf) {
      const ssize_t n = getrandom(buf + got, sizeof buf - got, 0);
      if (n > 0) {
        got += static_cast<size_t>(n);
      } else if (n < 0 && errno != EINTR) {
        const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("no source of randomness");
        while (got < sizeof buf) {
          const ssize_t m = read(fd, buf + got, sizeof buf - got);
          if (m <= 0) {
            close(fd);
            throw std::runtime_error("reading /dev/urandom failed");
          }
          got += static_cast<size_t>(m);
        }
        close(fd);
      }
    }
    U256 x = read_u256(buf);
    x.v[3] &= 0x3fffffffffffffffULL;  // 254 bits, then rejection: uniform below r
    if (Fr::is_reduced(x)) return x;
  }
}

namespace {

/** coefficients → evaluations on the odd points of the doubled domain, in place. */
void to_coset(std::vector<Fr>& v, const ProvingKey& key) {
  ntt(v.data(), *key.domain, true);
  Fr f = Fr::one();
  for (Fr& x : v) {
    x = x * f;
    f = f * key.coset_step;
  }
  ntt(v.data(), *key.domain, false);
}

}  // namespace

namespace {

/**
 * Proofs being made in this process now. Every worker thread of a pool loads the same addon, so
 * this count is shared by all of them: a proof made alone takes all the cores it was allowed,
 * and proofs made side by side share them instead of oversubscribing.
 */
std::atomic<int> proofs_in_flight{0};

struct InFlight {
  InFlight() { proofs_in_flight.fetch_add(1); }
  ~InFlight() { proofs_in_flight.fetch_sub(1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
};

/** This proof's share of `cap` threads, now: cap / proofs in flight, at least 1. */
int thread_share(int cap) {
  const int flying = std::max(1, proofs_in_flight.load());
  return std::max(1, cap / flying);
}

}  // namespace

namespace {

/** FNV-1a over the limbs of every base of the key. */
u64 bases_hash(const ProvingKey& key) {
  u64 h = 1469598103934665603ULL;
  auto mix = [&h](u64 x) {
    for (int b = 0; b < 8; b++) {
      h ^= (x >> (8 * b)) & 0xff;
      h *= 1099511628211ULL;
    }
  };
  auto g1 = [&](const std::vector<Affine<Fq>>& v) {
    mix(v.size());
    for (const auto& p : v) {
      for (int i = 0; i < 4; i++) mix(p.x.v[i] ^ (p.y.v[i] << 1) ^ p.inf);
    }
  };
  g1(key.a);
  g1(key.b1);
  g1(key.c);
  g1(key.h);
  mix(key.b2.size());
  for (const auto& p : key.b2) {
    for (int i = 0; i < 4; i++) mix(p.x.c0.v[i] ^ (p.x.c1.v[i] << 1) ^ (p.y.c0.v[i] << 2) ^ p.y.c1.v[i]);
  }
  return h;
}

template <typename F>
bool same_points(const std::vector<Affine<F>>& x, const std::vector<Affine<F>>& y) {
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); i++) {
    if (x[i].inf != y[i].inf || (!x[i].inf && (x[i].x != y[i].x || x[i].y != y[i].y))) {
      return false;
    }
  }
  return true;
}

bool slot_matches(const TableSlot& s, const ProvingKey& key, const TableOptions& o) {
  return s.options.budget_bytes == o.budget_bytes && same_points(s.a, key.a) &&
         same_points(s.b1, key.b1) && same_points(s.c, key.c) && same_points(s.h, key.h) &&
         same_points(s.b2, key.b2);
}

template <typename F>
size_t table_bytes(size_t n, int c) {
  return n * static_cast<size_t>(fixed_windows(c)) * sizeof(Affine<F>);
}

/** The slot's tables, or null if the build was cancelled. */
std::shared_ptr<const KeyTables> build_tables(const TableSlot& s) {
  const auto t0 = std::chrono::steady_clock::now();
  const TableOptions& o = s.options;
  // The MSMs by priority (the G2 one costs the most per term), each with the window width the
  // cost model picks for its bases; widen every window, then drop tables from the end, until
  // they fit the budget.
  struct Plan {
    size_t n;
    bool g2;
    int c;
    bool on;
  };
  Plan plan[5] = {{s.b2.size(), true, 0, true},
                  {s.a.size(), false, 0, true},
                  {s.b1.size(), false, 0, true},
                  {s.c.size(), false, 0, true},
                  {s.h.size(), false, 0, true}};
  for (Plan& p : plan) p.c = fixed_window_bits(p.n);
  auto total = [&] {
    size_t b = 0;
    for (const Plan& p : plan) {
      if (p.on) b += p.g2 ? table_bytes<Fq2>(p.n, p.c) : table_bytes<Fq>(p.n, p.c);
    }
    return b;
  };
  for (bool widened = true; total() > o.budget_bytes && widened;) {
    widened = false;
    for (Plan& p : plan) {
      if (p.c < 16) {
        p.c++;
        widened = true;
      }
    }
  }
  for (int i = 4; i >= 0 && total() > o.budget_bytes; i--) plan[i].on = false;
  auto t = std::make_shared<KeyTables>();
  const int th = std::max(1, o.threads);
  if (plan[0].on) {
    t->b2 = std::make_unique<FixedTable<Fq2>>(
        FixedTable<Fq2>::build(s.b2.data(), s.b2.size(), plan[0].c, th, &s.cancel));
  }
  auto g1 = [&](const Plan& p, const std::vector<Affine<Fq>>& bases) {
    return p.on ? std::make_unique<FixedTable<Fq>>(
                      FixedTable<Fq>::build(bases.data(), bases.size(), p.c, th, &s.cancel))
                : nullptr;
  };
  t->a = g1(plan[1], s.a);
  t->b1 = g1(plan[2], s.b1);
  t->c = g1(plan[3], s.c);
  t->h = g1(plan[4], s.h);
  if (s.cancel.load()) return nullptr;
  t->build_ms = ms_since(t0);
  return t;
}

/** The tables of the keys loaded in this process, by the hash of their bases and the budget. */
std::mutex tables_mutex;
std::map<std::pair<u64, size_t>, std::weak_ptr<TableSlot>> tables_cache;

}  // namespace

void attach_tables(ProvingKey& key, const TableOptions& options) {
  key.tables.reset();
  key.tables_shared = false;
  if (!options.enabled) return;
  const auto id = std::make_pair(bases_hash(key), options.budget_bytes);
  std::shared_ptr<TableSlot> slot;
  {
    const std::lock_guard<std::mutex> lock(tables_mutex);
    auto it = tables_cache.find(id);
    if (it != tables_cache.end()) {
      std::shared_ptr<TableSlot> found = it->second.lock();
      if (found && slot_matches(*found, key, options)) {
        key.tables = std::move(found);
        key.tables_shared = true;
      }
    }
    if (!key.tables) {
      slot = std::make_shared<TableSlot>();
      slot->a = key.a;
      slot->b1 = key.b1;
      slot->c = key.c;
      slot->h = key.h;
      slot->b2 = key.b2;
      slot->options = options;
      key.tables = slot;
      tables_cache[id] = slot;
      for (auto e = tables_cache.begin(); e != tables_cache.end();) {
        e = e->second.expired() ? tables_cache.erase(e) : std::next(e);
      }
    }
  }
  if (!slot) {
    // Shared: a handle that wants its tables now waits for the build already under way.
    if (!options.background) key.tables->wait();
    return;
  }
  TableSlot* raw = slot.get();  // the slot joins its builder before it is destroyed
  auto run = [raw] {
    try {
      raw->publish(build_tables(*raw));
    } catch (const std::exception&) {
      // Out of memory, most likely: no tables, the windowed path serves every proof.
    }
    raw->mark_done();
  };
  if (options.background) {
    slot->builder = std::thread([run] {
      set_lowest_priority();
      run();
    });
  } else {
    run();
  }
}

Proof prove(const ProvingKey& key, const uint8_t* witness, size_t len, int max_threads) {
  using clock = std::chrono::steady_clock;
  if (max_threads < 1) max_threads = 1;
  const InFlight flying;
  const size_t nv = key.n_vars;
  if (len != nv * 32) {
    throw WitnessError("the witness has " + std::to_string(len / 32) +
                       " values, the circuit needs " + std::to_string(nv));
  }
  std::vector<U256> w(nv);
  for (size_t i = 0; i < nv; i++) {
    w[i] = read_u256(witness + i * 32);
    if (!Fr::is_reduced(w[i])) {
      throw WitnessError("witness value " + std::to_string(i) + " is not a reduced field element");
    }
  }
  if (w[0].v[0] != 1 || w[0].v[1] != 0 || w[0].v[2] != 0 || w[0].v[3] != 0) {
    throw WitnessError("the witness does not start with the constant signal 1");
  }
  Proof out;
  ProveTimings& tm = out.timings;

  // A, B (and C = A·B) evaluated on the domain, in Montgomery form.
  auto t0 = clock::now();
  const size_t n = key.domain_size;
  std::vector<Fr> ea(n, Fr::zero()), eb(n, Fr::zero()), ec(n);
  for (const Coef& cf : key.coefs) {
    const U256& ws = w[cf.s];
    const Fr wm{{ws.v[0], ws.v[1], ws.v[2], ws.v[3]}};
    Fr& slot = cf.m == 0 ? ea[cf.c] : eb[cf.c];
    slot = slot + cf.value * wm;
  }
  for (size_t i = 0; i < n; i++) ec[i] = ea[i] * eb[i];
  tm.abc = std::chrono::duration<double, std::milli>(clock::now() - t0).count();

  t0 = clock::now();
  int threads = thread_share(max_threads);
  out.timings.threads = threads;
  if (threads >= 2) {
    std::thread ta([&] { to_coset(ea, key); });
    std::thread tb([&] { to_coset(eb, key); });
    to_coset(ec, key);
    ta.join();
    tb.join();
  } else {
    to_coset(ea, key);
    to_coset(eb, key);
    to_coset(ec, key);
  }
  std::vector<U256> hs(n);
  for (size_t i = 0; i < n; i++) hs[i] = (ea[i] * eb[i] - ec[i]).to_raw();
  tm.ntt = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  std::vector<Fr>().swap(ea);
  std::vector<Fr>().swap(eb);
  std::vector<Fr>().swap(ec);

  t0 = clock::now();
  threads = thread_share(max_threads);
  // The tables once built; until then (or without them) the windowed path.
  const std::shared_ptr<const KeyTables> ready = key.tables ? key.tables->ready() : nullptr;
  const KeyTables* tb = ready.get();
  Jac<Fq> pi_a = msm_with(tb ? tb->a.get() : nullptr, key.a.data(), w.data(), nv, threads);
  tm.msm_a = ms_since(t0);
  t0 = clock::now();
  threads = thread_share(max_threads);
  Jac<Fq> pib1 = msm_with(tb ? tb->b1.get() : nullptr, key.b1.data(), w.data(), nv, threads);
  tm.msm_b1 = ms_since(t0);
  t0 = clock::now();
  threads = thread_share(max_threads);
  Jac<Fq2> pi_b = msm_with(tb ? tb->b2.get() : nullptr, key.b2.data(), w.data(), nv, threads);
  tm.msm_b2 = ms_since(t0);
  t0 = clock::now();
  const size_t skip = key.n_public + 1;
  threads = thread_share(max_threads);
  Jac<Fq> pi_c =
      msm_with(tb ? tb->c.get() : nullptr, key.c.data(), w.data() + skip, nv - skip, threads);
  tm.msm_c = ms_since(t0);
  t0 = clock::now();
  threads = thread_share(max_threads);
  Jac<Fq> res_h = msm_with(tb ? tb->h.get() : nullptr, key.h.data(), hs.data(), n, threads);
  tm.msm_h = ms_since(t0);

  t0 = clock::now();
  const U256 r = random_fr();
  const U256 s = random_fr();
  const Jac<Fq> delta1 = Jac<Fq>::from_affine(key.delta1);

  pi_a = jac_add_mixed(pi_a, key.alpha1);
  pi_a = jac_add(pi_a, jac_mul(delta1, r));

  pi_b = jac_add_mixed(pi_b, key.beta2);
  pi_b = jac_add(pi_b, jac_mul(Jac<Fq2>::from_affine(key.delta2), s));

  pib1 = jac_add_mixed(pib1, key.beta1);
  pib1 = jac_add(pib1, jac_mul(delta1, s));

  pi_c = jac_add(pi_c, res_h);
  pi_c = jac_add(pi_c, jac_mul(pi_a, s));
  pi_c = jac_add(pi_c, jac_mul(pib1, r));
  const Fr rs = Fr::from_raw(r) * Fr::from_raw(s);
  pi_c = jac_add(pi_c, jac_mul(delta1, rs.neg().to_raw()));

  out.a = to_affine(pi_a);
  out.b = to_affine(pi_b);
  out.c = to_affine(pi_c);
  out.public_signals.assign(w.begin() + 1, w.begin() + 1 + key.n_public);
  tm.finish = ms_since(t0);
  return out;
}

}  // namespace cpn
