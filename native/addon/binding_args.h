// Small pieces every binding's constructor and methods share: the per-map
// random seed, optional kernel-name options, typed-array kind checks and
// turning std::bad_alloc into an ENOMEM error.
#pragma once
#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include "addon/errors.h"
#include "hash/hash.h"
#include "simd/match.h"

namespace tophash::addon {

// A fresh 64-bit seed from the OS, so keys that collide in one map do not
// collide in the next (hash flooding).
uint64_t random_seed();

// A kernel name option: "" when undefined or null, else it must be a string.
std::string optional_string(const Napi::Value& v, const char* name);

bool is_typed(const Napi::Value& v, napi_typedarray_type t);

// What an undefined seed means: the maps draw a fresh random_seed() (hash
// flooding), hash() and hashBatch() use 0 (one result per input, documented).
enum class SeedDefault { kRandom, kZero };

// A seed: `when_undefined` when undefined, else a bigint in [0, 2^64);
// anything else is a RangeError naming `name`. The public classes turn a
// number seed into a bigint before it gets here.
uint64_t seed_arg(const Napi::Value& v, const char* name, SeedDefault when_undefined);

// The construction-time capacity of U64Map and StrMap: 0 when undefined,
// else an integer in [0, 2^53).
uint64_t capacity_arg(const Napi::Value& v);

// How many entries one scan call should return at least: `fallback` when
// undefined, else an integer in [0, 2^32). A RangeError names `name`.
size_t scan_size_arg(const Napi::Value& v, const char* name, size_t fallback);

// A scan cursor: an integer in [0, 2^53) that an earlier call returned.
uint64_t cursor_arg(const Napi::Value& v, const char* name, const char* returned_by);

struct KernelChoice {
  const simd::MatchKernel* match;
  const hash::HashKernel* hash;
};
// The match and hash kernel options (a name, or undefined for the CPU's
// best), resolved by the registry; an unknown or unsupported name is a
// RangeError carrying the registry's explanation.
KernelChoice kernels_arg(const Napi::Value& match, const Napi::Value& hash, const char* match_name,
                         const char* hash_name);

// Keeps V8's count of off-heap bytes (napi_adjust_external_memory) in step
// with what one engine holds, so the garbage collector feels its weight.
//
// Within an eighth, not to the byte: once external memory has risen 64 MB
// past its low since the last full GC, V8 answers each report that adds
// bytes by starting incremental marking or, while marking runs, by
// advancing it for 5-10 ms inside the reporting call
// (Heap::ReportExternalMemoryPressure). A growing table reported its new
// array and then every overflow chunk as it was allocated, so the writes
// that allocated chunks while V8 marked took 5-20 ms (W7). Reporting only
// moves of an eighth or more leaves one report per doubling.
class ReportedMemory {
 public:
  // Changes smaller than min_change or an eighth of the bytes last reported
  // are not worth a call into V8 (except the final drop to 0).
  void report(Napi::Env env, uint64_t bytes_now, int64_t min_change = 0) {
    const int64_t now = static_cast<int64_t>(bytes_now);
    const int64_t change = now - reported_;
    const int64_t threshold = std::max(min_change, reported_ / 8);
    if (change == 0 || (now != 0 && change < threshold && -change < threshold)) return;
    Napi::MemoryManagement::AdjustExternalMemory(env, change);
    reported_ = now;
  }

 private:
  int64_t reported_ = 0;
};

// Runs f(); std::bad_alloc becomes an Error with code ENOMEM and `message`,
// std::length_error (a size no container can hold) a RangeError. Anything
// else the engine throws is caught by node-addon-api
// (NODE_ADDON_API_CPP_EXCEPTIONS_ALL), so no C++ exception ends the process.
template <class F>
auto guard_alloc(Napi::Env env, const char* message, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    throw_code(env, "ENOMEM", message);
  } catch (const std::length_error&) {
    throw with_code(
        Napi::RangeError::New(env, std::string(message) + " (the size asked for is too large)"),
        "ERR_OUT_OF_RANGE");
  }
}

}  // namespace tophash::addon
