// U64Map's engine: the table specialised for u64 keys and f64 values, plus
// the batch operations the JavaScript API is built on. Nothing here knows
// about Node; native/addon/ translates typed arrays into KeyBatch views.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/table.h"

namespace tophash::core {

struct U64Policy {
  using Key = uint64_t;
  using Probe = uint64_t;
  static bool equal(uint64_t stored, uint64_t key) { return stored == key; }
  static uint64_t hash(const Hasher& h, uint64_t key) { return h.kernel->u64(key, h.seed); }
  static uint64_t hash_stored(const Hasher& h, uint64_t key) { return h.kernel->u64(key, h.seed); }
  static void store(uint64_t& slot, uint64_t key) { slot = key; }
};

using U64Table = Table<U64Policy, double>;

// A batch of keys as JavaScript hands them over, read in place.
struct KeyBatch {
  enum class Kind { kU64, kF64, kU32 };
  Kind kind;
  const void* data;
  size_t count;
};

// Largest integer a Float64Array key may hold: below 2^53 every integer is exact.
inline constexpr double kMaxSafeKey = 9007199254740991.0;

// Branch-free, so a batch's check vectorizes: below 2^52, adding and taking
// away 2^52 rounds x to the nearest integer (the doubles there are exactly
// the integers), which equals x only when x is one; from 2^52 up every
// double is an integer. The round trip through u64 it replaces cost a
// fifth of a 1e3-key getBatch.
inline bool is_valid_f64_key(double x) {
  // (Not under -ffast-math, which may fold the round trip away: the build
  // does not use it, and KeyValidation's tests would catch it.)
  constexpr double kTwo52 = 4503599627370496.0;
  const double rounded = (x + kTwo52) - kTwo52;
  return (x >= 0) & (x <= kMaxSafeKey) & ((x >= kTwo52) | (rounded == x));
}

// Index of the first key a Float64Array batch cannot hold, or count when all
// are valid. Batches are validated in full before anything is applied.
size_t first_invalid_key(const KeyBatch& keys);

// Each returns how many keys hit / were new / were deleted.
// get: out[i] = value or NaN; found (optional) [i] = 1 or 0.
size_t get_batch(const U64Table& t, const KeyBatch& keys, double* out, uint8_t* found);
size_t has_batch(const U64Table& t, const KeyBatch& keys, uint8_t* out);
// In order, so a key repeated in the batch ends with its last value.
size_t set_batch(U64Table& t, const KeyBatch& keys, const double* values);
size_t delete_batch(U64Table& t, const KeyBatch& keys);

}  // namespace tophash::core
