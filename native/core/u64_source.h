// The batch pipeline's Source for u64 keys (batch_pipeline.h): keys widened
// to u64 a chunk at a time, straight from the typed array JavaScript passed,
// and hashed with the kernel's many-key entry point. Shared by the in-memory
// table's batches (u64_batch.cpp) and the mapped view's (mapped_u64_map.cpp).
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/u64_map.h"

namespace tophash::core {

// Widens keys [start, start+n) of the batch to u64. Float64 keys were
// validated beforehand, so the cast is exact.
inline void widen_keys(const KeyBatch& keys, size_t start, size_t n, uint64_t* dst) {
  switch (keys.kind) {
    case KeyBatch::Kind::kU64: {
      const auto* src = static_cast<const uint64_t*>(keys.data) + start;
      for (size_t i = 0; i < n; ++i) dst[i] = src[i];
      break;
    }
    case KeyBatch::Kind::kF64: {
      const auto* src = static_cast<const double*>(keys.data) + start;
      // Through int64: the keys are below 2^53, and the signed conversion is
      // one instruction where the unsigned one is a compare and two paths.
      for (size_t i = 0; i < n; ++i) dst[i] = static_cast<uint64_t>(static_cast<int64_t>(src[i]));
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

}  // namespace tophash::core
