// U64Map's batches: the pipeline of batch_pipeline.h over U64Source.
#include <cstdint>
#include <cstring>

#include "core/batch_operations.h"
#include "core/u64_map.h"
#include "core/u64_source.h"

namespace tophash::core {

namespace {

// Two doubles per vector (GCC/clang vector extensions: SSE2 on x86-64, NEON
// on Arm), checked as is_valid_f64_key does: compilers did not vectorize the
// scalar form, whose compares each became a branch-free but serial setcc.
using F64x2 = double __attribute__((vector_size(16)));
using I64x2 = int64_t __attribute__((vector_size(16)));

inline I64x2 valid_keys(const double* p) {
  constexpr double kTwo52 = 4503599627370496.0;
  const F64x2 two52 = {kTwo52, kTwo52};
  const F64x2 zero = {0.0, 0.0};
  const F64x2 max = {kMaxSafeKey, kMaxSafeKey};
  F64x2 x;
  std::memcpy(&x, p, sizeof x);
  const F64x2 rounded = (x + two52) - two52;
  return (x >= zero) & (x <= max) & ((x >= two52) | (rounded == x));
}

}  // namespace

size_t first_invalid_key(const KeyBatch& keys) {
  if (keys.kind != KeyBatch::Kind::kF64) return keys.count;
  const auto* src = static_cast<const double*>(keys.data);
  // Eight keys at a time; the block with a bad key is searched again one
  // key at a time for its index.
  constexpr size_t kBlock = 8;
  size_t i = 0;
  for (; i + kBlock <= keys.count; i += kBlock) {
    const I64x2 valid = valid_keys(src + i) & valid_keys(src + i + 2) & valid_keys(src + i + 4) &
                        valid_keys(src + i + 6);
    if ((valid[0] & valid[1]) != -1) break;
  }
  for (; i < keys.count; ++i) {
    if (!is_valid_f64_key(src[i])) return i;
  }
  return keys.count;
}

size_t get_batch(const U64Table& t, const KeyBatch& keys, double* out, uint8_t* found) {
  return batch::get(t, U64Source{keys}, out, found);
}
size_t has_batch(const U64Table& t, const KeyBatch& keys, uint8_t* out) {
  return batch::has(t, U64Source{keys}, out);
}
size_t set_batch(U64Table& t, const KeyBatch& keys, const double* values) {
  return batch::set(t, U64Source{keys}, values);
}
size_t delete_batch(U64Table& t, const KeyBatch& keys) { return batch::erase(t, U64Source{keys}); }

}  // namespace tophash::core
