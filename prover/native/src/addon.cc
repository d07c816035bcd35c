// The Node binding of the native Groth16 engine (node-addon-api, no C++ exceptions across the
// boundary: every engine error becomes a JS Error with a stable `code`).
#include <napi.h>

#include <exception>
#include <memory>
#include <string>

#include "cpu.h"
#include "fixed_msm.h"
#include "groth16.h"
#include "msm.h"
#include "ntt.h"

namespace {

using namespace cpn;

const char* const KEY_INVALID = "PROVER_KEY_INVALID";
const char* const WITNESS_INVALID = "PROVER_WITNESS_INVALID";
const char* const INPUT_INVALID = "PROVER_NATIVE_INPUT_INVALID";
const char* const ENGINE_FAILED = "PROVER_NATIVE_FAILED";

void throw_coded(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  err.ThrowAsJavaScriptException();
}

std::string dec(const Fq& x) { return u256_to_decimal(x.to_raw()); }

/** snarkjs's `G1.toObject(G1.toAffine(p))`, stringified: [x, y, "1"], or ["0", "1", "0"]. */
Napi::Array g1_json(Napi::Env env, const Affine<Fq>& p) {
  Napi::Array a = Napi::Array::New(env, 3);
  a.Set(0u, Napi::String::New(env, p.inf ? "0" : dec(p.x)));
  a.Set(1u, Napi::String::New(env, p.inf ? "1" : dec(p.y)));
  a.Set(2u, Napi::String::New(env, p.inf ? "0" : "1"));
  return a;
}

Napi::Array pair(Napi::Env env, const std::string& a, const std::string& b) {
  Napi::Array r = Napi::Array::New(env, 2);
  r.Set(0u, Napi::String::New(env, a));
  r.Set(1u, Napi::String::New(env, b));
  return r;
}

/** snarkjs's G2 object form: [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]] (infinity: 0, 1, 0). */
Napi::Array g2_json(Napi::Env env, const Affine<Fq2>& p) {
  Napi::Array a = Napi::Array::New(env, 3);
  if (p.inf) {
    a.Set(0u, pair(env, "0", "0"));
    a.Set(1u, pair(env, "1", "0"));
    a.Set(2u, pair(env, "0", "0"));
  } else {
    a.Set(0u, pair(env, dec(p.x.c0), dec(p.x.c1)));
    a.Set(1u, pair(env, dec(p.y.c0), dec(p.y.c1)));
    a.Set(2u, pair(env, "1", "0"));
  }
  return a;
}

bool get_bytes(const Napi::CallbackInfo& info, size_t i, const uint8_t*& data, size_t& len) {
  if (info.Length() <= i || !info[i].IsTypedArray()) return false;
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array u = ta.As<Napi::Uint8Array>();
  data = u.Data();
  len = u.ByteLength();
  return true;
}

int get_threads_value(const Napi::Value& v) {
  if (!v.IsNumber()) return 1;
  const int t = v.As<Napi::Number>().Int32Value();
  return t < 1 ? 1 : (t > 64 ? 64 : t);
}

int get_threads(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() <= i ? 1 : get_threads_value(info[i]);
}

class KeyHandle : public Napi::ObjectWrap<KeyHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ProvingKey",
                       {InstanceMethod("prove", &KeyHandle::Prove),
                        InstanceAccessor("nVars", &KeyHandle::NVars, nullptr),
                        InstanceAccessor("tables", &KeyHandle::Tables, nullptr),
                        InstanceAccessor("nPublic", &KeyHandle::NPublic, nullptr),
                        InstanceAccessor("domainSize", &KeyHandle::DomainSize, nullptr)});
  }

  explicit KeyHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<KeyHandle>(info) {
    Napi::Env env = info.Env();
    const uint8_t* data = nullptr;
    size_t len = 0;
    if (!get_bytes(info, 0, data, len)) {
      throw_coded(env, INPUT_INVALID, "ProvingKey takes the zkey file's bytes (a Uint8Array)");
      return;
    }
    TableOptions options;
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      if (o.Has("tables")) options.enabled = o.Get("tables").ToBoolean().Value();
      if (o.Has("tableBudgetMb") && o.Get("tableBudgetMb").IsNumber()) {
        const double mb = o.Get("tableBudgetMb").As<Napi::Number>().DoubleValue();
        options.budget_bytes = mb <= 0 ? 0 : static_cast<size_t>(mb * 1048576.0);
      }
      if (o.Has("threads")) options.threads = get_threads_value(o.Get("threads"));
      if (o.Has("background")) options.background = o.Get("background").ToBoolean().Value();
    }
    try {
      key_ = ProvingKey::parse(data, len);
      attach_tables(*key_, options);
    } catch (const KeyError& e) {
      throw_coded(env, KEY_INVALID, e.what());
    } catch (const std::exception& e) {
      throw_coded(env, ENGINE_FAILED, e.what());
    }
  }

 private:
  std::unique_ptr<ProvingKey> key_;

  /**
   * { ready, bytes, buildMs, shared, windowBits: { a, b1, b2, c, h } } (0: no table), or null
   * when tables are off; before a background build ends, { ready: false, shared }.
   */
  Napi::Value Tables(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!key_ || !key_->tables) return env.Null();
    const std::shared_ptr<const KeyTables> ready = key_->tables->ready();
    if (!ready) {
      Napi::Object out = Napi::Object::New(env);
      out.Set("ready", false);
      out.Set("shared", key_->tables_shared);
      return out;
    }
    const KeyTables& t = *ready;
    Napi::Object bits = Napi::Object::New(env);
    bits.Set("a", t.a ? t.a->c : 0);
    bits.Set("b1", t.b1 ? t.b1->c : 0);
    bits.Set("b2", t.b2 ? t.b2->c : 0);
    bits.Set("c", t.c ? t.c->c : 0);
    bits.Set("h", t.h ? t.h->c : 0);
    Napi::Object out = Napi::Object::New(env);
    out.Set("ready", true);
    out.Set("bytes", static_cast<double>(t.bytes()));
    out.Set("buildMs", t.build_ms);
    out.Set("shared", key_->tables_shared);
    out.Set("windowBits", bits);
    return out;
  }
  Napi::Value NVars(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), key_ ? key_->n_vars : 0);
  }
  Napi::Value NPublic(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), key_ ? key_->n_public : 0);
  }
  Napi::Value DomainSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), key_ ? key_->domain_size : 0);
  }

  /** prove(witness: Uint8Array, threads?: number) → { proof, publicSignals, timings }. */
  Napi::Value Prove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!key_) {
      throw_coded(env, KEY_INVALID, "this proving key was refused when it was loaded");
      return env.Undefined();
    }
    const uint8_t* data = nullptr;
    size_t len = 0;
    if (!get_bytes(info, 0, data, len)) {
      throw_coded(env, INPUT_INVALID, "prove takes the witness's bytes (a Uint8Array)");
      return env.Undefined();
    }
    Proof proof;
    try {
      proof = cpn::prove(*key_, data, len, get_threads(info, 1));
    } catch (const WitnessError& e) {
      throw_coded(env, WITNESS_INVALID, e.what());
      return env.Undefined();
    } catch (const std::exception& e) {
      throw_coded(env, ENGINE_FAILED, e.what());
      return env.Undefined();
    }
    Napi::Object p = Napi::Object::New(env);
    p.Set("pi_a", g1_json(env, proof.a));
    p.Set("pi_b", g2_json(env, proof.b));
    p.Set("pi_c", g1_json(env, proof.c));
    p.Set("protocol", "groth16");
    p.Set("curve", "bn128");
    Napi::Array pub = Napi::Array::New(env, proof.public_signals.size());
    for (size_t i = 0; i < proof.public_signals.size(); i++) {
      pub.Set(static_cast<uint32_t>(i), u256_to_decimal(proof.public_signals[i]));
    }
    const ProveTimings& t = proof.timings;
    Napi::Object tm = Napi::Object::New(env);
    tm.Set("abc", t.abc);
    tm.Set("ntt", t.ntt);
    tm.Set("msmA", t.msm_a);
    tm.Set("msmB1", t.msm_b1);
    tm.Set("msmB2", t.msm_b2);
    tm.Set("msmC", t.msm_c);
    tm.Set("msmH", t.msm_h);
    tm.Set("finish", t.finish);
    tm.Set("threads", t.threads);
    Napi::Object out = Napi::Object::New(env);
    out.Set("proof", p);
    out.Set("publicSignals", pub);
    out.Set("timings", tm);
    return out;
  }
};

