// Small pieces every binding's constructor and methods share: the per-map
// random seed, optional kernel-name options, typed-array kind checks and
// turning std::bad_alloc into an ENOMEM error.
#pragma once
#include <napi.h>

#include <cstdint>
#include <new>
#include <string>

#include "addon/errors.h"

namespace tophash::addon {

// A fresh 64-bit seed from the OS, so keys that collide in one map do not
// collide in the next (hash flooding).
uint64_t random_seed();

// A kernel name option: "" when undefined or null, else it must be a string.
std::string optional_string(const Napi::Value& v, const char* name);

bool is_typed(const Napi::Value& v, napi_typedarray_type t);

// Runs f(); std::bad_alloc becomes an Error with code ENOMEM and `message`.
template <class F>
auto guard_alloc(Napi::Env env, const char* message, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    throw_code(env, "ENOMEM", message);
  }
}

}  // namespace tophash::addon
