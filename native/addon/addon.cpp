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
#include "addon/hash_binding.h"
#include "addon/mapped_u64_map_binding.h"
#include "addon/str_map_binding.h"
#include "addon/summary_binding.h"
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

}  // namespace

class TophashAddon : public Napi::Addon<TophashAddon> {
 public:
  TophashAddon(Napi::Env env, Napi::Object exports) {
    exports.Set("U64Map", U64MapBinding::Define(env));
    U64MapBinding::DefineHandleFunctions(env, exports);
    exports.Set("MappedU64Map", MappedU64MapBinding::Define(env));
    MappedU64MapBinding::DefineHandleFunctions(env, exports);
    exports.Set("StrMap", StrMapBinding::Define(env));
    StrMapBinding::DefineHandleFunctions(env, exports);
    exports.Set("BpfMap", BpfMapBinding::Define(env));
    exports.Set("Aggregator", AggregatorBinding::Define(env));
    exports.Set("SummarySketches", SummaryBinding::Define(env));
    exports.Set("kernels", Napi::Function::New<Kernels>(env, "kernels"));
    exports.Set("cpu", Napi::Function::New<Cpu>(env, "cpu"));
    exports.Set("hashBytes", Napi::Function::New<HashBytes>(env, "hashBytes"));
    exports.Set("hashU64Batch", Napi::Function::New<HashU64Batch>(env, "hashU64Batch"));
    exports.Set("hashPackedBatch", Napi::Function::New<HashPackedBatch>(env, "hashPackedBatch"));
    exports.Set("hashFixedBatch", Napi::Function::New<HashFixedBatch>(env, "hashFixedBatch"));
  }
};

}  // namespace tophash::addon

using tophash::addon::TophashAddon;
NODE_API_ADDON(TophashAddon)