/** Read n scalars (32 bytes little-endian, any 256-bit value) for the test entry points. */
std::vector<U256> read_scalars(const uint8_t* data, size_t n) {
  std::vector<U256> s(n);
  for (size_t i = 0; i < n; i++) s[i] = read_u256(data + i * 32);
  return s;
}

/** Test entry: msmG1(bases: zkey-format points, scalars: 32-byte LE each, threads?). */
template <typename F, size_t PointSize, bool (*Read)(const uint8_t*, Affine<F>&),
          Napi::Array (*Json)(Napi::Env, const Affine<F>&)>
Napi::Value Msm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* bases = nullptr;
  const uint8_t* scalars = nullptr;
  size_t lb = 0, ls = 0;
  if (!get_bytes(info, 0, bases, lb) || !get_bytes(info, 1, scalars, ls) || lb % PointSize != 0 ||
      ls % 32 != 0 || lb / PointSize != ls / 32) {
    throw_coded(env, INPUT_INVALID, "msm takes n points and n 32-byte scalars (Uint8Arrays)");
    return env.Undefined();
  }
  const size_t n = ls / 32;
  std::vector<Affine<F>> pts(n);
  for (size_t i = 0; i < n; i++) {
    if (!Read(bases + i * PointSize, pts[i])) {
      throw_coded(env, INPUT_INVALID, "msm: point " + std::to_string(i) + " is not on the curve");
      return env.Undefined();
    }
  }
  const std::vector<U256> sc = read_scalars(scalars, n);
  // A 4th argument c (8 … 16): through a fixed-base table of that window width, built here
  // (scalars of more than 254 bits still take the windowed path).
  if (info.Length() > 3 && info[3].IsNumber()) {
    const int c = info[3].As<Napi::Number>().Int32Value();
    if (c < 2 || c > 16) {
      throw_coded(env, INPUT_INVALID, "msm: the table's window width is 2 … 16 bits");
      return env.Undefined();
    }
    const FixedTable<F> table = FixedTable<F>::build(pts.data(), n, c, get_threads(info, 2));
    return Json(env,
                to_affine(msm_with(&table, pts.data(), sc.data(), n, get_threads(info, 2))));
  }
  return Json(env, to_affine(msm(pts.data(), sc.data(), n, get_threads(info, 2))));
}

