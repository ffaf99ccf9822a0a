#include "addon/binding_args.h"

#include <random>

#include "cpu/cpu_registry.h"

namespace tophash::addon {

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

std::string optional_string(const Napi::Value& v, const char* name) {
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsString()) throw_type(v.Env(), "a kernel name (string)", name, describe(v));
  return v.As<Napi::String>().Utf8Value();
}

bool is_typed(const Napi::Value& v, napi_typedarray_type t) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == t;
}

uint64_t seed_arg(const Napi::Value& v, const char* name) {
  if (v.IsUndefined()) return random_seed();
  if (!v.IsBigInt()) throw_type(v.Env(), "a bigint", name, describe(v));
  bool lossless = false;
  const uint64_t seed = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) throw_range(v.Env(), "a bigint in [0, 2^64)", name, describe(v));
  return seed;
}

KernelChoice kernels_arg(const Napi::Value& match, const Napi::Value& hash, const char* match_name,
                         const char* hash_name) {
  const std::string match_request = optional_string(match, match_name);
  const std::string hash_request = optional_string(hash, hash_name);
  std::string error;
  KernelChoice k{};
  k.match = cpu::select_match(match_request.empty() ? nullptr : match_request.c_str(), &error);
  if (k.match == nullptr) throw Napi::RangeError::New(match.Env(), error);
  k.hash = cpu::select_hash(hash_request.empty() ? nullptr : hash_request.c_str(), &error);
  if (k.hash == nullptr) throw Napi::RangeError::New(hash.Env(), error);
  return k;
}

}  // namespace tophash::addon
