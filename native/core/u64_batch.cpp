// U64Map's batches: the pipeline of batch_pipeline.h over keys widened to
// u64 a chunk at a time, straight from the typed array JavaScript passed.
#include "core/batch_operations.h"
#include "core/u64_map.h"

namespace tophash::core {

namespace {

// Widens keys [start, start+n) of the batch to u64. Float64 keys were
// validated beforehand, so the cast is exact.
void widen_keys(const KeyBatch& keys, size_t start, size_t n, uint64_t* dst) {
  switch (keys.kind) {
    case KeyBatch::Kind::kU64: {
      const auto* src = static_cast<const uint64_t*>(keys.data) + start;
      for (size_t i = 0; i < n; ++i) dst[i] = src[i];
      break;
    }
    case KeyBatch::Kind::kF64: {
      const auto* src = static_cast<const double*>(keys.data) + start;
      for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint64_t>(src[i]);
      break;
    }
    case KeyBatch::Kind::kU32: {
      const auto* src = static_cast<const uint32_t*>(keys.data) + start;
      for (size_t i = 0; i < n; ++i) dst[i] = src[i];
      break;
    }
  }
}

struct U64Source {
  static constexpr size_t kChunk = 64;
  const KeyBatch& batch;

  size_t count() const { return batch.count; }
  void load(size_t start, size_t n, const Hasher& h, uint64_t* keys, uint64_t* hashes) const {
    widen_keys(batch, start, n, keys);
    h.kernel->u64_many(keys, n, h.seed, hashes);
  }
};

}  // namespace

size_t first_invalid_key(const KeyBatch& keys) {
  if (keys.kind != KeyBatch::Kind::kF64) return keys.count;
  const auto* src = static_cast<const double*>(keys.data);
  for (size_t i = 0; i < keys.count; ++i) {
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
