// Module entry. Context-aware (Napi::Addon keeps per-environment state), so
// the addon loads in any number of worker_threads at once.
#include <napi.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "addon/bpf_map_binding.h"
#include "addon/aggregator_binding.h"
#include "addon/errors.h"
#include "addon/memory_floor.h"
#include "addon/str_keys.h"
#include "addon/str_map_binding.h"
#include "addon/u64_map_binding.h"
#include "cpu/cpu_features.h"
#include "cpu/cpu_registry.h"
#include "hash/hash.h"

namespace tophash::addon {

namespace {

Napi::Object kernel_entry(Napi::Env env, const char* kind, const char* name, uint32_t needs,
                          const char* active_name) {
  auto o = Napi::Object::New(env);
  o.Set("kind", kind);
  o.Set("name", name);
  o.Set("supported", cpu::has_all(needs));
  o.Set("active", active_name != nullptr && std::string(active_name) == name);
  o.Set("needs", cpu::describe_needs(needs));
  return o;
}

// kernels() -> [{ kind, name, supported, active, needs }]; "active" is what a
// map created now without options would use (env forcing included).
Napi::Value Kernels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string error;
  const simd::MatchKernel* match = cpu::select_match(nullptr, &error);
  const hash::HashKernel* hash = cpu::select_hash(nullptr, &error);
  auto list = Napi::Array::New(env);
  uint32_t n = 0;
  for (const simd::MatchKernel* k : cpu::match_kernels()) {
    list.Set(n++, kernel_entry(env, "match", k->name, k->needs, match ? match->name : nullptr));
  }
  for (const hash::HashKernel* k : cpu::hash_kernels()) {
    list.Set(n++, kernel_entry(env, "hash", k->name, k->needs, hash ? hash->name : nullptr));
  }
  return list;
}

// cpu() -> { arch, vendor, brand, features: { name: boolean }, selected: { match, hash } }
Napi::Value Cpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const cpu::CpuInfo& c = cpu::info();
  auto o = Napi::Object::New(env);
  o.Set("arch", c.arch);
  o.Set("vendor", c.vendor);
  o.Set("brand", c.brand);
  auto features = Napi::Object::New(env);
  for (const cpu::FeatureName* f = cpu::kFeatureNames; f->name != nullptr; ++f) {
    features.Set(f->name, (c.features & f->bit) != 0);
  }
  o.Set("features", features);
  std::string error;
  const simd::MatchKernel* match = cpu::select_match(nullptr, &error);
  const hash::HashKernel* hash = cpu::select_hash(nullptr, &error);
  auto selected = Napi::Object::New(env);
  selected.Set("match", match ? Napi::Value(Napi::String::New(env, match->name)) : env.Null());
  selected.Set("hash", hash ? Napi::Value(Napi::String::New(env, hash->name)) : env.Null());
  o.Set("selected", selected);
  return o;
}

const hash::HashKernel* hash_kernel_arg(const Napi::Value& v) {
  std::string error;
  std::string name;
  if (!v.IsUndefined()) {
    if (!v.IsString()) throw_type(v.Env(), "a hash kernel name (string)", "kernel", describe(v));
    name = v.As<Napi::String>().Utf8Value();
  }
  const hash::HashKernel* k = cpu::select_hash(name.empty() ? nullptr : name.c_str(), &error);
  if (k == nullptr) throw Napi::RangeError::New(v.Env(), error);
  return k;
}

uint64_t seed_arg(const Napi::Value& v) {
  if (v.IsUndefined()) return 0;
  bool lossless = false;
  if (v.IsBigInt()) {
    uint64_t s = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) return s;
  }
  throw_range(v.Env(), "a bigint in [0, 2^64)", "seed", describe(v));
}

// hashBytes(data: Uint8Array, seed?: bigint, kernel?: string) -> bigint
Napi::Value HashBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw_type(env, "a Uint8Array", "data", describe(info[0]));
  }
  auto data = info[0].As<Napi::Uint8Array>();
  hash::Seed seed = hash::expand_seed(seed_arg(info[1]));
  const hash::HashKernel* k = hash_kernel_arg(info[2]);
  return Napi::BigInt::New(env, k->bytes(data.Data(), data.ElementLength(), seed));
}

// hashU64Batch(keys: BigUint64Array, out: BigUint64Array, seed?: bigint, kernel?: string)
Napi::Value HashU64Batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto is = [](const Napi::Value& v, napi_typedarray_type t) {
    return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == t;
  };
  if (!is(info[0], napi_biguint64_array))
    throw_type(env, "a BigUint64Array", "keys", describe(info[0]));
  if (!is(info[1], napi_biguint64_array))
    throw_type(env, "a BigUint64Array", "out", describe(info[1]));
  auto keys = info[0].As<Napi::BigUint64Array>();
  auto out = info[1].As<Napi::BigUint64Array>();
  if (out.ElementLength() != keys.ElementLength()) {
    throw_range(env, "a BigUint64Array of length " + std::to_string(keys.ElementLength()), "out",
                "length " + std::to_string(out.ElementLength()));
  }
  hash::Seed seed = hash::expand_seed(seed_arg(info[2]));
  const hash::HashKernel* k = hash_kernel_arg(info[3]);
  k->u64_many(keys.Data(), keys.ElementLength(), seed, out.Data());
  return env.Undefined();
}

// externalMemory() -> V8's running total of external bytes reported through
// napi_adjust_external_memory (process.memoryUsage().external does not
// include them on Node 20), so tests can check the accounting.
Napi::Value ExternalMemory(const Napi::CallbackInfo& info) {
  return Napi::Number::New(
      info.Env(), static_cast<double>(Napi::MemoryManagement::AdjustExternalMemory(info.Env(), 0)));
}

}  // namespace

class TophashAddon : public Napi::Addon<TophashAddon> {
 public:
  TophashAddon(Napi::Env env, Napi::Object exports) {
    exports.Set("U64Map", U64MapBinding::Define(env));
    U64MapBinding::DefineHandleFunctions(env, exports);
    exports.Set("StrMap", StrMapBinding::Define(env));
    StrMapBinding::DefineHandleFunctions(env, exports);
    exports.Set("BpfMap", BpfMapBinding::Define(env));
    exports.Set("Aggregator", AggregatorBinding::Define(env));
    exports.Set("kernels", Napi::Function::New<Kernels>(env, "kernels"));
    exports.Set("cpu", Napi::Function::New<Cpu>(env, "cpu"));
    exports.Set("hashBytes", Napi::Function::New<HashBytes>(env, "hashBytes"));
    exports.Set("hashU64Batch", Napi::Function::New<HashU64Batch>(env, "hashU64Batch"));
    exports.Set("externalMemory", Napi::Function::New<ExternalMemory>(env, "externalMemory"));
    exports.Set("memoryFloor", Napi::Function::New<MemoryFloor>(env, "memoryFloor"));
    exports.Set("packStrings", Napi::Function::New<PackStrings>(env, "packStrings"));
    exports.Set("packJoined", Napi::Function::New<PackJoined>(env, "packJoined"));
  }
};

}  // namespace tophash::addon

using tophash::addon::TophashAddon;
NODE_API_ADDON(TophashAddon)