/** Test entry: ntt(values: 32-byte LE reduced integers, 2^k of them, inverse: boolean). */
Napi::Value Ntt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!get_bytes(info, 0, data, len) || len % 32 != 0 || len == 0 ||
      ((len / 32) & (len / 32 - 1)) != 0 || len / 32 > (size_t{1} << 24)) {
    throw_coded(env, INPUT_INVALID, "ntt takes 2^k 32-byte field elements (k ≤ 24)");
    return env.Undefined();
  }
  const size_t n = len / 32;
  const bool inverse = info.Length() > 1 && info[1].ToBoolean().Value();
  std::vector<Fr> v(n);
  for (size_t i = 0; i < n; i++) {
    const U256 x = read_u256(data + i * 32);
    if (!Fr::is_reduced(x)) {
      throw_coded(env, INPUT_INVALID, "ntt: value " + std::to_string(i) + " is not reduced");
      return env.Undefined();
    }
    v[i] = Fr::from_raw(x);
  }
  const Domain d(__builtin_ctzll(n));
  ntt(v.data(), d, inverse);
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, len);
  for (size_t i = 0; i < n; i++) write_u256(out.Data() + i * 32, v[i].to_raw());
  return out;
}

/**
 * Test entry: fieldOps(field: "q" | "r", a, b) for n pairs of reduced 32-byte LE integers: per
 * pair a + b, a − b, a·b and a⁻¹ (0 for 0), each 32 bytes LE, through the Montgomery form the
 * prover computes in (so the assembly's carries and reductions are checked against BigInt).
 */
template <typename F>
Napi::Value FieldOpsOf(Napi::Env env, const uint8_t* a, const uint8_t* b, size_t n) {
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, n * 4 * 32);
  for (size_t i = 0; i < n; i++) {
    const U256 ra = read_u256(a + i * 32);
    const U256 rb = read_u256(b + i * 32);
    if (!F::is_reduced(ra) || !F::is_reduced(rb)) {
      throw_coded(env, INPUT_INVALID, "fieldOps: pair " + std::to_string(i) + " is not reduced");
      return env.Undefined();
    }
    const F x = F::from_raw(ra);
    const F y = F::from_raw(rb);
    uint8_t* o = out.Data() + i * 4 * 32;
    write_u256(o, (x + y).to_raw());
    write_u256(o + 32, (x - y).to_raw());
    write_u256(o + 64, (x * y).to_raw());
    write_u256(o + 96, x.inv().to_raw());
  }
  return out;
}

Napi::Value FieldOps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* a = nullptr;
  const uint8_t* b = nullptr;
  size_t la = 0, lb = 0;
  const std::string field = info.Length() > 0 && info[0].IsString()
                                ? info[0].As<Napi::String>().Utf8Value()
                                : std::string();
  if ((field != "q" && field != "r") || !get_bytes(info, 1, a, la) ||
      !get_bytes(info, 2, b, lb) || la != lb || la % 32 != 0) {
    throw_coded(env, INPUT_INVALID, "fieldOps takes \"q\" or \"r\" and two arrays of n 32-byte values");
    return env.Undefined();
  }
  return field == "q" ? FieldOpsOf<Fq>(env, a, b, la / 32) : FieldOpsOf<Fr>(env, a, b, la / 32);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, 4));
  exports.Set("arithmetic", Napi::String::New(env, build_arithmetic()));
  if (!cpu_runs_build()) {
    // Built for a CPU with MULX/ADX and loaded on one without: nothing that could run them is
    // exported, and the wrapper reports the addon unavailable (proofs fall back to snarkjs).
    exports.Set("unsupportedCpu",
                Napi::String::New(env, "this CPU lacks BMI2/ADX, which the native prover was "
                                       "built for: rebuild it here (node prover/native/build.mjs)"));
    return exports;
  }
  exports.Set("ProvingKey", KeyHandle::Define(env));
  exports.Set("msmG1", Napi::Function::New(env, Msm<Fq, 64, read_g1, g1_json>));
  exports.Set("msmG2", Napi::Function::New(env, Msm<Fq2, 128, read_g2, g2_json>));
  exports.Set("ntt", Napi::Function::New(env, Ntt));
  exports.Set("fieldOps", Napi::Function::New(env, FieldOps));
  return exports;
}

}  // namespace

NODE_API_MODULE(crossproof_prover, Init)
