#include "addon/binding_args.h"

#include <cmath>
#include <random>

#include "core/u64_map.h"
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

uint64_t seed_arg(const Napi::Value& v, const char* name, SeedDefault when_undefined) {
  if (v.IsUndefined()) return when_undefined == SeedDefault::kRandom ? random_seed() : 0;
  bool lossless = false;
  if (v.IsBigInt()) {
    const uint64_t seed = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) return seed;
  }
  throw_range(v.Env(), "a bigint in [0, 2^64)", name, describe(v));
}

namespace {
// An integer number in [0, limit], else TypeError/RangeError naming it.
double integer_in(const Napi::Value& v, double limit, const char* expected, const char* name) {
  if (!v.IsNumber()) throw_type(v.Env(), expected, name, describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= limit && std::floor(d) == d))
    throw_range(v.Env(), expected, name, describe(v));
  return d;
}
}  // namespace

uint64_t capacity_arg(const Napi::Value& v) {
  if (v.IsUndefined()) return 0;
  return static_cast<uint64_t>(
      integer_in(v, core::kMaxSafeKey, "a non-negative integer", "options.capacity"));
}

size_t scan_size_arg(const Napi::Value& v, const char* name, size_t fallback) {
  if (v.IsUndefined()) return fallback;
  return static_cast<size_t>(integer_in(v, 4294967295.0, "an integer in [0, 2^32)", name));
}

uint64_t cursor_arg(const Napi::Value& v, const char* name, const char* returned_by) {
  if (!v.IsNumber()) throw_type(v.Env(), "a cursor (number)", name, describe(v));
  const double c = v.As<Napi::Number>().DoubleValue();
  if (!core::is_valid_f64_key(c))
    throw_range(v.Env(), std::string("a cursor returned by ") + returned_by, name, describe(v));
  return static_cast<uint64_t>(c);
}

KernelChoice kernels_arg(const Napi::Value& match, const Napi::Value& hash, const char* match_name,
                         const char* hash_name) {
  const std::string match_request = optional_string(match, match_name);
  const std::string hash_request = optional_string(hash, hash_name);
  std::string error;
  KernelChoice k{};
  k.match = cpu::select_match(match_request.empty() ? nullptr : match_request.c_str(), &error);
  if (k.match == nullptr)
    throw with_code(Napi::RangeError::New(match.Env(), error), "ERR_INVALID_ARG_VALUE");
  k.hash = cpu::select_hash(hash_request.empty() ? nullptr : hash_request.c_str(), &error);
  if (k.hash == nullptr)
    throw with_code(Napi::RangeError::New(hash.Env(), error), "ERR_INVALID_ARG_VALUE");
  return k;
}

}  // namespace tophash::addon
