#include "addon/binding_args.h"

#include <random>

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

}  // namespace tophash::addon
